"""An in-memory view of the indexed documents and chunks, rebuilt when the manifest changes."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from assistant.index.manifest import Manifest
from assistant.question import references as refs
from assistant.retrieve.acronyms import find_expansions
from assistant.retrieve.lexical import LexicalIndex
from assistant.types import Chunk, Document


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


class CorpusView:
    """Documents, chunks and the BM25 index of one manifest version."""

    def __init__(self, manifest: Manifest) -> None:
        self.version = manifest.version()
        self.data_version = manifest.data_version()
        self.documents: dict[str, Document] = {d.doc_id: d for d in manifest.documents()}
        self.chunks: list[Chunk] = manifest.chunks()
        self.row_of = {c.id: i for i, c in enumerate(self.chunks)}
        self.last_ingest = manifest.get("last_ingest")

    @cached_property
    def lexical(self) -> LexicalIndex:
        texts = [self._lexical_text(c) for c in self.chunks]
        langs = [self.documents[c.doc_id].language for c in self.chunks]
        return LexicalIndex(texts, langs)

    @cached_property
    def acronyms(self) -> dict[str, str]:
        """Acronym → expansion, as the documents spell them out ('WHO (World Health Organization)')."""
        return find_expansions(c.text for c in self.chunks)

    @cached_property
    def bodies(self) -> frozenset[str]:
        """The bodies the documents' metadata names (CGPM, CIPM, …)."""
        return refs.known_bodies(self.documents.values())

    @cached_property
    def body_names(self) -> dict[str, str]:
        """Short names of those bodies as the documents spell them out ('general conference' → CGPM)."""
        return refs.aliases((d.text for d in self.documents.values()), self.bodies) if self.bodies else {}

    @cached_property
    def references(self) -> dict[str, refs.Reference]:
        """Each document's own reference: body, meeting ordinal, year."""
        return {d: refs.of_document(doc) for d, doc in self.documents.items()}

    def referenced(self, asked: refs.Reference) -> frozenset[str]:
        """The documents whose meeting ``asked`` names."""
        return frozenset(d for d, r in self.references.items() if refs.document_match(asked, r))

    def _lexical_text(self, chunk: Chunk) -> str:
        doc = self.documents[chunk.doc_id]
        return f"{doc.context_title}\n{chunk.section}\n{chunk.text}"

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
