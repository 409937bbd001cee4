"""Moved to ``assistant.evaluate.report`` (installed with the package); kept so ``evals.report`` imports work."""
from assistant.evaluate.report import *  # noqa: F403
from assistant.evaluate.report import (  # noqa: F401 - names the evals code and tests import
    METRIC_LABELS,
    Comparison,
    build_report,
    check_floors,
    compare_reports,
    overall_table,
    render_comparison,
    render_markdown,
    write_chart,
    write_outputs,
)
