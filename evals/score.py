"""Moved to ``assistant.evaluate.score`` (installed with the package); kept so ``evals.score`` imports work."""
from assistant.evaluate.score import *  # noqa: F403
from assistant.evaluate.score import (  # noqa: F401 - names the evals code and tests import
    LOWER_IS_BETTER,
    RETRIEVE_DEPTH,
    RETRIEVE_K,
    EvalRun,
    QuestionResult,
    confusion,
    per_category,
    score,
    score_item,
    summarize,
)
