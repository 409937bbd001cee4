"""Loaded file → cleaned `Document` (title, source, language, date, sections, PDF page offsets)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from assistant.text import detect_language
from assistant.types import Document, Section
from ingest.clean import clean_text
from ingest.load import Loaded

# Bump when loading, cleaning or chunking changes, so every document is rebuilt on the next ingest.
PIPELINE_VERSION = "16"  # 5: marked-heading documents keep short paragraphs, dated context titles; 6: inline emphasis;
# 7: inline HTML tags in markdown read as their text; 8: only presentational tags without scripts (others are
# document text); 9: letter-by-letter shredded notes are dropped in French typography too ('Note : e');
# 10: definition-list entries ('TERM:: …', '**TERM**: …') are items, one per entry; 11: documents record the
# pipeline version that built them (`assistant info` and `assistant eval` name the ones an older one built);
# 12: sections record a marked heading's level, so a quote can name the heading it sits under; 13: C1 control
# characters are read as the Windows-1252 characters they stand for ('mise en \x9cuvre' → 'mise en œuvre');
# 14: Markdown character references and backslash escapes are read as their characters ('m&eacute;trologie' →
# 'métrologie', '\*' → '*'), and zero-width characters are dropped; 15: a unit's symbol after a number ends a
# sentence ('… up to 500 K. Then …'), so the answer units, and the unit vectors stored for them, change;
# 16: a markdown table keeps one row per line, each row an answer unit read under the table's first row


def doc_id_for(path: Path) -> str:
    return hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


def content_hash_for(raw_hash: str, settings_key: str) -> str:
    """What decides whether a document must be rebuilt: its bytes, the chunking settings, this code."""
    return hashlib.sha256(f"{raw_hash}|{settings_key}|{PIPELINE_VERSION}".encode()).hexdigest()


def display_path(path: Path) -> str:
    """Path relative to the working directory when possible: what a person can open."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def build_document(loaded: Loaded, settings_key: str, source_url: str | None = None) -> Document:
    """Clean every part (page) and join them, keeping section and page offsets exact.

    ``source_url`` (a fetched web page) wins over any URL found in the file as the citation source.
    """
    text, sections, pages = _join_parts(loaded.parts)
    meta = {k: v for k, v in loaded.meta.items() if isinstance(v, str | int | float | bool)}
    if pages:
        meta["pages"] = pages
    meta["path"] = display_path(loaded.path)
    meta["pipeline"] = PIPELINE_VERSION  # lets `assistant info` name documents an older ingest built
    if source_url:
        meta["source_url"] = source_url
    return Document(
        doc_id=doc_id_for(loaded.path),
        source=str(meta.get("source_url") or meta.get("url") or meta["path"]),
        title=str(meta.get("title") or (sections[0].heading if sections else loaded.path.stem)),
        text=text,
        sections=tuple(sections),
        language=str(meta.get("language") or detect_language(text)),
        date=str(meta.get("date") or meta.get("retrieved") or date.today().isoformat()),
        content_hash=content_hash_for(loaded.raw_hash, settings_key),
        meta=meta,
    )


def _join_parts(parts: list[tuple[int | None, str]]) -> tuple[str, list[Section], list[list[int]]]:
    """Cleaned text of all parts joined by blank lines, their sections, and [page, offset] pairs."""
    texts: list[str] = []
    sections: list[Section] = []
    pages: list[list[int]] = []
    base = 0
    for page, raw in parts:
        cleaned = clean_text(raw)
        if not cleaned.text:
            continue
        if texts:
            base += 2  # the "\n\n" joining parts
        if page is not None:
            pages.append([page, base])
        sections += [Section(s.heading, s.start + base, s.end + base, s.level) for s in cleaned.sections]
        texts.append(cleaned.text)
        base += len(cleaned.text)
    text = "\n\n".join(texts)
    # A section runs on to the next heading, across page breaks: the top of page 2 continues page 1.
    ends = [s.start for s in sections[1:]] + [len(text)]
    return text, [Section(s.heading, s.start, e, s.level) for s, e in zip(sections, ends, strict=False)], pages
