"""Answer units: sentences, list items and headings of a document, with exact offsets and structure."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.text import split_sentences
from assistant.types import Document


@dataclass(frozen=True)
class Unit:
    """The smallest quotable piece: ``doc.text[start:end] == text``."""

    doc_id: str
    index: int
    kind: str  # "sent" | "item" | "heading"
    text: str
    start: int
    end: int
    section: str
    block: int  # paragraph or list number inside the document
    lead: int | None = None  # for items: index of the unit introducing the list
    above: tuple[str, ...] = ()  # the marked headings above ``section``, outermost first (Document.headings_above)


def units_of(doc: Document) -> list[Unit]:
    """Split a cleaned document into units; a list's items point back to the sentence or heading before it."""
    heading_starts = {s.start for s in doc.sections}
    units: list[Unit] = []
    block = 0
    pos = 0
    prev_line_item = False
    last_intro: int | None = None
    above: tuple[str, ...] = ()
    next_section = 0
    for line in doc.text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            prev_line_item = False
            continue
        section = doc.section_at(start)
        if start >= next_section:  # the headings above change only where a section starts
            above = doc.headings_above(start)
            next_section = min((s.start for s in doc.sections if s.start > start), default=len(doc.text) + 1)
        if line.startswith("- "):
            if not prev_line_item:
                block += 1
            units.append(Unit(doc.doc_id, len(units), "item", line[2:], start + 2, end, section, block, last_intro,
                              above))
            prev_line_item = True
            continue
        block += 1
        prev_line_item = False
        if start in heading_starts:
            units.append(Unit(doc.doc_id, len(units), "heading", line, start, end, section, block, above=above))
            last_intro = len(units) - 1
            continue
        for a, b in split_sentences(line):
            units.append(Unit(doc.doc_id, len(units), "sent", line[a:b], start + a, start + b, section, block,
                              above=above))
        last_intro = len(units) - 1
    return units
