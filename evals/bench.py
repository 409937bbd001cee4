"""Benchmark: our pipeline against LangChain's RAG tutorial pipeline, and against the machine's limit.

    .venv/bin/python -m evals.bench                 # corpus/ and corpus/ + ../shared/corpus-extra/
    .venv/bin/python -m evals.bench --skip-large    # corpus/ only
    .venv/bin/python -m evals.bench --quick         # a few questions and texts: checks the plumbing

Every measurement runs in a fresh child process (``python -m evals.bench <step> SPEC.json``; the peer's
steps are in `evals.bench_peer`), so peak RSS and cold start are per pipeline and per corpus. Steps:
the matmul peak and embedding throughput per precision (`evals.bench_limit`); the gold-set scores per
precision; then for each corpus, ingest and query for ours and for the peer. Writes
evals/reports/bench.json and prints a table with ours/peer ratios and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "evals" / "gold.jsonl"
HIGHER_IS_BETTER = ("chunks_per_s", "docs_per_s")
PRECISIONS = ("fp32", "bf16", "onnx", "onnx-int8")


# --- helpers shared with the child processes -------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(result: dict) -> None:
    """A child's result: one JSON line on stdout, with the child's peak RSS."""
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}), flush=True)


def summarize_ms(values: list[float]) -> dict:
    from evals.metrics import percentile

    return {"p50": _r(percentile(values, 50)), "p95": _r(percentile(values, 95)),
            "max": _r(max(values, default=None)), "n": len(values)}


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# --- our pipeline, in child processes -------------------------------------------------------------------
def _timed_embedder(inner: Any) -> Any:
    """Wrap an embedder to count the seconds spent embedding during an ingest."""
    from assistant.index.embedder import Embedder

    class Timed(Embedder):
        dim, name = inner.dim, inner.name
        seconds = 0.0

        def embed_batch(self, texts: list[str]) -> Any:
            t0 = time.perf_counter()
            try:
                return inner.embed_batch(texts)
            finally:
                Timed.seconds += time.perf_counter() - t0

    return Timed()


def step_ingest(spec: dict) -> dict:
    """Ingest ``spec['paths']`` into a fresh index with the chosen precision; model load timed apart."""
    from assistant.settings import Settings
    from evals.bench_limit import cpu_pressure, make_backend
    from ingest.pipeline import run_ingest

    load0 = time.perf_counter()
    embedder = _timed_embedder(make_backend(spec["precision"], spec["threads"]))
    model_load_s = time.perf_counter() - load0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    summary = run_ingest(Settings(index_dir=spec["index_dir"]), [Path(p) for p in spec["paths"]],
                         progress=False, embedder=embedder)
    seconds = time.perf_counter() - wall0
    return {
        "documents": summary.documents, "chunks": summary.chunks_added, "embedded": summary.embedded,
        "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu0, 3),
        "embed_seconds": round(type(embedder).seconds, 3), "model_load_s": round(model_load_s, 2),
        "stages_s": {k: round(v, 2) for k, v in summary.stages.items()},
        "units_embedded": summary.units_embedded, "words_embedded": summary.words_embedded,
        "chunks_per_s": round(summary.embedded / seconds, 2), "docs_per_s": round(summary.documents / seconds, 2),
        "cpu_pressure_avg60": cpu_pressure(),
    }


def _bot(spec: dict) -> Any:
    from assistant.assistant import Assistant
    from assistant.settings import Settings
    from evals.bench_limit import make_backend

    return Assistant(Settings(index_dir=spec["index_dir"]), embedder=make_backend(spec["precision"], spec["threads"]))


def step_query(spec: dict) -> dict:
    """First answer from a cold process (the parent times it from spawn), then warm latencies."""
    from evals.bench_limit import cpu_pressure

    bot = _bot(spec)
    bot.ask(spec["questions"][0])
    first_answer_at = time.time()
    retrieve_ms, answer_ms, answer_cpu_ms = [], [], []
    for q in spec["questions"]:
        t0 = time.perf_counter()
        bot.retrieve(q)
        t1, cpu1 = time.perf_counter(), time.process_time()
        bot.ask(q)
        retrieve_ms.append((t1 - t0) * 1000)
        answer_ms.append((time.perf_counter() - t1) * 1000)
        answer_cpu_ms.append((time.process_time() - cpu1) * 1000)
    return {"first_answer_at": first_answer_at, "questions": len(spec["questions"]),
            "retrieve_ms": summarize_ms(retrieve_ms), "answer_ms": summarize_ms(answer_ms),
            "answer_cpu_ms": summarize_ms(answer_cpu_ms), "cpu_pressure_avg60": cpu_pressure()}


def step_choice(spec: dict) -> dict:
    """What ``ASSISTANT_EMBED_PRECISION=auto`` serves with on this machine: the cached choice, or probed now
    (``spec['cache']`` set = a fresh cache file, so the probe runs in this benchmark)."""
    from assistant.index.precision import choose
    from assistant.settings import Settings

    cache = Path(spec["cache"]) if spec.get("cache") else None
    return choose(Settings(threads=spec["threads"]), cache).to_dict()


def step_gold(spec: dict) -> dict:
    """Gold-set scores (hit@1, hit@5, answers) for one precision: ingest the gold corpus, run the scorer."""
    from evals.gold import load_gold
    from evals.score import score, summarize

    ingest = step_ingest(spec)
    items = load_gold(Path(spec["gold"]))[: spec["limit"]]
    summary = summarize(score(_bot(spec), items, retrieve=True).results)
    keys = ("n", "hit_at_1", "hit_at_5", "mrr", "answer_accuracy", "fact_recall", "citation_support",
            "false_abstention_rate", "abstention_accuracy", "errors")
    return {**{k: summary[k] for k in keys}, "ingest_seconds": ingest["seconds"]}


STEPS = {"ingest": step_ingest, "query": step_query, "gold": step_gold, "choice": step_choice}


# --- orchestration ----------------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def run_child(cmd: list[str], spec: dict | None, tmp: Path) -> dict:
    """Run one measurement process; returns its JSON result plus ``spawned_at`` and ``wall_s``."""
    if spec is not None:
        spec_file = Path(tempfile.mkstemp(suffix=".json", dir=tmp)[1])
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        cmd = [*cmd, str(spec_file)]
    spawned_at = time.time()
    proc = subprocess.run(cmd, cwd=REPO, env=child_env(), capture_output=True, text=True, check=False)
    wall = time.time() - spawned_at
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**result, "spawned_at": spawned_at, "wall_s": round(wall, 2)}


def _ours(step: str) -> list[str]:
    return [sys.executable, "-m", "evals.bench", step]


def _peer(step: str) -> list[str]:
    return [sys.executable, "-m", "evals.bench_peer", step]


def _cold_start(result: dict) -> dict:
    result["cold_start_s"] = round(result.pop("first_answer_at") - result["spawned_at"], 2)
    return result


def pick_questions(n: int) -> list[str]:
    """``n`` gold questions without history, spread over the categories (every k-th)."""
    from evals.gold import load_gold

    items = [i.question for i in load_gold(GOLD) if not i.history]
    step = max(1, len(items) // max(n, 1))
    return items[::step][:n]


def corpus_stats(paths: list[Path]) -> dict:
    from ingest.load import discover

    files = discover(paths)
    return {"paths": [str(p) for p in paths], "documents": len(files),
            "mb": round(sum(f.stat().st_size for f in files) / 1e6, 2), "files": [str(f) for f in files]}


class Bench:
    """One benchmark run; every figure lands in ``self.report``."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.questions = pick_questions(args.questions)
        self.report: dict[str, Any] = {
            "date": datetime.now(UTC).replace(microsecond=0).isoformat(), "command": " ".join(sys.argv),
            "quick": args.quick, "threads": args.threads, "questions": len(self.questions),
        }

    def run(self) -> dict:
        self.report["choice"] = self.choice()
        self.report["limit"] = self.limit()
        self.report["precisions"] = self.precisions()
        self.report["auto"] = self.auto_choice()
        self.report["precision"] = self.precision()
        corpora = {"small": [self.args.small]}
        if not self.args.skip_large:
            corpora["large"] = [self.args.small, self.args.large]  # the gold questions stay answerable
        self.report["corpora"] = {name: corpus_stats(paths) for name, paths in corpora.items()}
        self.report["ours"], self.report["peer"] = {}, {}
        for name in corpora:
            self.pipelines(name)
        self.report["cli_cold_start_s"] = self.cli_cold_start()
        self.report["ratios"] = {name: ratios(self.report["ours"][name], self.report["peer"][name])
                                 for name in corpora}
        if "large" in corpora:
            self.report["growth"] = {who: growth(self.report[who]) for who in ("ours", "peer")}
        self.report["targets"] = targets(self.report)
        for stats in self.report["corpora"].values():
            stats.pop("files")
        return self.report

    def limit(self) -> dict:
        cmd = [sys.executable, "-m", "evals.bench_limit", "--paths", str(self.args.small), str(self.args.large),
               "--sample", str(self.args.sample), "--seconds", str(self.args.seconds),
               "--threads", str(self.args.threads), "--backends", ",".join(self.backends())]
        if not self.args.large.exists():
            cmd.remove(str(self.args.large))
        log("limit: matmul peaks and embedding throughput per precision")
        return run_child(cmd, None, self.tmp)

    def choice(self) -> dict:
        log("auto's choice of embedding backend (probe, or the cached measurement)")
        cache = str(self.tmp / "precision.json") if self.args.fresh_choice else None
        return run_child(_ours("choice"), {"threads": self.args.threads, "cache": cache}, self.tmp)

    def precisions(self) -> dict:
        out = {}
        for precision in self.backends():
            log(f"gold set with {precision}")
            spec = {"precision": precision, "threads": self.args.threads, "paths": [str(self.args.small)],
                    "index_dir": str(self.tmp / f"gold-{precision}"), "gold": str(self.args.gold),
                    "limit": self.args.gold_limit}
            out[precision] = run_child(_ours("gold"), spec, self.tmp)
        return out

    def backends(self) -> list[str]:
        from evals.bench_limit import runnable

        return runnable([b for b in self.args.backends.split(",") if b])

    def auto_choice(self) -> dict:
        """auto's probe choice beside the choice the gold scores and full-sample speeds would make."""
        best, why = recommend(self.report["precisions"], self.report["limit"]["backends"])
        return {"current": self.report["choice"]["precision"], "recommended": best, "reason": why}

    def precision(self) -> str:
        return self.args.precision or self.report["auto"]["current"]

    def pipelines(self, name: str) -> None:
        stats = self.report["corpora"][name]
        index, persist = self.tmp / f"ours-{name}", self.tmp / f"peer-{name}"
        ours = {"precision": self.precision(), "threads": self.args.threads, "index_dir": str(index),
                "paths": stats["paths"], "questions": self.questions}
        peer = {"files": stats["files"], "persist_dir": str(persist), "questions": self.questions}
        log(f"{name}: ours ingest ({stats['documents']} documents)")
        ingest = run_child(_ours("ingest"), ours, self.tmp)
        log(f"{name}: peer ingest")
        peer_ingest = run_child(_peer("ingest"), peer, self.tmp)
        log(f"{name}: queries")
        self.report["ours"][name] = {"ingest": ingest, "query": _cold_start(run_child(_ours("query"), ours, self.tmp))}
        self.report["peer"][name] = {"ingest": peer_ingest,
                                     "query": _cold_start(run_child(_peer("query"), peer, self.tmp))}

    def cli_cold_start(self) -> float:
        """`assistant ask` end to end in a fresh process, on the small index, with the default settings and
        the machine's one-off steps (ONNX export, auto's probe) already cached, as after a first use."""
        run_child(_ours("choice"), {"threads": 0, "cache": None}, self.tmp)
        cli = Path(sys.executable).with_name("assistant")
        env = {**child_env(), "ASSISTANT_INDEX_DIR": str(self.tmp / "ours-small")}
        t0 = time.perf_counter()
        subprocess.run([str(cli), "ask", self.questions[0], "--json"], cwd=REPO, env=env, check=True,
                       capture_output=True)
        return round(time.perf_counter() - t0, 2)


