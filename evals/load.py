"""``python -m evals.load``: a bounded load test of the chat server on loopback.

N concurrent sessions each ask Q questions in turn (a conversation: later questions carry the
history), through the Gradio queue with gradio_client (what the chat page does) or through
``POST /api/ask``. Prints throughput, p50/p95/max latency and the error count.

    python -m evals.load --sessions 20 --questions 10             # serves the index itself
    python -m evals.load --url http://127.0.0.1:7860 --via api    # a server that is already running

Without --url the app is built from the environment (ASSISTANT_INDEX_DIR, or --index-dir) and
served on a free loopback port for the run. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

QUESTIONS = (
    "How do I apply for a secondment?",
    "Will I be paid during a secondment?",
    "Are there secondment openings this year?",
    "Which organizations does the BIPM have memoranda of understanding with?",
    "Who is the Department Director?",
    "What is his email address?",
    "Where is the BIPM located?",
    "What language skills are needed for a secondment?",
    "Who should I contact about international liaison?",
    "Is accommodation available near the BIPM?",
    "Quelles sont les conditions d'un détachement ?",
    "Will I be employed by the BIPM during the secondment?",
)
Via = Literal["gradio", "api"]


@dataclass
class LoadReport:
    """What one load run measured (latencies in seconds)."""

    via: str
    sessions: int
    questions: int
    requests: int = 0
    errors: int = 0
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]

    def summary(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "latencies"}
        return {**data, "throughput_rps": round(self.throughput, 3), "p50_s": round(self.percentile(50), 3),
                "p95_s": round(self.percentile(95), 3),
                "max_s": round(max(self.latencies, default=0.0), 3), "wall_s": round(self.wall_s, 2)}

    def render(self) -> str:
        s = self.summary()
        return (f"{s['sessions']} sessions x {s['questions']} questions via {s['via']}: {s['requests']} requests "
                f"in {s['wall_s']} s\nthroughput {s['throughput_rps']} req/s  p50 {s['p50_s']} s  "
                f"p95 {s['p95_s']} s  max {s['max_s']} s  errors {s['errors']}")


# --- one session ---------------------------------------------------------------------
def _gradio_session(url: str, auth: tuple[str, str] | None) -> Callable[[str], None]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, auth=auth)

    def ask(question: str) -> None:
        data = client.predict(question, api_name="/ask")[2]
        if not isinstance(data, dict) or "error" in data or "answer" not in data:
            raise RuntimeError(f"no answer: {str(data)[:200]}")

    return ask


def _api_session(url: str, auth: tuple[str, str] | None) -> Callable[[str], None]:
    import httpx

    client = httpx.Client(base_url=url, timeout=600, auth=auth)
    history: list[dict[str, str]] = []

    def ask(question: str) -> None:
        response = client.post("/api/ask", json={"question": question, "history": history[-8:]})
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        history.extend([{"role": "user", "content": question},
                        {"role": "assistant", "content": response.json()["answer"]}])

    return ask


def _session(url: str, via: Via, auth: tuple[str, str] | None, first: int, count: int,
             report: LoadReport, lock: threading.Lock) -> None:
    try:
        ask = (_gradio_session if via == "gradio" else _api_session)(url, auth)
    except Exception as exc:  # a session that cannot connect counts all its questions as failed
        with lock:
            report.requests += count
            report.errors += count
            report.error_samples.append(f"connect: {type(exc).__name__}: {exc}"[:300])
        return
    for i in range(count):
        question = QUESTIONS[(first + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            ask(question)
            error = None
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        elapsed = time.perf_counter() - started
        with lock:
            report.requests += 1
            report.latencies.append(elapsed)
            if error:
                report.errors += 1
                report.error_samples.append(error)


def run_load(url: str, sessions: int = 20, questions: int = 10, via: Via = "gradio",
             auth: tuple[str, str] | None = None) -> LoadReport:
    """``sessions`` concurrent conversations of ``questions`` questions each against ``url``."""
    report = LoadReport(via=via, sessions=sessions, questions=questions)
    lock = threading.Lock()
    threads = [threading.Thread(target=_session, args=(url.rstrip("/"), via, auth, s, questions, report, lock),
                                name=f"load-{s}") for s in range(sessions)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.wall_s = time.perf_counter() - started
    del report.error_samples[5:]
    return report


# --- command line --------------------------------------------------------------------
def _serve(index_dir: Path | None) -> Any:
    """Build the app from the environment and serve it on a free loopback port."""
    from assistant.interfaces.http import running
    from assistant.interfaces.ui import build_app
    from assistant.settings import load_settings

    settings = load_settings(index_dir=index_dir)
    app = build_app(settings)
    app.state.assistant_service.get()  # load the model before the clock starts
    return running(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="A running server; default: serve the index for the run.")
    parser.add_argument("--index-dir", type=Path, help="Index to serve when --url is not given.")
    parser.add_argument("--sessions", type=int, default=20, help="Concurrent sessions (default 20).")
    parser.add_argument("--questions", type=int, default=10, help="Questions per session (default 10).")
    parser.add_argument("--via", choices=["gradio", "api"], default="gradio", help="Gradio queue or /api/ask.")
    parser.add_argument("--auth", help="user:password when the server asks for a login.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    with _serve(args.index_dir) if not args.url else nullcontext(args.url) as url:
        report = run_load(url, args.sessions, args.questions, args.via, auth)  # type: ignore[arg-type]
    print(json.dumps(report.summary(), indent=2) if args.json else report.render())
    for sample in report.error_samples:
        print(f"  error: {sample}", file=sys.stderr)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
