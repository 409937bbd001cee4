"""Ingest only, ours against the LangChain tutorial peer, in the same run: ``python -m evals.bench_ingest``.

The full benchmark (`python -m evals.bench`) takes 20-25 minutes; this runs just its two ingest steps on the
same documents (corpus/ + corpus-extra/ by default), each in a fresh process, ours and the peer alternating
for ``--rounds`` rounds so that both see the same load, and prints documents/s and their ratio (issue 16's
ingest target is ours ≥ 3× the peer). The machine (CPU model, flags) and auto's embedding choice come first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from evals.bench import REPO, _ours, _peer, corpus_stats, log, run_child
from evals.bench_limit import cpu_info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m evals.bench_ingest", description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", type=Path,
                   default=[REPO / "corpus", REPO.parent / "shared" / "corpus-extra"])
    p.add_argument("--rounds", type=int, default=1, help="ours then peer, this many times")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-peer", action="store_true", help="ours only (no ratio)")
    p.add_argument("--out", type=Path, default=REPO / "evals" / "reports" / "bench-ingest.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stats = corpus_stats([p for p in args.paths if p.exists()])
    report: dict = {"cpu": cpu_info(), "documents": stats["documents"], "mb": stats["mb"], "ours": [], "peer": []}
    with tempfile.TemporaryDirectory(prefix="bipm-bench-ingest-") as tmp:
        choice = run_child(_ours("choice"), {"threads": args.threads, "cache": None}, Path(tmp))
        report["precision"] = choice["precision"]
        for n in range(args.rounds):
            log(f"round {n + 1}: ours ({stats['documents']} documents, {choice['precision']})")
            report["ours"].append(run_child(_ours("ingest"), {
                "precision": choice["precision"], "threads": args.threads, "paths": stats["paths"],
                "index_dir": str(Path(tmp) / f"ours-{n}")}, Path(tmp)))
            if not args.skip_peer:
                log(f"round {n + 1}: peer")
                report["peer"].append(run_child(_peer("ingest"), {
                    "files": stats["files"], "persist_dir": str(Path(tmp) / f"peer-{n}")}, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(render(report))
    return 0


def render(report: dict) -> str:
    cpu = report["cpu"]
    lines = [f"cpu {cpu['model']} x{cpu['cores']}  flags {' '.join(f for f, on in cpu['flags'].items() if on)}",
             f"{report['documents']} documents, {report['mb']} MB; ours embeds with {report['precision']}",
             f"  {'run':8} {'wall s':>8} {'CPU s':>8} {'docs/s':>8} {'embedded':>9} {'PSI avg60':>9}  stages (s)"]
    for who in ("ours", "peer"):
        for r in report[who]:
            embedded = r["embedded"] + r.get("units_embedded", 0) + r.get("words_embedded", 0)
            lines.append(f"  {who:8} {r['seconds']:8.1f} {r['cpu_seconds']:8.1f} {r['docs_per_s']:8.2f}"
                         f" {embedded:9} {r.get('cpu_pressure_avg60')!s:>9}  {r.get('stages_s', '')}")
    if report["peer"]:
        ours = statistics.median(r["docs_per_s"] for r in report["ours"])
        peer = statistics.median(r["docs_per_s"] for r in report["peer"])
        lines.append(f"ours/peer documents/s (medians): {ours / peer:.2f}  (issue 16 target: ≥ 3)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