# --- derived figures ------------------------------------------------------------------------------------
def recommend(gold: dict, speed: dict) -> tuple[str | None, str]:
    """Fastest precision (chunks per CPU-second, robust to other load) whose gold hit@1, hit@5 and answer
    accuracy stay within one point of fp32."""
    if "fp32" not in gold:
        return None, "no fp32 baseline measured"
    base = gold["fp32"]
    keys = ("hit_at_1", "hit_at_5", "answer_accuracy")
    ok = [p for p, g in gold.items() if p in speed and all((g[k] or 0) >= (base[k] or 0) - 0.01 for k in keys)]
    rate = {p: speed[p]["chunks"] / max(speed[p]["cpu_seconds"], 1e-9) for p in ok}
    best = max(ok, key=rate.__getitem__)
    return best, f"fastest of {sorted(ok)} (within 1 point of fp32 on {', '.join(keys)}): {rate[best]:.1f} chunks/CPU-s"


def _pairs(report: dict) -> dict[str, float | None]:
    ingest, query = report["ingest"], report["query"]
    return {
        "chunks_per_s": ingest["chunks_per_s"], "docs_per_s": ingest["docs_per_s"],
        "ingest_seconds": ingest["seconds"], "ingest_peak_rss_mb": ingest["peak_rss_mb"],
        "retrieve_p50_ms": query["retrieve_ms"]["p50"], "retrieve_p95_ms": query["retrieve_ms"]["p95"],
        "answer_p50_ms": query["answer_ms"]["p50"], "answer_p95_ms": query["answer_ms"]["p95"],
        "answer_cpu_p95_ms": query.get("answer_cpu_ms", {}).get("p95"),
        "cold_start_s": query["cold_start_s"], "query_peak_rss_mb": query["peak_rss_mb"],
    }


