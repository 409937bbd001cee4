"""Run an ingest: discover (+ fetch) → load → clean → chunk → embed (only new chunks) → store → manifest.

Crash safety: for each group of documents, vectors are written first (in batches, as they are embedded),
then the group's manifest rows (with the vectors of its answer units) switch in one transaction.
The manifest is the source of truth for what is live, so a run killed at any point leaves the previous
index usable; the next run finds the vectors already written (same content-hash ids), embeds only the
rest, and deletes the orphans a killed run left behind. A file lock keeps two ingests from interleaving.

Serving through an ingest: a server may be answering from the version before a switch, so the vectors a
switch frees are recorded as garbage and deleted by the next run, not at once (`Manifest.garbage_due`).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from assistant.answer.coverage import document_vocabulary
from assistant.answer.evidence import Unit, units_of
from assistant.answer.evidence import unit_texts as texts_of_units
from assistant.errors import IndexBusy, IngestError
from assistant.index.embedder import MODEL_NAME, Embedder, make_embedder
from assistant.index.manifest import Manifest, UnitVectors, WordVectors, now_iso, texts_digest
from assistant.index.paths import lock_path, manifest_path
from assistant.index.store import VectorStore, chroma_client
from assistant.safety import instructions
from assistant.safety.instructions import chunk_scores
from assistant.settings import Settings
from assistant.types import Chunk, Document
from ingest.build import build_document, content_hash_for, display_path, doc_id_for
from ingest.chunk import chunk_document, embedding_text, make_splitter
from ingest.load import Limits, Skip, discover_all, parse, read_bytes
from ingest.web import Fetcher, WebOptions, WebResult, cache_dir_for

log = logging.getLogger(__name__)
GROUP_BATCHES = 4  # batches per manifest switch: one transaction per group of documents, not per document
WORDS_PER_CALL = 2048  # words given to the embedder at once (it batches them by length itself)
VOCABULARY_GROUP = 8 * GROUP_BATCHES  # documents per backfill transaction of word vectors (words are small)


@dataclass
class IngestSummary:
    """What an ingest did; `skipped` lists (path or URL, reason).

    ``embedded`` counts chunk vectors computed and written by this run (0 when nothing changed);
    ``units_embedded`` the answer units embedded for them (sentences, list items, headings);
    ``words_embedded`` the words of their vocabulary not stored before (for the answerer's term matching).
    """

    documents: int = 0
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    chunks_kept: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    units_embedded: int = 0
    words_embedded: int = 0
    fetched: int = 0
    not_modified: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    index_version: str = ""
    instruction_like: dict[str, int] = field(default_factory=dict)  # document → chunks that read as instructions
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per step (parse, embed chunks, ...)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the block to ``stages[stage]`` (where an ingest's time goes)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - t0

    def note_instructions(self, batch: list[tuple[Document, Chunk]], vectors: np.ndarray,
                          flag: float) -> list[float]:
        """Each chunk's instruction score (stored with it); documents with flagged chunks are counted here."""
        scores = chunk_scores([c.text for _, c in batch], vectors)
        for (doc, _), score in zip(batch, scores, strict=True):
            if score >= flag:
                self.instruction_like[doc.source] = self.instruction_like.get(doc.source, 0) + 1
        return scores

    @property
    def chunks_per_second(self) -> float:
        """Chunks embedded per second of the whole run."""
        return self.embedded / self.seconds if self.seconds else 0.0

    @property
    def docs_per_second(self) -> float:
        """Files handled (ingested, unchanged or skipped) per second of the whole run."""
        return self.files / self.seconds if self.seconds else 0.0


@dataclass
class Sources:
    """What to ingest: local files/folders (with globs), web pages and sitemaps."""

    paths: list[Path] = field(default_factory=list)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


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
    *,
    urls: Iterable[str] = (),
    sitemaps: Iterable[str] = (),
    web: WebOptions | None = None,
) -> IngestSummary:
    """Bring the index in line with ``paths`` (default: the corpus folder, unless URLs are given),
    ``urls`` and the pages listed by ``sitemaps``. Raises `IndexBusy` if another ingest is running."""
    sources = Sources([Path(p) for p in paths or []], tuple(include), tuple(exclude), tuple(urls),
                      tuple(sitemaps))
    if not (sources.paths or sources.urls or sources.sitemaps):
        sources.paths = [Path(settings.corpus_dir)]
    for root in sources.paths:
        if not root.exists():
            raise IngestError(f"Nothing to ingest: {root} does not exist. Check the path.")
    if settings.chroma_url:
        chroma_client(settings)  # a server that is down fails here, before the model is loaded
    lock = FileLock(str(lock_path(settings)), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(
            f"Another ingest is writing the index in {settings.index_dir}; wait for it to finish "
            "and run this one again."
        ) from None
    try:
        web = web or WebOptions(max_bytes=int(settings.max_file_mb * 1e6))
        pages = fetch_pages(settings, sources, web)  # a bad sitemap fails before the model loads
        return _Run(settings, embedder, progress).run(sources, pages)
    finally:
        lock.release()


def fetch_pages(settings: Settings, sources: Sources, options: WebOptions) -> WebResult:
    """Fetch the web pages of ``sources`` into the index's cache folder (nothing for local files)."""
    if not (sources.urls or sources.sitemaps):
        return WebResult()
    with Fetcher(cache_dir_for(settings.index_dir), options) as fetcher:
        return fetcher.collect(sources.urls, sources.sitemaps, sources.include, sources.exclude)


class _Run:
    def __init__(self, settings: Settings, embedder: Embedder | None, progress: bool | None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.store = VectorStore(settings)
        self.manifest = Manifest(manifest_path(settings))
        self.batch = max(1, min(settings.batch_size, self.store.max_batch))
        self.splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
        self.settings_key = f"{settings.chunk_size}/{settings.chunk_overlap}/{MODEL_NAME}"
        self.summary = IngestSummary()
        self.limits = Limits.from_settings(settings)
        self.show = sys.stderr.isatty() if progress is None else progress
        self.started = time.perf_counter()
        self.bar: tqdm | None = None

    @property
    def embedder(self) -> Embedder:
        """Loaded on first use: a run where nothing changed never loads the model."""
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    def run(self, sources: Sources, pages: WebResult) -> IngestSummary:
        self.summary.skipped += pages.failed
        self.summary.fetched, self.summary.not_modified = pages.fetched, pages.not_modified
        try:
            local, outside = discover_all(sources.paths, sources.include, sources.exclude)
            self.summary.skipped += outside
            files = sorted({*local, *pages.files})
            self.run_no = self.manifest.begin_run()
            known = self.manifest.hashes()
            self._ingest(files, known, pages.files)
            self._remove_missing([*sources.paths, *pages.gone], known, {doc_id_for(p) for p in files})
            self._backfill_units()
            self._backfill_scores()
            self._backfill_vocabulary()
            self._collect_orphans()
            self._finish()
        finally:
            self.manifest.close()
            self.store.close()
        return self.summary

    def _ingest(self, files: list[Path], known: dict[str, tuple[str, str]], urls: dict[Path, str]) -> None:
        """Prepare each file; embed, store and switch the manifest a group at a time."""
        self.bar = tqdm(total=len(files), desc="ingest", unit="doc", disable=not self.show,
                        dynamic_ncols=True, file=sys.stderr)
        group: list[_Pending] = []
        for path in files:
            self.summary.files += 1
            with self.summary.timed("parse and chunk"):
                pending = self._prepare(path, known, urls.get(path))
            if pending is None:
                self.bar.update(1)
                continue
            group.append(pending)
            if sum(len(p.chunks) for p in group) >= GROUP_BATCHES * self.batch:
                self._commit(group)
                group = []
        self._commit(group)
        self.bar.close()

    def _prepare(self, path: Path, known: dict[str, tuple[str, str]], url: str | None) -> _Pending | None:
        """The document and its chunks, or None when it is unchanged or must be skipped."""
        name = url or display_path(path)
        previous = known.get(doc_id_for(path))
        try:
            data = read_bytes(path, int(self.settings.max_file_mb * 1e6))
            if previous and previous[1] == content_hash_for(_sha256(data), self.settings_key):
                self.summary.unchanged += 1  # same bytes, same settings: not even parsed again
                return None
            doc = build_document(parse(path, data, self.limits), self.settings_key, url)
        except Skip as why:
            self.summary.skipped.append((name, str(why)))
            log.warning("skipped %s: %s", name, why)
            return None
        return _Pending(doc, str(path), chunk_document(doc, self.splitter), previous is None)

    def _commit(self, group: list[_Pending]) -> None:
        """Embed and write the vectors the store lacks, then switch the group in the manifest."""
        if not group:
            return
        wanted = {c.id: (p.doc, c) for p in group for c in p.chunks}
        with self.summary.timed("store writes"):
            have = self.store.existing(wanted)
        # Similar lengths in one batch waste less padding in the model.
        todo = sorted((wanted[i] for i in wanted if i not in have), key=lambda dc: len(dc[1].text))
        texts = [embedding_text(doc, c) for doc, c in todo]
        seen: dict[str, np.ndarray] = {}  # a text repeated in the group is embedded once
        for start in range(0, len(todo), self.batch):
            end = start + self.batch
            self._embed_and_write(todo[start:end], texts[start:end], seen)
        units = {p.doc.content_hash: units_of(p.doc) for p in group}
        docs = [p.doc for p in group]
        unit_vectors, words = self._unit_vectors(docs, units), self._words(docs, units)
        with self.summary.timed("manifest writes"):
            freed = self.manifest.replace_documents([(p.doc, p.path, p.chunks) for p in group], unit_vectors, words)
        self.summary.chunks_removed += len(freed)
        for p in group:
            self.summary.chunks_added += len(p.chunks)
            self.summary.added += p.is_new
            self.summary.updated += not p.is_new
        if self.bar is not None:
            self.bar.update(len(group))

    def _embed_and_write(self, batch: list[tuple[Document, Chunk]], texts: list[str],
                         seen: dict[str, np.ndarray]) -> None:
        """Embed one batch (each distinct text once) and write its vectors in one store call."""
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            with self.summary.timed("embed chunks"):
                seen.update(zip(new, self.embedder.embed(new), strict=True))
        vectors = np.stack([seen[t] for t in texts])
        with self.summary.timed("instruction scores"):
            scores = self.summary.note_instructions(batch, vectors, self.settings.instruction_flag)
        with self.summary.timed("store writes"):
            self.store.upsert(
                [c.id for _, c in batch], vectors, [c.text for _, c in batch],
                [_meta(d, c) | {"instruction": s} for (d, c), s in zip(batch, scores, strict=True)],
            )
        self.summary.embedded += len(batch)
        if self.bar is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{self.summary.embedded} chunks, {self.summary.embedded / elapsed:.1f} chunks/s")

    def _unit_vectors(self, docs: list[Document], units: dict[str, list[Unit]]) -> dict[tuple[str, str], UnitVectors]:
        """The vectors of each document's answer units, exactly as the answerer embeds them
        (`unit_text`, this embedder), with their instruction scores, keyed by (content hash, embedder name)."""
        texts = {d.content_hash: texts_of_units(units[d.content_hash]) for d in docs}
        flat = sorted({t for ts in texts.values() for t in ts}, key=len)  # similar lengths batch together
        vectors: dict[str, np.ndarray] = {}
        with self.summary.timed("embed units"):
            for start in range(0, len(flat), self.batch):
                part = flat[start : start + self.batch]
                vectors.update(zip(part, self.embedder.embed(part), strict=True))
        self.summary.units_embedded += len(flat)
        dim = self.embedder.dim
        out = {}
        with self.summary.timed("instruction scores"):
            for h, ts in texts.items():
                matrix = np.stack([vectors[t] for t in ts]) if ts else np.zeros((0, dim), np.float32)
                out[(h, self.embedder.name)] = _with_scores(texts_digest(ts), matrix, units[h])
        return out

    def _words(self, docs: list[Document], units: dict[str, list[Unit]]) -> WordVectors:
        """Vectors of the words of these documents' vocabulary that the index does not hold yet."""
        vocab: set[str] = set()
        for d in docs:
            vocab |= document_vocabulary(d.title, units[d.content_hash])
        name = self.embedder.name
        new = sorted(vocab - self.manifest.stored_words(name, vocab))
        vectors: dict[str, np.ndarray] = {}
        with self.summary.timed("embed words"):
            for start in range(0, len(new), WORDS_PER_CALL):
                part = new[start : start + WORDS_PER_CALL]
                vectors.update(zip(part, self.embedder.embed(part), strict=True))
        self.summary.words_embedded += len(new)
        return WordVectors(name, vectors, tuple(d.content_hash for d in docs))

    def _backfill_units(self) -> None:
        """Unit vectors for documents indexed before they were stored (or with another embedder), and again for
        documents whose answer units changed since (the answerer now splits their text otherwise): without
        them, every question about such a document would embed its units again."""
        if stale := self._stale_units():
            log.info("the answer units of %d documents changed since their vectors were stored", len(stale))
            self.manifest.forget_unit_vectors(stale)
        docs = self._documents_missing(self.manifest.missing_unit_vectors)
        if not docs:
            return
        log.info("computing answer-unit vectors of %d documents indexed without them", len(docs))
        for start in range(0, len(docs), GROUP_BATCHES):
            part = docs[start : start + GROUP_BATCHES]
            units = {d.content_hash: units_of(d) for d in part}
            self.manifest.put_unit_vectors(self._unit_vectors(part, units), self._words(part, units))

    def _stale_units(self) -> list[str]:
        """Content hashes of the documents whose stored unit vectors were made for other units than
        `units_of` now gives them (any embedder's: the texts are the same for all)."""
        stored = self.manifest.unit_texts_hashes()
        return [d.content_hash for d in self.manifest.documents()
                if d.content_hash in stored and stored[d.content_hash] != {texts_digest(unit_texts(d))}]

    def _backfill_scores(self) -> None:
        """Instruction scores of answer units whose vectors were stored before the scores were (or by another
        scorer): computed from the stored vectors, so the model is not loaded for them."""
        missing = self.manifest.missing_unit_scores(instructions.scorer_id())
        if not missing:
            return
        log.info("scoring the answer units of %d documents for instructions", len(missing))
        docs = {d.doc_id: d for d in self.manifest.documents()}
        for model in sorted({m for _, m in missing}):
            stored = self.manifest.unit_vectors(model)
            found = {}
            for doc_id in (d for d, m in missing if m == model):
                doc = docs[doc_id]
                uv, units = stored[doc.content_hash], units_of(doc)
                if uv.texts_hash == texts_digest(texts_of_units(units)):
                    found[(doc.content_hash, model)] = _with_scores(uv.texts_hash, uv.matrix, units)
            self.manifest.put_unit_vectors(found)

    def _backfill_vocabulary(self) -> None:
        """Word vectors of the vocabulary of documents indexed before they were stored (or with another
        embedder; without the model loaded, only documents with none at all count, as for unit vectors)."""
        docs = self._documents_missing(self.manifest.missing_vocabulary)
        if not docs:
            return
        log.info("computing the word vectors of the vocabulary of %d documents indexed without them", len(docs))
        for start in range(0, len(docs), VOCABULARY_GROUP):
            part = docs[start : start + VOCABULARY_GROUP]
            self.manifest.put_unit_vectors({}, self._words(part, {d.content_hash: units_of(d) for d in part}))

    def _documents_missing(self, missing: Callable[[str | None], list[str]]) -> list[Document]:
        """The indexed documents ``missing(embedder name)`` lists. Without the model loaded (nothing changed)
        the name is None and only documents with nothing stored count: such a run never loads the model."""
        name = self._embedder.name if self._embedder is not None else None
        ids = set(missing(name))
        return [d for d in self.manifest.documents() if d.doc_id in ids] if ids else []

    def _remove_missing(self, roots: list[Path], known: dict[str, tuple[str, str]], seen: set[str]) -> None:
        """Documents indexed from under these roots whose files are gone."""
        resolved = [r.resolve() for r in roots]
        gone = [d for d, (p, _) in known.items() if d not in seen and _under(Path(p), resolved)]
        gone = [d for d in gone if not Path(known[d][0]).exists()]
        if gone:
            freed = self.manifest.remove_documents(gone)
            self.summary.removed += len(gone)
            self.summary.chunks_removed += len(freed)

    def _collect_orphans(self) -> None:
        """Vectors freed by the previous run (no reader holds that version any more), and vectors left by
        a killed run that no version ever used. This run's garbage is kept for readers of the last version."""
        due = self.manifest.garbage_due(self.run_no)
        self.store.delete(due)
        self.manifest.forget_garbage(due)
        live = self.manifest.chunk_ids()
        orphans = self.store.all_ids() - live - self.manifest.garbage()
        if orphans:
            log.info("deleting %d orphan vectors", len(orphans))
            self.store.delete(orphans)
        self.manifest.drop_unused_unit_vectors()
        self.summary.chunks_kept = len(live) - self.summary.chunks_added

    def _finish(self) -> None:
        self.manifest.set("last_ingest", now_iso())
        self.manifest.set("embedding_model", MODEL_NAME)
        self.summary.documents = len(self.manifest.hashes())
        self.summary.index_version = self.manifest.version()
        self.summary.seconds = time.perf_counter() - self.started


def unit_texts(doc: Document) -> list[str]:
    """What the answerer embeds for each answer unit of ``doc``, in unit order."""
    return texts_of_units(units_of(doc))


def _with_scores(texts_hash: str, matrix: np.ndarray, units: list[Unit]) -> UnitVectors:
    """Unit vectors with each unit's instruction score (what the answerer filters evidence by)."""
    scores = instructions.scores([u.text for u in units], matrix)
    return UnitVectors(texts_hash, matrix, scores, instructions.scorer_id())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
