"""Run an ingest: discover → load → clean → chunk → embed (only new chunks) → store → switch manifest.

Crash safety: vectors are written first, then each document's manifest rows switch in one transaction,
then vectors nobody references are deleted. A run killed at any point leaves the previous index usable;
the next run finds the vectors already written (same content-hash ids) and finishes the work.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm import tqdm

from assistant.errors import IndexBusy, IngestError
from assistant.index.embedder import MODEL_NAME, Embedder, make_embedder
from assistant.index.manifest import Manifest, now_iso
from assistant.index.paths import lock_path, manifest_path
from assistant.index.store import VectorStore
from assistant.settings import Settings
from assistant.types import Chunk, Document
from ingest.build import build_document, display_path, doc_id_for
from ingest.chunk import chunk_document, embedding_text, make_splitter
from ingest.load import Skip, discover, load

log = logging.getLogger(__name__)
GROUP_CHUNKS = 256  # chunks embedded per call: big enough for length-sorted batching


@dataclass
class IngestSummary:
    """What an ingest did; `skipped` lists (path, reason)."""

    documents: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    chunks_kept: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    index_version: str = ""

    @property
    def chunks_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


@dataclass
class _Pending:
    doc: Document
    path: str
    chunks: list[Chunk]
    is_new: bool


def run_ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    progress: bool | None = None,
    embedder: Embedder | None = None,
) -> IngestSummary:
    """Bring the index in line with the files under ``paths`` (default: the corpus folder)."""
    roots = [Path(p) for p in (paths or [settings.corpus_dir])]
    for root in roots:
        if not root.exists():
            raise IngestError(f"Nothing to ingest: {root} does not exist.")
    lock = FileLock(str(lock_path(settings)), timeout=0)
    try:
        with lock:
            return _Run(settings, embedder or make_embedder(settings), progress).run(roots, include, exclude)
    except Timeout:
        raise IndexBusy(
            f"Another ingest is writing the index in {settings.index_dir}; wait for it to finish."
        ) from None


class _Run:
    def __init__(self, settings: Settings, embedder: Embedder, progress: bool | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.manifest = Manifest(manifest_path(settings))
        self.store = VectorStore(settings, embedder)
        self.splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
        self.settings_key = f"{settings.chunk_size}/{settings.chunk_overlap}/{MODEL_NAME}"
        self.summary = IngestSummary()
        self.show = sys.stderr.isatty() if progress is None else progress

    def run(self, roots: list[Path], include: Iterable[str], exclude: Iterable[str]) -> IngestSummary:
        started = time.perf_counter()
        files = discover(roots, include, exclude)
        known = self.manifest.hashes()
        seen: set[str] = set()
        group: list[_Pending] = []
        bar = tqdm(files, desc="ingest", unit="doc", disable=not self.show, dynamic_ncols=True)
        for path in bar:
            seen.add(doc_id_for(path))
            pending = self._prepare(path, known)
            if pending is not None:
                group.append(pending)
            if sum(len(p.chunks) for p in group) >= GROUP_CHUNKS:
                self._commit(group)
                group = []
            rate = self.summary.embedded / max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(chunks=self.summary.embedded, chunks_s=f"{rate:.0f}", refresh=False)
        self._commit(group)
        self._remove_missing(roots, known, seen)
        self._collect_orphans()
        self.manifest.set("last_ingest", now_iso())
        self.manifest.set("embedding_model", MODEL_NAME)
        self.summary.documents = len(self.manifest.hashes())
        self.summary.index_version = self.manifest.version()
        self.summary.seconds = time.perf_counter() - started
        self.manifest.close()
        return self.summary

    def _prepare(self, path: Path, known: dict[str, tuple[str, str]]) -> _Pending | None:
        try:
            loaded = load(path, int(self.settings.max_file_mb * 1e6))
            doc = build_document(loaded, self.settings_key)
        except Skip as why:
            self.summary.skipped.append((display_path(path), str(why)))
            log.warning("skipped %s: %s", display_path(path), why)
            return None
        previous = known.get(doc.doc_id)
        if previous and previous[1] == doc.content_hash:
            self.summary.unchanged += 1
            return None
        chunks = chunk_document(doc, self.splitter)
        return _Pending(doc, str(path), chunks, previous is None)

    def _commit(self, group: list[_Pending]) -> None:
        """Embed the chunks the store lacks, write them, then switch each document in the manifest."""
        if not group:
            return
        wanted = {c.id: (p.doc, c) for p in group for c in p.chunks}
        have = self.store.existing(wanted)
        todo = [wanted[i] for i in wanted if i not in have]
        if todo:
            vectors = self.embedder.embed([embedding_text(doc, c) for doc, c in todo])
            self.store.upsert(
                [c.id for _, c in todo], vectors, [c.text for _, c in todo], [_meta(d, c) for d, c in todo]
            )
            self.summary.embedded += len(todo)
        for p in group:
            freed = self.manifest.replace_document(p.doc, p.path, p.chunks)
            self.store.delete(freed)
            self.summary.chunks_removed += len(freed)
            self.summary.chunks_added += len(p.chunks)
            self.summary.added += p.is_new
            self.summary.updated += not p.is_new

    def _remove_missing(self, roots: list[Path], known: dict[str, tuple[str, str]], seen: set[str]) -> None:
        """Documents indexed from under these roots whose files are gone."""
        resolved = [r.resolve() for r in roots]
        gone = [d for d, (p, _) in known.items() if d not in seen and _under(Path(p), resolved)]
        gone = [d for d in gone if not Path(known[d][0]).exists()]
        if gone:
            freed = self.manifest.remove_documents(gone)
            self.store.delete(freed)
            self.summary.removed += len(gone)
            self.summary.chunks_removed += len(freed)

    def _collect_orphans(self) -> None:
        """Vectors left by a killed run that no document uses any more."""
        live = self.manifest.chunk_ids()
        orphans = self.store.all_ids() - live
        if orphans:
            self.store.delete(orphans)
        self.summary.chunks_kept = len(live) - self.summary.chunks_added


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _meta(doc: Document, chunk: Chunk) -> dict[str, str | int]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "section": chunk.section,
        "position": chunk.position,
        "language": doc.language,
        "date": doc.date,
    }