def ratios(ours: dict, peer: dict) -> dict:
    """ours / peer for every figure (above 1 is better for the throughputs, worse for the rest)."""
    a, b = _pairs(ours), _pairs(peer)
    return {k: round(a[k] / b[k], 2) if a[k] and b[k] else None for k in a}


def growth(side: dict) -> dict:
    """large / small for every figure of one pipeline."""
    a, b = _pairs(side["large"]), _pairs(side["small"])
    return {k: round(a[k] / b[k], 2) if a[k] and b[k] else None for k in a}


def _target(name: str, measured: float | None, limit: float, higher: bool = False) -> dict:
    met = None if measured is None else (measured >= limit if higher else measured <= limit)
    return {"target": name, "measured": measured, "limit": limit, "met": met}


def targets(report: dict) -> list[dict]:
    ours, name = report["ours"], "large" if "large" in report["ours"] else "small"
    shares = report["limit"]["backends"].get(report["precision"], {})
    rss = max(v[s]["peak_rss_mb"] for v in ours.values() for s in ("ingest", "query"))
    rows = [
        _target(f"ingest documents/s vs peer ({name})", report["ratios"][name]["docs_per_s"], 3.0, higher=True),
        _target("answer p95 ms, corpus/", ours["small"]["query"]["answer_ms"]["p95"], 100),
        _target("cold start s (first answer)", ours["small"]["query"]["cold_start_s"], 3.0),
        _target("cold start s (`assistant ask` CLI)", report["cli_cold_start_s"], 3.0),
        _target("peak RSS MB", rss, 1536),
        _target(f"embedding share of {shares.get('peak', '?')} peak", shares.get("share_of_peak"), 0.5, True),
        _target("embedding share of peak (CPU-time)", shares.get("share_of_peak_cpu"), 0.5, higher=True),
    ]
    if "large" in ours:
        rows.insert(2, _target("answer p95 ms, corpus/ + corpus-extra/", ours["large"]["query"]["answer_ms"]["p95"], 150))
    return rows


