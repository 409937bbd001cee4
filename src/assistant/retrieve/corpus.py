"""An immutable snapshot of one index version: documents with their text, chunks, BM25, answer units and
their vectors. A server swaps whole snapshots between questions, so no answer mixes two versions."""

from __future__ import annotations

import fnmatch
import logging
import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from assistant.answer.evidence import Unit, unit_text, unit_texts, units_of
from assistant.index.manifest import Manifest, UnitVectors, texts_digest
from assistant.question import references as refs
from assistant.retrieve.acronyms import EXPANSION_SEPARATOR, find_expansions, spells_out
from assistant.retrieve.lexical import LexicalIndex
from assistant.safety import instructions
from assistant.text import content_lemmas, table_head
from assistant.types import Chunk, Document

if TYPE_CHECKING:
    from assistant.index.store import VectorStore

log = logging.getLogger(__name__)
Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Filters:
    """Restrict a question to some documents. Every field is optional."""

    language: str | None = None
    source: str | None = None  # glob over the document's path or source
    date_from: str | None = None  # ISO dates, compared as strings
    date_to: str | None = None
    doc_ids: frozenset[str] | None = None  # only these documents (the ones a question names)

    def admits(self, doc: Document) -> bool:
        if self.doc_ids is not None and doc.doc_id not in self.doc_ids:
            return False
        if self.language and doc.language != self.language:
            return False
        if self.source and not any(
            fnmatch.fnmatch(s, self.source) for s in (doc.source, str(doc.meta.get("path", "")))
        ):
            return False
        if self.date_from and doc.date < self.date_from:
            return False
        return not (self.date_to and doc.date[: len(self.date_to)] > self.date_to)

    def empty(self) -> bool:
        return not (self.language or self.source or self.date_from or self.date_to or self.doc_ids is not None)


SPELLINGS_KEPT = 256  # acronyms whose spelling-out rows a corpus view keeps


