"""Moved to ``assistant.evaluate.metrics`` (installed with the package); kept so ``evals.metrics`` imports work."""
from assistant.evaluate.metrics import *  # noqa: F403
