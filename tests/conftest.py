"""Shared fixtures: a clean environment, the real embedding model once per session, a built index."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
LIAISON = "bipm-liaison-work.txt"


def liaison_workload() -> tuple[str, str]:
    """The liaison page's yearly workload figure as the page writes it ("<n> person days"), and the figure the
    corpus-change tests put in its place. Read from the document, not quoted here: the tests change a fact of
    the corpus and need only some figure of it."""
    text = (CORPUS / LIAISON).read_text(encoding="utf-8")
    match = re.search(r"\b(\d+) person days\b", text)
    assert match, f"{LIAISON} no longer gives its workload in person days"
    return match.group(0), f"{int(match.group(1)) + 57} person days"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder per test session: the locally exported ONNX model is built once, not per test."""
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_cache: Path) -> None:
    """No test sees the user's settings, keys or home directory, or reaches a hub."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") or key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(session_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))


@pytest.fixture(scope="session")
def embedder():
    """The packaged MiniLM as the product serves it on this machine, loaded once: `make_embedder` with the
    default settings, i.e. the backend `auto` measures fastest among those agreeing with fp32 (onnx-int8 on the
    machines measured so far). Behaviour floors and answers near a threshold are then those users get."""
    from assistant.index.embedder import make_embedder
    from assistant.settings import Settings

    return make_embedder(Settings())


@pytest.fixture(scope="session")
def torch_embedder():
    """The packaged MiniLM through sentence-transformers (torch), the reference other backends must agree with."""
    from assistant.index.embedder import MiniLMEmbedder

    return MiniLMEmbedder("auto")


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """corpus/ ingested once per session into a temporary index; treat it as read-only."""
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    index_dir = tmp_path_factory.mktemp("index")
    run_ingest(Settings(index_dir=index_dir, corpus_dir=CORPUS), [CORPUS], progress=False, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def bot(built_index: Path, embedder):
    """An Assistant over the session index."""
    from assistant.assistant import Assistant
    from assistant.settings import Settings

    return Assistant(Settings(index_dir=built_index), embedder=embedder)


@pytest.fixture
def index_copy(built_index: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the session index."""
    target = tmp_path / "index-copy"
    shutil.copytree(built_index, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> Iterator[int]:
    yield free_port()
