"""Chroma client/server mode: ASSISTANT_CHROMA_URL points ingest and ask at a real `chroma run` server.

The manifest (documents, cleaned text, chunk rows) stays in ASSISTANT_INDEX_DIR even in server mode.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, free_port
from typer.testing import CliRunner

from assistant.assistant import Assistant
from assistant.errors import BackendUnavailable
from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.index.store import VectorStore
from assistant.settings import Settings
from ingest.pipeline import run_ingest

pytestmark = [pytest.mark.server, pytest.mark.slow]
CHROMA = Path(sys.executable).parent / "chroma"
QUESTION = "What yearly workload in person days does cooperation with other organizations represent for the BIPM?"


class ChromaServer:
    """`chroma run` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.parent / f"chroma-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        deadline = time.monotonic() + 60
        while not self.alive():
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "chroma run did not answer its heartbeat"
            time.sleep(0.2)

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.skip("the chroma CLI is not installed next to this Python")
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder) -> CliRunner:
    """The CLI, with the session's embedder instead of loading a second copy of the model."""
    monkeypatch.setattr("ingest.pipeline.make_embedder", lambda settings: embedder)
    monkeypatch.setattr("assistant.assistant.make_embedder", lambda settings: embedder)
    return CliRunner()


def test_ingest_and_ask_through_a_chroma_server(chroma_server: ChromaServer, tmp_path: Path,
                                                 embedder) -> None:
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma_server.url)
    summary = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert (summary.added, summary.skipped) == (2, [])

    store = VectorStore(settings)
    assert store.client.__class__.__name__ != "PersistentClient"  # really the HTTP client
    manifest = Manifest(manifest_path(settings))
    assert store.all_ids() == manifest.chunk_ids() and store.count() == summary.chunks_added
    manifest.close()
    store.close()
    assert not (tmp_path / "index" / "chroma").exists()  # vectors live in the server, not locally
    assert manifest_path(settings).exists()  # ... the manifest does live locally

    bot = Assistant(settings, embedder=embedder)
    answer = bot.ask(QUESTION)
    assert not answer.abstained, answer.text
    assert any("355 person days" in c.quote for c in answer.citations)

    again = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert (again.unchanged, again.embedded) == (2, 0)

    chroma_server.stop()  # the server goes away under a running assistant: one clear error
    with pytest.raises(BackendUnavailable, match="Check that `chroma run` is still running"):
        bot.ask(QUESTION)


def test_cli_against_a_chroma_server(chroma_server: ChromaServer, cli: CliRunner, tmp_path: Path) -> None:
    from assistant.interfaces.cli import app

    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    result = cli.invoke(app, ["ingest", str(docs), "--chroma-url", chroma_server.url])
    assert result.exit_code == 0, result.output
    assert f"Ingest into {chroma_server.url}" in result.stdout
    result = cli.invoke(app, ["ask", QUESTION, "--json", "--chroma-url", chroma_server.url])
    assert result.exit_code == 0, result.output
    assert "355 person days" in result.stdout


def test_server_down_is_one_clear_error(tmp_path: Path, cli: CliRunner, built_index: Path) -> None:
    from assistant.interfaces.cli import app

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(BackendUnavailable, match=f"Cannot reach the Chroma server at {url}"):
        run_ingest(Settings(chroma_url=url), [CORPUS], progress=False)

    for args in (["ingest", str(CORPUS)], ["ask", QUESTION, "--index-dir", str(built_index)]):
        result = cli.invoke(app, [*args, "--chroma-url", url])
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: Cannot reach the Chroma server at {url}")
        assert "chroma run --path DIR --host 127.0.0.1" in lines[0]
        assert "Traceback" not in result.output
