"""Typed values that cross module lines. All frozen."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Support = Literal["supported", "partial", "abstained"]


@dataclass(frozen=True)
class Section:
    """A heading and the span of cleaned text it governs."""

    heading: str
    start: int
    end: int
    level: int = 0  # a marked heading's depth ('## …' = 2); 0 when the source does not say (plain-text pages)


@dataclass(frozen=True)
class Document:
    """A cleaned document: the text citations point into, plus its metadata."""

    doc_id: str
    source: str
    title: str
    text: str
    sections: tuple[Section, ...] = ()
    language: str = "en"
    date: str = ""
    content_hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def context_title(self) -> str:
        """The title with the year the document's own metadata dates it to ('11th meeting of the CGPM (1960)');
        what retrieval reads around a chunk, never what is quoted."""
        year = str(self.meta.get("date", ""))[:4]
        return f"{self.title} ({year})" if year.isdigit() and year not in self.title else self.title

    def section_at(self, offset: int) -> str:
        """Heading of the section holding ``offset`` ('' before the first heading)."""
        heading = ""
        for section in self.sections:
            if section.start <= offset:
                heading = section.heading
        return heading

    def headings_above(self, offset: int) -> tuple[str, ...]:
        """The marked headings above the section holding ``offset``, outermost first ('12th CGPM, 1964' above
        'Resolution 6'); () when its heading is unmarked (levels unknown) or at the top."""
        sections = [s for s in self.sections if s.start <= offset]
        if not sections or not sections[-1].level:
            return ()
        above: list[str] = []
        depth = sections[-1].level
        for section in reversed(sections[:-1]):
            if 0 < section.level < depth:  # an ancestor, not a sibling ('Resolution 5') or a sibling's child
                above.append(section.heading)
                depth = section.level
        return tuple(reversed(above))


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document; ``id`` is a content hash, so unchanged text is never re-embedded."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str = ""
    position: int = 0


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the per-retriever evidence behind it."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None
    rank: int = 0

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer. ``quote`` is a verbatim span: ``document.text[start:end] == quote``."""

    n: int
    title: str
    source: str
    text: str
    quote: str
    score: float
    doc_id: str
    start: int
    end: int
    section: str = ""
    date: str = ""
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Stamp:
    """Provenance: which index, embedder and answerer produced an answer, and when."""

    index_version: str
    embedding_model: str
    answerer: str
    time: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns; the same shape feeds the CLI JSON, the UI and the HTTP API."""

    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    support: Support = "abstained"
    support_score: float = 0.0
    stamp: Stamp | None = None
    timings: dict[str, float] = field(default_factory=dict)
    question: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The documented ``--json`` shape."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "support": self.support,
            "support_score": round(self.support_score, 4),
            "citations": [c.to_dict() for c in self.citations],
            "stamp": self.stamp.to_dict() if self.stamp else None,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "notes": list(self.notes),
        }
