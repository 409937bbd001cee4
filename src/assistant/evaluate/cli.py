"""``assistant eval QUESTIONS.jsonl``: score the assistant on your own question file.

Exit status: 0 scored (and every --min-/--max- floor held), 1 a floor was not held,
2 the question file or an option is wrong, or the assistant cannot be built.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from assistant.evaluate.questions import QuestionFileError, load_questions, select
from assistant.evaluate.report import METRIC_LABELS
from assistant.evaluate.score import LOWER_IS_BETTER

DEFAULT_OUT = Path("eval-reports")
FLOOR_METRICS: tuple[str, ...] = tuple(k for k in METRIC_LABELS if k not in ("n", "mean_answer_words"))


def floor_option(metric: str) -> str:
    """``--min-answer-accuracy`` / ``--max-latency-p95-ms``: a maximum for lower-is-better metrics."""
    return f"--{'max' if metric in LOWER_IS_BETTER else 'min'}-{metric.replace('_', '-')}"


def parser() -> argparse.ArgumentParser:
    """Command-line options of ``assistant eval``."""
    p = argparse.ArgumentParser(
        prog="assistant eval", description="Score the assistant on your own question file.",
        epilog="Question format: one JSON object per line, see the README (section 'Evaluate on your own "
               "questions'). Example: assistant eval my-questions.jsonl --corpus docs/ --min-answer-accuracy 0.8")
    p.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl", help="the question file")
    p.add_argument("--index-dir", type=Path, default=None,
                   help="score this existing index (default: ingest --corpus into a temporary index)")
    p.add_argument("--corpus", type=Path, action="append", default=None, metavar="DIR",
                   help="folder to ingest into the temporary index (repeatable; default corpus/)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"where the reports go (default {DEFAULT_OUT}/)")
    p.add_argument("--compare", type=Path, default=None, metavar="OLD.json",
                   help="also list, question by question, what changed since this earlier report")
    p.add_argument("--category", default=None, help="only questions of this category")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions (after --category)")
    p.add_argument("--no-retrieval", action="store_true", help="skip the retrieval metrics (hit@k, MRR)")
    p.add_argument("--no-warmup", action="store_true", help="let model loading count in the first latency")
    p.add_argument("--quiet", action="store_true", help="no per-question progress")
    floors = p.add_argument_group("floors (exit status 1 when one is not held)")
    for metric in FLOOR_METRICS:
        kind = "at most" if metric in LOWER_IS_BETTER else "at least"
        floors.add_argument(floor_option(metric), dest=f"floor_{metric}", type=float, default=None, metavar="X",
                            help=f"{METRIC_LABELS[metric]} must be {kind} X")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``assistant eval``; returns the exit status."""
    from assistant.evaluate.run import (
        build_bot,
        comparison_text,
        floors_status,
        load_report,
        run_and_report,
    )

    args = parser().parse_args(argv)
    try:
        items = select(load_questions(args.questions), args.category, args.limit)
        old = load_report(args.compare) if args.compare else None
    except (QuestionFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not items:
        print(f"error: no questions selected from {args.questions}", file=sys.stderr)
        return 2
    corpora = args.corpus or [Path("corpus")]
    missing = [str(c) for c in corpora if args.index_dir is None and not c.is_dir()]
    if missing:
        print(f"error: no such corpus folder: {', '.join(missing)} (use --corpus DIR or --index-dir)",
              file=sys.stderr)
        return 2
    try:
        setup = build_bot(corpora, args.index_dir)
    except Exception as exc:  # noqa: BLE001 - any product-side failure is reported in one line
        print(f"error: cannot build the assistant: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    meta = {"gold": str(args.questions), "corpus": [str(c) for c in corpora], "ingested": args.index_dir is None,
            "category": args.category, "limit": args.limit, "argv": list(argv) if argv is not None else sys.argv[1:],
            "stale_documents": _stale_documents(setup.index_dir) if args.index_dir else 0}
    if meta["stale_documents"]:  # an index an older ingest built scores differently from a fresh one
        print(f"warning: {meta['stale_documents']} documents of {setup.index_dir} were built by an older ingest "
              "pipeline; scores may differ from a fresh index (run `assistant ingest` again)", file=sys.stderr)
    try:
        report = run_and_report(setup, items, args.out, meta, retrieve=not args.no_retrieval,
                                quiet=args.quiet, warmup=not args.no_warmup)
    finally:
        if args.index_dir is None:  # the temporary index is only for this run
            shutil.rmtree(setup.index_dir, ignore_errors=True)
    if old is not None:
        text = comparison_text(old, report, str(args.compare), "this run")
        (args.out / "comparison.md").write_text(text + "\n", encoding="utf-8")
        print("\n" + text)
    floors = {m: getattr(args, f"floor_{m}") for m in FLOOR_METRICS if getattr(args, f"floor_{m}") is not None}
    return floors_status(report["overall"], floors, "(no --min-/--max- floors given)")


def _stale_documents(index_dir: Path) -> int:
    """How many documents of the index given by --index-dir an older ingest pipeline built (a temporary
    index is built by this code); 0 when it has no manifest to read."""
    from assistant.errors import IndexNotFound
    from assistant.interfaces.render import index_info
    from assistant.settings import load_settings

    try:
        return int(index_info(load_settings(index_dir=index_dir))["stale_documents"])
    except IndexNotFound:
        return 0