# --- printing -------------------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def render(report: dict) -> str:
    """The figures as plain-text tables."""
    lines = machine_lines(report)
    for name, r in report["ratios"].items():
        ours, peer = _pairs(report["ours"][name]), _pairs(report["peer"][name])
        lines.append(f"\n{name}: {report['corpora'][name]['documents']} documents, {report['corpora'][name]['mb']} MB")
        lines.append(f"  {'figure':22} {'ours':>10} {'peer':>10} {'ours/peer':>10}")
        lines += [f"  {k:22} {_fmt(ours[k])} {_fmt(peer[k])} {_fmt(r[k])}" for k in ours]
        lines.append("  CPU pressure (% of the last minute other work waited for a core) after ingest: ours "
                     f"{report['ours'][name]['ingest'].get('cpu_pressure_avg60')}, peer "
                     f"{report['peer'][name]['ingest'].get('cpu_pressure_avg60')}")
    for who, g in report.get("growth", {}).items():
        lines.append(f"\ngrowth large/small, {who}: " + ", ".join(f"{k} {v}" for k, v in g.items()))
    lines.append("\nlimit (GFLOP/s, int8 GOP/s; n×n matmul of each backend's own kernels): " + ", ".join(
        f"{k} {v['gflops']} ({v['gflops_per_cpu_s']}/CPU-s)" for k, v in report["limit"]["peaks"].items()))
    lines.append(f"  {'precision':10} {'chunks/s':>9} {'GFLOP/s':>8} {'peak':>10} {'share':>6} {'share/CPU':>9}"
                 f" {'cos fp32':>8} {'hit@1':>6} {'hit@5':>6} {'answers':>7}")
    for p, s in report["limit"]["backends"].items():
        g = report["precisions"].get(p, {})
        lines.append(f"  {p:10} {s['chunks_per_s']:9} {s['gflops']:8} {s['peak']:>10} {s['share_of_peak']:6}"
                     f" {s['share_of_peak_cpu']:9}"
                     f" {s.get('cosine_to_fp32', {}).get('mean', '-'):>8} {_fmt(g.get('hit_at_1'), 6)}"
                     f" {_fmt(g.get('hit_at_5'), 6)} {_fmt(g.get('answer_accuracy'), 7)}")
    lines.append(f"auto: now {report['auto']['current']}, recommended {report['auto']['recommended']} "
                 f"({report['auto']['reason']})")
    lines.append("\ntargets:")
    lines += [f"  {'MET ' if t['met'] else 'MISS' if t['met'] is False else '  - '} {t['target']}: "
              f"{t['measured']} (limit {t['limit']})" for t in report["targets"]]
    return "\n".join(lines)


