"""Loaded file → cleaned `Document` (title, source, language, date, sections, PDF page offsets)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from assistant.text import detect_language
from assistant.types import Document, Section
from ingest.clean import clean_text
from ingest.load import Loaded

# Bump when cleaning or chunking changes, so every document is rebuilt on the next ingest.
PIPELINE_VERSION = "1"


def doc_id_for(path: Path) -> str:
    return hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


def display_path(path: Path) -> str:
    """Path relative to the working directory when possible: what a person can open."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def build_document(loaded: Loaded, settings_key: str) -> Document:
    """Clean every part (page) and join them, keeping section and page offsets exact."""
    texts: list[str] = []
    sections: list[Section] = []
    pages: list[list[int]] = []
    base = 0
    for page, raw in loaded.parts:
        cleaned = clean_text(raw)
        if not cleaned.text:
            continue
        if texts:
            base += 2  # the "\n\n" joining parts
        if page is not None:
            pages.append([page, base])
        sections += [Section(s.heading, s.start + base, s.end + base) for s in cleaned.sections]
        texts.append(cleaned.text)
        base += len(cleaned.text)
    text = "\n\n".join(texts)
    meta = {k: v for k, v in loaded.meta.items() if isinstance(v, str | int | float | bool)}
    if pages:
        meta["pages"] = pages
    meta["path"] = display_path(loaded.path)
    return Document(
        doc_id=doc_id_for(loaded.path),
        source=str(loaded.meta.get("source_url") or loaded.meta.get("url") or meta["path"]),
        title=str(loaded.meta.get("title") or (sections[0].heading if sections else loaded.path.stem)),
        text=text,
        sections=tuple(sections),
        language=str(loaded.meta.get("language") or detect_language(text)),
        date=str(loaded.meta.get("date") or loaded.meta.get("retrieved") or date.today().isoformat()),
        content_hash=hashlib.sha256(f"{loaded.raw_hash}|{settings_key}|{PIPELINE_VERSION}".encode()).hexdigest(),
        meta=meta,
    )
