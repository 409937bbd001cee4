"""Crash safety for real: `python -m ingest` killed with SIGKILL at several points, and two ingests at once.

After each kill the previous index must still answer with citations, every chunk the manifest lists must
have its vector, and the next run must finish the work, embedding only what the killed runs had not
written. Kill points are found by watching the manifest and Chroma's SQLite file (read-only) from here.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.assistant import Assistant
from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.index.store import VectorStore
from assistant.settings import Settings
from ingest.pipeline import run_ingest

pytestmark = [pytest.mark.slow]

# 40 small real BIPM documents (from ../shared/corpus-extra: the consultative committees' outcomes, then
# the shortest JCRB meetings), kept in the repository so the test runs on any clone.
CRASH_DOCS = Path(__file__).resolve().parent / "data" / "crash"
QUESTION = "What yearly workload in person days does cooperation with other organizations represent for the BIPM?"
BATCH = "8"  # small batches and groups: many commits, so there is a 'after some commits' to kill at
EARLY = 0.2  # seconds after the start: still importing (the ingest modules alone take ~0.5 s to import, warm)
WAIT = 300.0  # seconds before a trigger gives up (a loaded 2-core machine is slow, never this slow)


def crash_corpus(target: Path) -> Path:
    """A copy of the 40 crash-test documents (kills and reruns write nothing into the repository)."""
    names = sorted(p.name for p in CRASH_DOCS.glob("*.md"))
    target.mkdir()
    for name in names:
        (target / name).write_bytes((CRASH_DOCS / name).read_bytes())
    assert len(names) == 40
    return target


def start_ingest(index: Path, docs: Path) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_BATCH_SIZE": BATCH}
    return subprocess.Popen([sys.executable, "-m", "ingest", str(docs), "--no-progress"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(db: Path, sql: str) -> int:
    """A count read from a live SQLite file without writing to it (-1 while it is not there yet)."""
    if not db.exists():
        return -1
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:  # schema not created yet, or a writer holds it for a moment
        return -1


def documents(index: Path) -> int:
    return count(index / "manifest.sqlite3", "SELECT count(*) FROM documents")


def vectors(index: Path) -> int:
    return count(index / "chroma" / "chroma.sqlite3", "SELECT count(*) FROM embeddings")


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool]) -> None:
    """SIGKILL ``proc`` as soon as ``ready()``; fail if it finished first (the corpus is too small)."""
    deadline = time.monotonic() + WAIT
    while not ready():
        assert proc.poll() is None, f"ingest finished before the kill point:\n{proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def ahead(index: Path) -> int:
    """Vectors stored beyond the chunks the manifest lists (vectors read first: a commit in between
    can only make this smaller, never fake a positive)."""
    stored = vectors(index)
    return stored - count(index / "manifest.sqlite3", "SELECT count(*) FROM chunks")


class CommitCounter:
    """True once the manifest's document count has changed ``commits`` times since it was made."""

    def __init__(self, index: Path, commits: int) -> None:
        self.index, self.commits = index, commits
        self.seen = [documents(index)]

    def __call__(self) -> bool:
        now = documents(self.index)
        if now != self.seen[-1]:
            self.seen.append(now)
        return len(self.seen) > self.commits


def live_ids(settings: Settings) -> set[str]:
    manifest = Manifest(manifest_path(settings))
    try:
        docs = {d.doc_id for d in manifest.documents()}
        chunks = manifest.chunks()
        assert {c.doc_id for c in chunks} == docs  # every document has chunks, no chunk lost its document
        return {c.id for c in chunks}
    finally:
        manifest.close()


def stored_ids(settings: Settings) -> set[str]:
    store = VectorStore(settings)
    try:
        return store.all_ids()
    finally:
        store.close()


def assert_usable(settings: Settings, embedder) -> set[str]:
    """The index answers with citations and every live chunk has a vector; returns the stored ids."""
    bot = Assistant(settings, embedder=embedder)
    try:
        answer = bot.ask(QUESTION)
    finally:
        bot.store.close()
        bot.manifest.close()
    assert not answer.abstained, answer.text
    assert any("355 person days" in c.quote for c in answer.citations)
    stored = stored_ids(settings)
    missing = live_ids(settings) - stored
    assert not missing, f"{len(missing)} manifest chunks have no vector"
    return stored


def test_killed_ingests_leave_a_usable_index_and_the_next_run_finishes(
    tmp_path: Path, index_copy: Path, embedder
) -> None:
    docs = crash_corpus(tmp_path / "docs")
    settings = Settings(index_dir=index_copy, batch_size=int(BATCH))
    base_docs = documents(index_copy)

    # 1. Early: while the process is still starting (imports, lock, model), before it writes anything. (A
    # fixed second was too long on a warm machine: the run had written a group's vectors, so run 2 found
    # them and switched its first group before writing any new vector, and never passed its kill point.)
    before_vectors = vectors(index_copy)
    proc = start_ingest(index_copy, docs)
    time.sleep(EARLY)
    kill_when(proc, lambda: True)
    assert (vectors(index_copy), documents(index_copy)) == (before_vectors, base_docs), "not killed early"
    assert_usable(settings, embedder)

    # 2. Mid-embedding: new vectors are being written, no document has switched in this run yet. (Compared
    # with the documents after run 1, not before it: on a warm machine run 1 may already commit a group
    # within its first second.)
    start_vectors, start_docs = vectors(index_copy), documents(index_copy)
    proc = start_ingest(index_copy, docs)
    kill_when(proc, lambda: vectors(index_copy) > start_vectors and documents(index_copy) == start_docs)
    assert_usable(settings, embedder)

    # 3. After some manifest commits (two groups switched), while the next group's vectors are written.
    proc = start_ingest(index_copy, docs)
    two_commits = CommitCounter(index_copy, commits=2)
    kill_when(proc, lambda: two_commits() and ahead(index_copy) > 0)
    before = assert_usable(settings, embedder)
    committed = documents(index_copy)
    assert committed > base_docs
    written_ahead = before - live_ids(settings)
    assert written_ahead  # vectors of documents the manifest has not switched to yet

    # 4. The next run completes the work, embedding only the vectors the killed runs had not written.
    summary = run_ingest(settings, [docs], progress=False, embedder=embedder)
    assert summary.skipped == []
    assert summary.documents == base_docs + 40
    assert summary.added == base_docs + 40 - committed
    assert summary.unchanged == committed - base_docs
    live = live_ids(settings)
    assert stored_ids(settings) == live  # no orphans left behind
    assert summary.embedded == len(live - before)
    assert written_ahead & live  # ... which the next run used instead of embedding them again


def test_second_concurrent_ingest_is_refused(tmp_path: Path) -> None:
    docs = crash_corpus(tmp_path / "docs")
    index = tmp_path / "index"
    first = start_ingest(index, docs)
    try:
        deadline = time.monotonic() + WAIT
        while documents(index) < 0:  # the manifest exists once the first run holds the lock
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = start_ingest(index, docs)
        out, err = second.communicate(timeout=WAIT)
        assert first.poll() is None, "the first ingest ended too early for this test to mean anything"
    finally:
        first.kill()
        first.communicate()
    assert second.returncode == 1
    assert err.strip() == (
        f"error: Another ingest is writing the index in {index}; wait for it to finish and run this one again."
    )
    assert out == ""