class CorpusView:
    """Documents, chunks, BM25, answer units and unit vectors of one manifest version.

    Everything is read in one SQLite read transaction, so it is one committed version even while an
    ingest commits. Caches (BM25, units, unit vectors) hang off the view, never off a longer-lived object,
    so a question that holds a view finishes on that version. ``store`` is the vector store view opened for
    this version by ``open_store`` (None: the caller's own store, e.g. a `chroma run` server, always current).
    """

    def __init__(self, manifest: Manifest, unit_model: str | None = None,
                 open_store: Callable[[CorpusView], VectorStore] | None = None) -> None:
        self.data_version = manifest.data_version()  # read first: a commit after it triggers a reload
        with manifest.reading():
            self.version = manifest.version()
            self.documents: dict[str, Document] = {d.doc_id: d for d in manifest.documents()}
            self.chunks: list[Chunk] = manifest.chunks()
            self.last_ingest = manifest.get("last_ingest")
            stored = manifest.unit_vectors(unit_model) if unit_model else {}
            scored = manifest.unit_scores(unit_model, instructions.scorer_id()) if unit_model else {}
        self.row_of = {c.id: i for i, c in enumerate(self.chunks)}
        self.chunk_count = Counter(c.doc_id for c in self.chunks)  # chunks per document
        # Opened after the read: every vector this version lists was written before its manifest commit.
        self.store = open_store(self) if open_store else None
        self._stored_units: dict[str, UnitVectors] = stored
        self._stored_scores = scored
        self._scores: dict[str, np.ndarray | None] = {}
        self._scored_now = False
        self._units: dict[str, list[Unit]] = {}
        self._unit_starts: dict[str, list[int]] = {}
        self._unit_lemmas: dict[tuple[str, int], frozenset[str]] = {}
        self._checked: dict[str, np.ndarray | None] = {}
        self._lazy: dict[tuple[str, int], np.ndarray] = {}
        self._lock = threading.Lock()
        self._chunk_vectors: tuple[VectorStore, np.ndarray | None] | None = None
        self._spelling: dict[str, tuple[int, ...]] = {}

    def spelling_out(self, acronym: str) -> tuple[int, ...]:
        """The rows of every chunk that spells out ``acronym`` (see `spells_out`): found by one pass over the
        collection, once per acronym (the ``SPELLINGS_KEPT`` latest), as each search of a question asks again."""
        rows = self._spelling.get(acronym)
        if rows is None:
            rows = tuple(r for r, c in enumerate(self.chunks) if acronym in c.text and spells_out(acronym, c.text))
            with self._lock:
                if len(self._spelling) >= SPELLINGS_KEPT:
                    self._spelling.pop(next(iter(self._spelling)))  # oldest first
                self._spelling[acronym] = rows
        return rows

    def units(self, doc_id: str) -> list[Unit]:
        """The answer units of a document of this version (quotes index into this version's text)."""
        units = self._units.get(doc_id)
        if units is None:
            units = self._units.setdefault(doc_id, units_of(self.documents[doc_id]))
        return units

    def chunk_units(self, chunk: Chunk) -> list[Unit]:
        """The answer units of ``chunk``'s document that overlap the chunk, in document order."""
        units = self.units(chunk.doc_id)
        starts = self._unit_starts.get(chunk.doc_id)
        if starts is None:
            starts = self._unit_starts.setdefault(chunk.doc_id, [u.start for u in units])
        # Units are in document order and do not overlap: the first one that can reach into the chunk is
        # the one starting just before it.
        first = max(bisect_right(starts, chunk.start) - 1, 0)
        last = bisect_left(starts, chunk.end)
        return [u for u in units[first:last] if u.end > chunk.start]

    def chunk_vectors(self, store: VectorStore) -> np.ndarray | None:
        """(len(chunks), dim) unit-length vectors of this version's chunks, in ``chunks`` order, read from
        ``store`` once per view; None when the store lacks a chunk's vector (search then asks the store)."""
        cached = self._chunk_vectors
        if cached is None or cached[0] is not store:
            ids = [c.id for c in self.chunks]
            found: dict[str, np.ndarray] = {}
            for start in range(0, len(ids), store.max_batch):
                found |= store.vectors(ids[start:start + store.max_batch])
            matrix = None
            if self.chunks and len(found) == len(self.chunks):
                matrix = np.stack([found[c.id] for c in self.chunks]).astype(np.float32)
                matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            cached = self._chunk_vectors = (store, matrix)  # one store per view: the version's, or the server
        return cached[1]

    def unit_lemmas(self, unit: Unit) -> frozenset[str]:
        """Content lemmas of ``unit``'s text, in its document's language (kept for this version)."""
        key = (unit.doc_id, unit.index)
        lemmas = self._unit_lemmas.get(key)
        if lemmas is None:
            lang = self.documents[unit.doc_id].language
            lemmas = self._unit_lemmas.setdefault(key, frozenset(content_lemmas(unit.text, lang)))
        return lemmas

    def unit_vectors(self, units: list[Unit], embed: Embed, dim: int) -> np.ndarray:
        """(len(units), dim) vectors of each unit's `unit_text`, as the answerer compares them.

        They come from the ingest when it stored them for this document's exact units and this embedder;
        otherwise (an index built before they were stored) the units are embedded now with ``embed``,
        once per view, and a log line says that re-running `assistant ingest` stores them.
        """
        if not units:
            return np.zeros((0, dim), dtype=np.float32)
        todo = [u for u in units if self._stored(u.doc_id) is None and (u.doc_id, u.index) not in self._lazy]
        if todo:
            # Once per version at warning level: answers are right, only slower, until the next ingest.
            (log.info if self._lazy else log.warning)(
                "embedding %d answer units at question time: the index has no stored unit vectors for "
                "this embedder (run `assistant ingest` once to store them)", len(todo))
            vectors = embed([unit_text(u, self.units(u.doc_id)) for u in todo])
            with self._lock:
                self._lazy.update({(u.doc_id, u.index): v for u, v in zip(todo, vectors, strict=True)})
        return np.array([self._vector(u) for u in units])  # rows of one shape: as np.stack, at a third of the cost

    def _vector(self, unit: Unit) -> np.ndarray:
        stored = self._stored(unit.doc_id)
        return stored[unit.index] if stored is not None else self._lazy[(unit.doc_id, unit.index)]

    def _stored(self, doc_id: str) -> np.ndarray | None:
        """The ingest's unit vectors of ``doc_id`` when they belong to exactly its current units."""
        if doc_id not in self._checked:
            uv = self._stored_units.get(self.documents[doc_id].content_hash)
            texts = unit_texts(self.units(doc_id))
            ok = uv is not None and uv.matrix.shape[0] == len(texts) and uv.texts_hash == texts_digest(texts)
            self._checked[doc_id] = uv.matrix if ok and uv is not None else None
        return self._checked[doc_id]

    def instruction_flags(self, units: list[Unit], vectors: np.ndarray) -> list[bool]:
        """Which ``units`` (with their ``vectors`` from `unit_vectors`) speak to the assistant.

        The scores come from the ingest when it stored them for these exact units, this embedder and this
        scorer; otherwise they are computed now (an index built before they were stored), with a log line.
        """
        if not units:
            return []
        scores = np.empty(len(units), dtype=np.float32)
        todo = []
        for i, u in enumerate(units):
            stored = self._stored_score(u.doc_id)
            if stored is None:
                todo.append(i)
            else:
                scores[i] = stored[u.index]
        if todo:
            # Once per version at warning level, as for unit vectors: answers are right, only slower.
            (log.info if self._scored_now else log.warning)(
                "scoring %d answer units for instructions at question time: the index has no stored scores "
                "for this embedder and scorer (run `assistant ingest` once to store them)", len(todo))
            self._scored_now = True
            scores[todo] = instructions.scores([units[i].text for i in todo], vectors[todo])
        return instructions.flagged(scores)

    def _stored_score(self, doc_id: str) -> np.ndarray | None:
        """The ingest's instruction scores of ``doc_id``'s units when they belong to exactly its current units."""
        if doc_id not in self._scores:
            content_hash = self.documents[doc_id].content_hash
            stored = self._stored_scores.get(content_hash)
            uv = self._stored_units.get(content_hash)
            ok = (stored is not None and uv is not None and self._stored(doc_id) is not None
                  and stored[0] == uv.texts_hash and stored[1].shape[0] == uv.matrix.shape[0])
            self._scores[doc_id] = stored[1] if ok and stored is not None else None
        return self._scores[doc_id]

    @cached_property
    def lexical(self) -> LexicalIndex:
        texts = [self._lexical_text(c) for c in self.chunks]
        langs = [self.documents[c.doc_id].language for c in self.chunks]
        return LexicalIndex(texts, langs)

    @cached_property
    def acronyms(self) -> dict[str, str]:
        """Acronym → its names as the documents spell them out before it, separated by EXPANSION_SEPARATOR:
        the one its letters spell ('WHO (World Health Organization)') and its frequent full names in either
        language (`references.full_names`: 'International Bureau of Weights and Measures (BIPM)', 'CCQM')."""
        found = find_expansions(c.text for c in self.chunks)
        named = self.spelled_out
        out = {}
        for acronym in {*found, *named}:
            spelled = [found[acronym]] if acronym in found else []
            out[acronym] = EXPANSION_SEPARATOR.join(dict.fromkeys([*spelled, *named.get(acronym, ())]))
        return out

    @cached_property
    def spelled_out(self) -> dict[str, tuple[str, ...]]:
        """Every acronym's frequent full names, as the documents write them before it (`references.full_names`)."""
        return refs.full_names((d.text for d in self.documents.values()), None)

    @cached_property
    def bodies(self) -> frozenset[str]:
        """The bodies the documents' metadata names (CGPM, CIPM, …)."""
        return refs.known_bodies(self.documents.values())

    @cached_property
    def body_names(self) -> dict[str, str]:
        """Short names of those bodies as the documents spell them out ('general conference' → CGPM)."""
        return refs.aliases((d.text for d in self.documents.values()), self.bodies) if self.bodies else {}

    @cached_property
    def question_names(self) -> dict[str, str]:
        """The names a question may give a body: its short and full names, and its subject's ('mass committee')."""
        return refs.question_names(self.body_names, self.full_names)

    @cached_property
    def names_of_bodies(self) -> dict[str, tuple[str, ...]]:
        """Each body with its short names (`body_names` turned round: 'CIPM' → ('international committee', …))."""
        out: dict[str, tuple[str, ...]] = {}
        for alias, body in self.body_names.items():
            out[body] = (*out.get(body, ()), alias)
        return out

    @cached_property
    def full_names(self) -> dict[str, tuple[str, ...]]:
        """Each body's full names as the documents spell them out (see `references.full_names`)."""
        return {body: names for body, names in self.spelled_out.items() if body in self.bodies}

    @cached_property
    def references(self) -> dict[str, refs.Reference]:
        """Each document's own reference: body, meeting ordinal, year (a committee's guide: the body its metadata
        names by full name)."""
        committees = {name.lower(): body for body, names in self.full_names.items() for name in names}
        return {d: refs.of_document(doc, committees) for d, doc in self.documents.items()}

    @cached_property
    def named_as(self) -> dict[str, str]:
        """Each document's metadata in the words questions name it with (see `references.named_as`)."""
        names, full = self.body_names, self.full_names
        return {d: refs.named_as(doc, self.references[d], names, full) for d, doc in self.documents.items()}

    def holds_record(self, asked: refs.Reference) -> bool:
        """Is the meeting or year ``asked`` names one the collection has a record of (see `references.recorded`)?"""
        return refs.recorded(asked, self.references.values())

    def referenced(self, asked: refs.Reference) -> frozenset[str]:
        """The documents whose meeting ``asked`` names (see `references.records_of`)."""
        return refs.records_of(asked, self.references)

    def _lexical_text(self, chunk: Chunk) -> str:
        doc = self.documents[chunk.doc_id]
        return f"{doc.context_title}\n{chunk.section}\n{table_head(doc.text, chunk.start)}\n{chunk.text}"

    def allowed(self, filters: Filters | None) -> tuple[list[str] | None, np.ndarray | None]:
        """Doc ids and a BM25 row mask for ``filters`` (None, None = everything)."""
        if filters is None or filters.empty():
            return None, None
        ids = [d for d, doc in self.documents.items() if filters.admits(doc)]
        keep = set(ids)
        mask = np.array([c.doc_id in keep for c in self.chunks], dtype=bool)
        return ids, mask

    def __len__(self) -> int:
        return len(self.chunks)
