"""Moved to ``assistant.evaluate.questions`` (installed with the package); kept so ``evals.gold`` imports work."""
from assistant.evaluate.questions import (  # noqa: F401 - names the evals code and tests import
    CATEGORIES,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    GoldItem,
    load_gold,
    read_raw,
    select,
)
