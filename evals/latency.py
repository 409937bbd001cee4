"""``python -m evals.latency``: full answer latency, from a new question to its answer, on an existing index.

    python -m evals.latency --index-dir DIR evals/gold.jsonl
    python -m evals.latency --index-dir LARGE evals/train-extra-e.jsonl evals/train-extra-g.jsonl --rounds 2
    python -m evals.latency --index-dir LARGE --follow-ups evals/blind3*.jsonl

One fresh process per round (the parent spawns it, so caches start empty each round): it loads the assistant,
answers one warm-up question, then asks every question of the files that has no history once, in file order,
and prints p50 / p95 / mean wall milliseconds and the CPU milliseconds per question as one JSON line (with
``--follow-ups``, the questions that have a history instead, each asked with it). Unlike
`evals.bench`'s query step (an answer timed after `retrieve` of the same question), nothing of a question is
computed before its timer starts. Run builds alternately (``PYTHONPATH=WT/src:WT``) to compare them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

WARM_UP = "What is the kilogram?"


Asked = tuple[str, list[dict[str, str]]]  # a question and the conversation before it


def questions(files: list[Path], follow_ups: bool = False) -> list[Asked]:
    """The questions without history of ``files`` (JSONL question sets), in order; with ``follow_ups``, those
    with a history instead, each with it."""
    items = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(i["question"], i.get("history") or []) for i in items if bool(i.get("history")) == follow_ups]


def measure(index_dir: Path, asked: list[Asked]) -> dict:
    """Ask each question once in this process; the latency figures in milliseconds."""
    from assistant.assistant import Assistant
    from assistant.evaluate.metrics import percentile  # the eval report's (linear interpolation)
    from assistant.settings import load_settings

    bot = Assistant.from_settings(load_settings(index_dir=index_dir))
    bot.ask(WARM_UP)
    wall: list[float] = []
    cpu_start = time.process_time()
    for question, history in asked:
        started = time.perf_counter()
        bot.ask(question, history)
        wall.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000
    return {"n": len(wall), "p50_ms": round(percentile(wall, 50), 1), "p95_ms": round(percentile(wall, 95), 1),
            "mean_ms": round(sum(wall) / len(wall), 1), "cpu_per_question_ms": round(cpu / len(wall), 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.latency", description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", type=Path, help="question sets (JSONL)")
    p.add_argument("--index-dir", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=1, help="fresh processes, one after the other")
    p.add_argument("--follow-ups", action="store_true", help="ask the questions with a history (with it) instead")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    asked = questions(args.files, args.follow_ups)
    if not asked:
        p.error(f"no question {'with' if args.follow_ups else 'without'} history in these files")
    if args.child:
        print(json.dumps(measure(args.index_dir, asked)), flush=True)
        return 0
    for _ in range(args.rounds):
        cmd = [sys.executable, "-m", "evals.latency", "--child", "--index-dir", str(args.index_dir),
               *(["--follow-ups"] if args.follow_ups else []), *map(str, args.files)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.stderr.write(done.stderr)
            return done.returncode
        print(done.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
