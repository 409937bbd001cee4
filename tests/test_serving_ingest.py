"""A served index changes under the server: `assistant serve` keeps answering, each answer from one version.

The way it failed (issue 15): four clients asking over HTTP while `assistant ingest`, in another process,
re-ingests a changed corpus into the served index gave HTTP 500s ("Error finding id"), reset connections,
and quotes shifted by the length of the changed sentence. Here the server and the ingests are real
processes; every citation is checked verbatim against the document text of the version its answer is
stamped with, and the changed fact must be what the first question after each ingest sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, LIAISON, free_port, liaison_workload
from test_server_mode import CHROMA, ChromaServer

from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.settings import Settings
from ingest.pipeline import run_ingest

pytestmark = [pytest.mark.server, pytest.mark.slow]

FACT_QUESTION = "What yearly workload in person days does cooperation with other organizations represent for the BIPM?"
OLD_FACT, NEW_FACT = liaison_workload()
# Inserted before the fact, so every later offset of the changed document moves (the quotes that stayed
# shifted by its length were the visible symptom).
INSERTED = "The BIPM reviews the list of these organizations with its committees every year. "
ANCHOR = "In a typical year, the BIPM's work"
QUESTIONS = (
    FACT_QUESTION,
    "Who is allowed to apply for a secondment?",
    "How many instances of travel by BIPM staff does the liaison work involve?",
    "How large is the BIPM's international staff?",
    "Is accommodation available near the BIPM for secondees?",
)
CLIENTS = 4
CYCLES = 4  # ingests: changed, original, changed, original
WAIT = 300.0  # seconds a server start or an ingest may take on a loaded 2-core machine


def write_version(docs: Path, changed: bool) -> None:
    """The corpus as it is (``changed=False``) or with one sentence added and one fact changed."""
    text = (CORPUS / LIAISON).read_text(encoding="utf-8")
    if changed:
        assert ANCHOR in text and OLD_FACT in text
        text = text.replace(ANCHOR, INSERTED + ANCHOR).replace(OLD_FACT, NEW_FACT)
    (docs / LIAISON).write_text(text, encoding="utf-8")


def cli(*args: str) -> list[str]:
    """The installed `assistant` command (PYTHONPATH, inherited, decides which code it runs)."""
    return [str(Path(sys.executable).parent / "assistant"), *args]


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    errors: list[str] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: dict | None, error: str | None) -> None:
        with self.lock:
            self.requests += 1
            if error is not None:
                self.errors.append(error)
            if answer is not None:
                self.answers.append(answer)


def ask(client: httpx.Client, question: str) -> tuple[dict | None, str | None]:
    try:
        response = client.post("/api/ask", json={"question": question})
    except httpx.HTTPError as exc:  # a reset connection counts as an error like a 500 does
        return None, f"{type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}: {response.text[:300]}"
    return response.json(), None


def client_loop(url: str, n: int, stop: threading.Event, tally: Tally) -> None:
    with httpx.Client(base_url=url, timeout=WAIT) as client:  # one keep-alive connection per client
        i = n
        while not stop.is_set():
            tally.add(*ask(client, QUESTIONS[i % len(QUESTIONS)]))
            i += 1


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A writable copy of the corpus and an index folder (filled by the test)."""
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    yield docs, tmp_path / "index"


class Server:
    """`assistant serve` in its own process on a free port."""

    def __init__(self, index: Path, log: Path, chroma_url: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra = ["--chroma-url", chroma_url] if chroma_url else []
        env = {**os.environ, "ASSISTANT_HOST": "127.0.0.1"}
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                cli("serve", "--port", str(self.port), "--index-dir", str(index), *extra),
                stdout=out, stderr=subprocess.STDOUT, env=env)
        self.log = log
        deadline = time.monotonic() + WAIT
        while not self.ready():
            assert self.proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "assistant serve did not become ready"
            time.sleep(0.3)

    def ready(self) -> bool:
        try:
            return bool(httpx.get(f"{self.url}/api/health", timeout=2).json().get("ready"))
        except (httpx.HTTPError, ValueError):
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def texts_of_version(settings: Settings) -> tuple[str, dict[str, str]]:
    """The index version now in the manifest and each document's text in it."""
    manifest = Manifest(manifest_path(settings))
    try:
        return manifest.version(), {d.doc_id: d.text for d in manifest.documents()}  # no ingest runs now
    finally:
        manifest.close()


