"""A small version of the load test (evals/load.py): concurrent sessions on loopback, no errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.interfaces.http import running
from assistant.interfaces.ui import build_app
from assistant.settings import Settings
from evals.load import LoadReport, run_load

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.mark.parametrize("via", ["gradio", "api"])
def test_concurrent_sessions_all_get_answers(built_index: Path, bot, via: str) -> None:
    with running(build_app(Settings(index_dir=built_index), assistant=bot)) as url:
        report = run_load(url, sessions=5, questions=3, via=via)  # type: ignore[arg-type]
    assert report.errors == 0, report.error_samples
    assert report.requests == len(report.latencies) == 15


def test_load_counts_failures(port: int) -> None:
    report = run_load(f"http://127.0.0.1:{port}", sessions=2, questions=3, via="api")  # nothing listens
    assert report.errors == report.requests == 6 and report.error_samples


def test_percentiles_are_nearest_rank() -> None:
    report = LoadReport(via="api", sessions=1, questions=10, latencies=[float(i) for i in range(1, 21)])
    assert (report.percentile(50), report.percentile(95), report.percentile(100)) == (10.0, 19.0, 20.0)