def machine_lines(report: dict) -> list[str]:
    """The machine and the embedding backend auto chose on it, with the probe's figures."""
    cpu, choice = report["limit"]["cpu"], report["choice"]
    limits = {k: v for k, v in cpu.get("isa_limits", {}).items() if k != "note"}
    lines = [f"date {report['date']}  cpu {cpu['model']} x{cpu['cores']}  load {cpu['loadavg']}  "
             f"CPU pressure {cpu.get('cpu_pressure_avg60')} % (avg60)",
             f"flags {' '.join(f for f, on in cpu['flags'].items() if on)}"
             + (f"  ISA limits {limits} (emulated machine class; {cpu['isa_limits']['note']})" if limits else "")]
    probe = ", ".join(f"{p} {f['ms_per_text']} ms/text cos≥{f.get('cos_min')}" if "seconds" in f else f"{p} failed"
                      for p, f in sorted(choice["figures"].items(), key=lambda kv: kv[1].get("seconds", 1e9)))
    lines.append(f"auto chose {choice['precision']} on flags {' '.join(choice['machine']['flags'])}"
                 f" ({'cached ' + choice['measured_at'] if choice.get('cached') else 'probed now'}, "
                 f"{choice['probe_seconds']} s probe): {probe}")
    lines.append(f"benchmarked precision {report['precision']}")
    return lines


def _fmt(value: float | None, width: int = 10) -> str:
    return f"{'-' if value is None else round(value, 3):>{width}}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m evals.bench", description="Benchmark ours vs the LangChain tutorial.")
    p.add_argument("--small", type=Path, default=REPO / "corpus", help="the small corpus (default corpus/)")
    p.add_argument("--large", type=Path, default=REPO.parent / "shared" / "corpus-extra",
                   help="added to the small corpus for the large run (default ../shared/corpus-extra)")
    p.add_argument("--skip-large", action="store_true", help="measure the small corpus only")
    p.add_argument("--quick", action="store_true", help="5 questions, 32 texts, 10 gold items: a smoke run")
    p.add_argument("--precision", default=None, help="our embedder precision (default: what 'auto' picks)")
    p.add_argument("--fresh-choice", action="store_true",
                   help="probe auto's choice anew in a temporary cache (default: the machine's cached choice)")
    p.add_argument("--backends", default=",".join(PRECISIONS), help="precisions compared for speed and gold scores")
    p.add_argument("--questions", type=int, default=40, help="gold questions timed per pipeline")
    p.add_argument("--sample", type=int, default=600, help="chunk texts (sampled from both corpora) embedded per precision")
    p.add_argument("--seconds", type=float, default=2.0, help="seconds per matmul peak")
    p.add_argument("--gold-limit", type=int, default=None, help="gold items scored per precision (default all)")
    p.add_argument("--threads", type=int, default=2, help="threads for torch / ONNX Runtime")
    p.add_argument("--gold", type=Path, default=GOLD)
    p.add_argument("--out", type=Path, default=REPO / "evals" / "reports" / "bench.json")
    args = p.parse_args(argv)
    if args.quick:
        args.questions, args.sample, args.seconds = min(args.questions, 5), min(args.sample, 32), 0.5
        args.gold_limit = args.gold_limit or 10
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] in STEPS:  # a child process
        emit(STEPS[sys.argv[1]](json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
        return 0
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bipm-bench-") as tmp:
        report = Bench(args, Path(tmp)).run()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(render(report))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