def run_concurrent_reingests(docs: Path, index: Path, tmp_path: Path, embedder,
                             chroma_url: str | None = None) -> None:
    settings = Settings(index_dir=index, chroma_url=chroma_url)
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    versions = dict([texts_of_version(settings)])
    server = Server(index, tmp_path / "serve.log", chroma_url)
    stop, tally = threading.Event(), Tally()
    clients = [threading.Thread(target=client_loop, args=(server.url, n, stop, tally)) for n in range(CLIENTS)]
    extra = ["--chroma-url", chroma_url] if chroma_url else []
    after: list[tuple[str, str, dict | None, str | None]] = []  # (version, fact, first answer after it, error)
    try:
        for t in clients:
            t.start()
        time.sleep(2.0)  # the clients are asking before the first ingest starts
        for cycle in range(CYCLES):
            changed = cycle % 2 == 0
            write_version(docs, changed)
            done = subprocess.run(cli("ingest", str(docs), "--index-dir", str(index), "--no-progress", *extra),
                                  capture_output=True, text=True, timeout=WAIT, env=os.environ)
            assert done.returncode == 0, done.stderr[-3000:]
            version, texts = texts_of_version(settings)
            versions[version] = texts
            with httpx.Client(base_url=server.url, timeout=WAIT) as client:
                answer, error = ask(client, FACT_QUESTION)
            tally.add(answer, error)
            after.append((version, NEW_FACT if changed else OLD_FACT, answer, error))
            time.sleep(1.0)  # a few questions on the new version before the next change
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=WAIT)
        server.stop()

    quotes = check_quotes(tally.answers, versions)
    print(f"\n[{'chroma run' if chroma_url else 'embedded'}] requests={tally.requests} "
          f"errors={len(tally.errors)} answers={len(tally.answers)} quotes_checked={quotes} "
          f"ingests={CYCLES} versions_seen={len({a['stamp']['index_version'] for a in tally.answers})}")
    assert tally.errors == [], tally.errors[:5]
    assert quotes > 0
    for version, fact, answer, error in after:
        assert error is None, error
        assert answer is not None and answer["stamp"]["index_version"] == version
        assert any(fact in c["quote"] for c in answer["citations"]), answer["answer"]
    serve_log = server.log.read_text(errors="replace")
    assert "Traceback" not in serve_log, serve_log[-3000:]


def check_quotes(answers: list[dict], versions: dict[str, dict[str, str]]) -> int:
    """Every quote is ``document_text[start:end]`` of the version its answer was computed on."""
    checked = 0
    for answer in answers:
        texts = versions[answer["stamp"]["index_version"]]
        for c in answer["citations"]:
            assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"], (answer["stamp"], c)
            checked += 1
    return checked


def test_serving_through_reingests_of_an_embedded_index(served: tuple[Path, Path], tmp_path: Path,
                                                         embedder) -> None:
    docs, index = served
    run_concurrent_reingests(docs, index, tmp_path, embedder)


def test_serving_through_reingests_with_a_chroma_server(served: tuple[Path, Path], tmp_path: Path,
                                                         embedder) -> None:
    if not CHROMA.exists():
        pytest.skip("the chroma CLI is not installed next to this Python")
    docs, index = served
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    try:
        run_concurrent_reingests(docs, index, tmp_path, embedder, chroma.url)
    finally:
        chroma.stop()
