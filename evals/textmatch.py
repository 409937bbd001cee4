"""Moved to ``assistant.evaluate.textmatch`` (installed with the package); kept so ``evals.textmatch`` imports work."""
from assistant.evaluate.textmatch import *  # noqa: F403
from assistant.evaluate.textmatch import (  # noqa: F401 - names the evals code and tests import
    group_present,
    is_acronym,
    longest_common_run,
    normalize,
    phrase_in,
    quote_matches,
    text_has_quote,
    words,
)
