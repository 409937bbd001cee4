"""``python -m evals``: score the assistant on the project's question sets and write reports.

A thin caller of ``assistant.evaluate`` (what ``assistant eval`` runs) that adds the project's sets
(--set), their floors files and the corpus check of ``evals.validate``.
Without --index-dir the corpus folder(s) are ingested into a fresh temporary index.
Exit status: 0 ok, 1 floors violated (or invalid gold set), 2 product not usable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.evaluate.run import (
    BotSetup,
    comparison_text,
    floors_status,
    load_floors,
    load_report,
    run_and_report,
)
from assistant.evaluate.run import build_bot as _build_bot
from evals.gold import load_gold, select
from evals.validate import validate

REPO_ROOT = Path(__file__).resolve().parent.parent
__all__ = ["BotSetup", "build_bot", "main", "parse_args"]

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
    p.add_argument("--corpus", type=Path, action="append", default=None, metavar="DIR",
                   help="folder to ingest into the temporary index (repeatable; default corpus/), "
                        "e.g. --corpus corpus --corpus ../shared/corpus-extra")
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
    args.corpus = args.corpus or [REPO_ROOT / "corpus"]
    return args


def build_bot(corpus: Path | list[Path], index_dir: Path | None) -> BotSetup:
    """Import the product, ingest (unless an index is given) and build the assistant."""
    return _build_bot(corpus, index_dir)


def run_compare(old: Path, new: Path) -> int:
    """Print the question-by-question comparison of two JSON reports."""
    print(comparison_text(load_report(old), load_report(new), str(old), str(new)))
    return 0


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
    meta = {"gold": str(args.gold), "corpus": [str(c) for c in args.corpus], "ingested": args.index_dir is None,
            "category": args.category, "limit": args.limit, "argv": sys.argv[1:]}
    report = run_and_report(setup, items, args.out, meta, retrieve=not args.no_retrieval, quiet=args.quiet,
                            warmup=not args.no_warmup)
    return finish_with_floors(report["overall"], args.floors)


def finish_with_floors(overall: dict, floors_path: Path | None) -> int:
    """Exit status according to floors.json (0 when absent)."""
    note = "(no floors: this set gates nothing)" if floors_path is None else f"(no floors file at {floors_path})"
    return floors_status(overall, load_floors(floors_path), note)


if __name__ == "__main__":
    sys.exit(main())
