"""``python -m evals``: score the assistant on the gold set and write reports.

Without --index-dir the corpus is ingested into a fresh temporary index.
Exit status: 0 ok, 1 floors violated (or invalid gold set), 2 product not usable.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evals.gold import load_gold, select
from evals.report import (
    build_report,
    check_floors,
    compare_reports,
    overall_table,
    render_comparison,
    write_outputs,
)
from evals.score import QuestionResult, score
from evals.validate import validate

REPO_ROOT = Path(__file__).resolve().parent.parent
WARMUP_QUESTION = "What is the BIPM?"


@dataclass
class BotSetup:
    """The assistant under test and how it was built."""

    bot: object
    settings: object
    index_dir: Path
    ingest_summary: str = ""


# name → (questions, floors); the blind set has no floors file, so it never gates anything.
SETS = {"gold": ("gold.jsonl", "floors.json"), "holdout": ("holdout.jsonl", "floors-holdout.json"),
        "dev": ("dev.jsonl", "floors-dev.json"),
        "blind": ("blind.jsonl", None)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m evals", description="Score the BIPM Assistant on the gold set.")
    p.add_argument("--set", choices=sorted(SETS), default="gold",
                   help="question set: gold (tuned on), holdout and dev (tuned on since their first scores) or blind "
                        "(never tuned against; no floors). Sets the defaults of --gold and --floors.")
    p.add_argument("--gold", type=Path, default=None, help="question file (default: the --set's file)")
    p.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus", help="corpus to ingest (default corpus/)")
    p.add_argument("--index-dir", type=Path, default=None, help="use this existing index instead of ingesting")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "evals" / "reports")
    p.add_argument("--floors", type=Path, default=None, help="floors file (default: the --set's floors)")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("OLD.json", "NEW.json"),
                   help="compare two reports question by question and exit")
    p.add_argument("--category", default=None, help="only this category")
    p.add_argument("--limit", type=int, default=None, help="only the first N (after --category)")
    p.add_argument("--no-retrieval", action="store_true", help="skip bot.retrieve() metrics")
    p.add_argument("--quiet", action="store_true", help="no per-question progress")
    p.add_argument("--no-warmup", action="store_true",
                   help="skip the untimed warm-up question (model loading then counts in latency)")
    args = p.parse_args(argv)
    questions, floors = SETS[args.set]
    args.gold = args.gold or REPO_ROOT / "evals" / questions
    args.floors = args.floors or (REPO_ROOT / "evals" / floors if floors else None)
    return args


def build_bot(corpus: Path, index_dir: Path | None) -> BotSetup:
    """Import the product, ingest (unless an index is given) and build the assistant."""
    from assistant import Assistant, Settings  # imported late: the product may be partial

    summary = ""
    if index_dir is None:
        index_dir = Path(tempfile.mkdtemp(prefix="bipm-evals-index-"))
        settings = Settings(index_dir=index_dir)
        from ingest.pipeline import run_ingest

        summary = str(run_ingest(settings, [corpus]))
    else:
        settings = Settings(index_dir=index_dir)
    return BotSetup(Assistant.from_settings(settings), settings, index_dir, summary)


def run_compare(old: Path, new: Path) -> int:
    """Print the question-by-question comparison of two JSON reports."""
    a = json.loads(old.read_text(encoding="utf-8"))
    b = json.loads(new.read_text(encoding="utf-8"))
    qs = {q["id"]: q for q in b.get("questions", [])}
    print(f"# Comparison: {old} → {new}\n")
    print(render_comparison(compare_reports(a, b), qs))
    return 0


def _progress(res: QuestionResult) -> None:
    mark = "ok " if res.correct else ("ERR" if res.error else "BAD")
    abst = " (abstained)" if res.abstained else ""
    print(f"[{mark}] {res.id}{abst} {res.latency_ms or 0:.0f} ms", file=sys.stderr, flush=True)


def warm_up(bot: object) -> None:
    """One untimed question so lazy model loading does not count as latency."""
    try:
        bot.ask(WARMUP_QUESTION, history=[])
    except Exception as exc:  # noqa: BLE001 - the timed run will report real failures
        print(f"(warm-up failed: {type(exc).__name__}: {exc})", file=sys.stderr)


def load_floors(path: Path | None) -> dict | None:
    """floors.json content, or None when there is no such file."""
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    args = parse_args(argv)
    if args.compare:
        return run_compare(*args.compare)
    problems = validate(args.gold, args.corpus)
    if problems:
        print("Gold set invalid (python -m evals.validate):\n" + "\n".join(problems), file=sys.stderr)
        return 1
    items = select(load_gold(args.gold), args.category, args.limit)
    if not items:
        print("No gold questions selected.", file=sys.stderr)
        return 1
    try:
        setup = build_bot(args.corpus, args.index_dir)
    except Exception as exc:  # noqa: BLE001 - report any product-side failure clearly
        print(f"Cannot build the assistant: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not args.no_warmup:
        warm_up(setup.bot)
    run = score(setup.bot, items, retrieve=not args.no_retrieval, progress=None if args.quiet else _progress)
    meta = {"gold": str(args.gold), "corpus": str(args.corpus), "index_dir": str(setup.index_dir),
            "ingested": args.index_dir is None, "ingest_summary": setup.ingest_summary,
            "category": args.category, "limit": args.limit, "warmup": not args.no_warmup,
            "argv": sys.argv[1:]}
    report = build_report(run, setup.settings, meta)
    paths = write_outputs(report, args.out)
    print(overall_table(report["overall"]))
    print(f"\nReports: {paths['md']} / {paths['json']} / {paths['png']}")
    return finish_with_floors(report["overall"], args.floors)


def finish_with_floors(overall: dict, floors_path: Path | None) -> int:
    """Exit status according to floors.json (0 when absent)."""
    floors = load_floors(floors_path)
    if floors is None:
        print("(no floors: this set gates nothing)" if floors_path is None else f"(no floors file at {floors_path})")
        return 0
    violations = check_floors(overall, floors)
    for v in violations:
        print(f"FLOOR: {v}")
    print("Floors: FAIL" if violations else "Floors: ok")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
