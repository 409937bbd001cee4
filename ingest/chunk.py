"""Split a cleaned document into heading-aware, sentence-friendly chunks with exact offsets."""

from __future__ import annotations

import hashlib
from collections import Counter

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.text import table_head
from assistant.types import Chunk, Document, Section

# Paragraphs first, then list items/lines, then sentences, then words.
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_document(doc: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Chunks never cross a section boundary; ``doc.text[c.start:c.end] == c.text`` for every chunk."""
    chunks: list[Chunk] = []
    seen: Counter[tuple[str, str]] = Counter()  # the same text twice under one heading needs two ids
    for heading, start, end in _spans(doc):
        piece = doc.text[start:end]
        for part in splitter.create_documents([piece]):
            offset = start + int(part.metadata["start_index"])
            text = part.page_content
            if doc.text[offset : offset + len(text)] != text:  # splitter could not locate it: search
                offset = doc.text.find(text, start)
            chunks.append(_chunk(doc, heading, text, offset, len(chunks), seen[(heading, text)]))
            seen[(heading, text)] += 1
    return chunks


def _spans(doc: Document) -> list[tuple[str, int, int]]:
    """(heading, start, end) for the text before the first heading and for each section."""
    sections: list[Section] = list(doc.sections)
    first = sections[0].start if sections else len(doc.text)
    spans = [("", 0, first)] if doc.text[:first].strip() else []
    spans += [(s.heading, s.start, s.end) for s in sections]
    return [(h, s, e) for h, s, e in spans if doc.text[s:e].strip()]


def _chunk(doc: Document, heading: str, text: str, offset: int, position: int, repeat: int = 0) -> Chunk:
    """``repeat`` counts earlier identical chunks; the first keeps the plain content hash."""
    salt = f"\x00{repeat}" if repeat else ""
    digest = hashlib.sha256(f"{doc.doc_id}\x00{heading}\x00{text}{salt}".encode()).hexdigest()[:32]
    return Chunk(digest, doc.doc_id, text, offset, offset + len(text), heading, position)


def embedding_text(doc: Document, chunk: Chunk) -> str:
    """What the embedder sees: the chunk with its context (document title, its dated year, section heading, and
    for a chunk cut from the middle of a table, the table's caption and first row).

    Only the chunk's own words are ever quoted; the context only helps find it."""
    head = chunk.section if chunk.section and not chunk.text.startswith(chunk.section) else ""
    return "\n".join(part for part in (doc.context_title, head, table_head(doc.text, chunk.start), chunk.text) if part)

