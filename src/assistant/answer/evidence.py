"""Answer units: sentences, list items, table rows and headings of a document, with exact offsets and structure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import split_sentences
from assistant.types import Document


@dataclass(frozen=True)
class Unit:
    """The smallest quotable piece: ``doc.text[start:end] == text``."""

    doc_id: str
    index: int
    kind: str  # "sent" | "item" | "row" | "heading"
    text: str
    start: int
    end: int
    section: str
    block: int  # paragraph or list number inside the document
    lead: int | None = None  # for items: index of the unit introducing the list; for rows: the table's first row
    above: tuple[str, ...] = ()  # the marked headings above ``section``, outermost first (Document.headings_above)


# A table's rule under its header row ('|---|:---:|'): layout, not a unit of its own.
TABLE_RULE_RE = re.compile(r"^\|[\s:|-]*-[\s:|-]*\|$")


def units_of(doc: Document) -> list[Unit]:
    """Split a cleaned document into units; a list's items point back to the sentence or heading before it, a
    table's rows (one block) to its first row, the one that names its columns."""
    heading_starts = {s.start for s in doc.sections}
    units: list[Unit] = []
    block = 0
    pos = 0
    prev_line_item = False
    in_table = False  # the line before was a table's row: this one goes on with its table
    first_row: int | None = None  # that table's first row
    last_intro: int | None = None
    above: tuple[str, ...] = ()
    next_section = 0
    for line in doc.text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            prev_line_item = in_table = False
            continue
        section = doc.section_at(start)
        if start >= next_section:  # the headings above change only where a section starts
            above = doc.headings_above(start)
            next_section = min((s.start for s in doc.sections if s.start > start), default=len(doc.text) + 1)
        if line.startswith("|"):
            prev_line_item = False
            if not in_table:
                block += 1
                first_row = None
            in_table = True
            if TABLE_RULE_RE.match(line.rstrip()):
                continue
            pieces = split_sentences(line)
            if len(pieces) > 1:
                # Prose in a cell ('| Cosine error | Depends on the angle. For small angles, …'): its sentences
                # are quoted as sentences, as a paragraph's are.
                for a, b in pieces:
                    units.append(Unit(doc.doc_id, len(units), "sent", line[a:b], start + a, start + b, section,
                                      block, above=above))
            else:
                units.append(Unit(doc.doc_id, len(units), "row", line, start, end, section, block, first_row, above))
                first_row = len(units) - 1 if first_row is None else first_row
            last_intro = len(units) - 1
            continue
        in_table = False
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


def unit_text(unit: Unit, units: list[Unit]) -> str:
    """What is embedded for ``unit`` (one of ``units``, its document's): "section: text"; a table row is read
    under its table's first row, which names the columns ('| gizmo | size |' then '| G-2 | 14.0 mm |')."""
    if unit.kind == "row" and unit.lead is not None:
        return f"{unit.section}: {units[unit.lead].text} {unit.text}"
    return f"{unit.section}: {unit.text}"


def unit_texts(units: list[Unit]) -> list[str]:
    """`unit_text` of each of a document's ``units``, in order."""
    return [unit_text(u, units) for u in units]
