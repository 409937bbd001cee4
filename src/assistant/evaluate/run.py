"""One evaluation run, shared by ``assistant eval`` and ``python -m evals``: build the assistant (ingesting
the given folders into a temporary index unless an index is given), score, write the reports, check floors.
"""
from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluate.questions import GoldItem
from assistant.evaluate.report import (
    CHART_NOTE,
    build_report,
    check_floors,
    compare_reports,
    overall_table,
    render_comparison,
    write_outputs,
)
from assistant.evaluate.score import QuestionResult, score

WARMUP_QUESTION = "Which organization wrote these documents?"


@dataclass
class BotSetup:
    """The assistant under test and how it was built."""

    bot: object
    settings: object
    index_dir: Path
    ingest_summary: str = ""


def build_bot(corpus: Path | Sequence[Path], index_dir: Path | None) -> BotSetup:
    """The assistant over ``index_dir``, or over a fresh temporary index of the ``corpus`` folder(s)."""
    from assistant import Assistant  # imported late: torch and Chroma are heavy
    from assistant.settings import load_settings

    summary = ""
    if index_dir is None:
        index_dir = Path(tempfile.mkdtemp(prefix="bipm-evals-index-"))
        settings = load_settings(index_dir=index_dir)
        from ingest.pipeline import run_ingest

        folders = [Path(corpus)] if isinstance(corpus, (str, Path)) else [Path(c) for c in corpus]
        summary = str(run_ingest(settings, folders))
    else:
        settings = load_settings(index_dir=index_dir)
    return BotSetup(Assistant.from_settings(settings), settings, index_dir, summary)


def progress_line(res: QuestionResult) -> None:
    """One stderr line per scored question."""
    mark = "ok " if res.correct else ("ERR" if res.error else "BAD")
    abst = " (abstained)" if res.abstained else ""
    print(f"[{mark}] {res.id}{abst} {res.latency_ms or 0:.0f} ms", file=sys.stderr, flush=True)


def warm_up(bot: object) -> None:
    """One untimed question so lazy model loading does not count as latency."""
    try:
        bot.ask(WARMUP_QUESTION, history=[])  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the timed run will report real failures
        print(f"(warm-up failed: {type(exc).__name__}: {exc})", file=sys.stderr)


def run_and_report(setup: BotSetup, items: Sequence[GoldItem], out: Path, meta: Mapping, *,
                   retrieve: bool = True, quiet: bool = False, warmup: bool = True) -> dict:
    """Score ``items``, write JSON/Markdown/PNG into ``out``, print the overall table; returns the report."""
    if warmup:
        warm_up(setup.bot)
    run = score(setup.bot, items, retrieve=retrieve, progress=None if quiet else progress_line)
    report = build_report(run, setup.settings, {**meta, "index_dir": str(setup.index_dir),
                                                "ingest_summary": setup.ingest_summary, "warmup": warmup})
    paths = write_outputs(report, out)
    print(overall_table(report["overall"]))
    chart = paths["png"] or f"({CHART_NOTE})"
    print(f"\nReports: {paths['md']} / {paths['json']} / {chart}")
    return report


def load_report(path: Path) -> dict:
    """A JSON report written by an earlier run; ValueError when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the report {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValueError(f"{path} is not an evaluation report (no 'questions' list)")
    return data


def comparison_text(old: Mapping, new: Mapping, old_name: str, new_name: str) -> str:
    """Markdown: metric deltas and the questions that changed between two reports."""
    qs = {q["id"]: q for q in new.get("questions", [])}
    return f"# Comparison: {old_name} → {new_name}\n\n" + render_comparison(compare_reports(old, new), qs)


def load_floors(path: Path | None) -> dict | None:
    """floors.json content, or None when there is no such file."""
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None


def floors_status(overall: Mapping, floors: Mapping | None, missing_note: str = "(no floors)") -> int:
    """Print each violated floor; exit status 1 when one is violated, else 0."""
    if not floors:
        print(missing_note)
        return 0
    violations = check_floors(overall, floors)
    for v in violations:
        print(f"FLOOR: {v}")
    print("Floors: FAIL" if violations else "Floors: ok")
    return 1 if violations else 0
