"""Find source files and read each into text parts plus metadata; one reader per format.

A file that cannot be read raises `Skip` with a reason a person understands; the pipeline reports it
and goes on with the rest.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)


class Skip(Exception):
    """This file is not ingested; ``str(exc)`` says why."""


@dataclass
class Loaded:
    """A file's text, split into parts (one per PDF page; a single part otherwise)."""

    path: Path
    parts: list[tuple[int | None, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    raw_hash: str = ""


def discover(
    paths: Iterable[Path], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> list[Path]:
    """Files under ``paths`` (recursive) with a known suffix, filtered by glob patterns, sorted."""
    include, exclude = list(include), list(exclude)
    found: set[Path] = set()
    for root in paths:
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            if path.suffix.lower() not in SUFFIXES or any(part.startswith(".") for part in path.parts[-1:]):
                continue
            if path.name.lower() == "readme.md" and path != root:
                continue  # folder READMEs describe a corpus; they are not part of it
            rel = str(path)
            if include and not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in include):
                continue
            if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in exclude):
                continue
            found.add(path.resolve())
    return sorted(found)


def load(path: Path, max_bytes: int) -> Loaded:
    """Read ``path`` with the reader for its suffix."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Skip(f"cannot read it ({exc.strerror})") from None
    if size == 0:
        raise Skip("the file is empty")
    if size > max_bytes:
        raise Skip(f"it is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (ASSISTANT_MAX_FILE_MB)")
    data = path.read_bytes()
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise Skip(f"unsupported file type {path.suffix!r}")
    loaded = reader(path, data)
    loaded.raw_hash = hashlib.sha256(data).hexdigest()
    if not any(text.strip() for _, text in loaded.parts):
        raise Skip("no text could be extracted")
    return loaded


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the most likely legacy encoding; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise Skip("it looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise Skip("it is not readable text in any known encoding")
    text = str(best)
    if sum(not (ch.isprintable() or ch.isspace()) for ch in text) > len(text) * 0.05:
        raise Skip("it looks like a binary file, not text")
    return text


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (``---`` block at the top) and the body after it."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def _read_text(path: Path, data: bytes) -> Loaded:
    meta, body = split_front_matter(decode_text(data))
    return Loaded(path, [(None, body)], {k: v for k, v in meta.items() if v is not None})


def _read_html(path: Path, data: bytes) -> Loaded:
    import trafilatura

    html = decode_text(data)
    body = trafilatura.extract(
        html, output_format="markdown", include_tables=True, include_comments=False, favor_recall=True
    )
    if not body:
        raise Skip("no main text found in the HTML page")
    meta: dict[str, Any] = {}
    found = trafilatura.extract_metadata(html)
    if found is not None:
        meta = {k: v for k, v in {"title": found.title, "date": found.date, "source_url": found.url}.items() if v}
    return Loaded(path, [(None, body)], meta)


def _read_pdf(path: Path, data: bytes) -> Loaded:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Skip("the PDF is encrypted (password protected)")
        parts = [(n, page.extract_text() or "") for n, page in enumerate(reader.pages, start=1)]
        info = reader.metadata or {}
    except Skip:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Skip(f"the PDF is damaged or unreadable ({type(exc).__name__})") from None
    meta = {"title": str(info.get("/Title") or "").strip()} if info.get("/Title") else {}
    return Loaded(path, parts, meta)


def _read_docx(path: Path, data: bytes) -> Loaded:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Skip(f"the Word file is damaged or unreadable ({type(exc).__name__})") from None
    lines = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        text = para.text.strip()
        if not text:
            lines.append("")
        elif style.startswith("Heading") or style == "Title":
            lines += ["", f"# {text}", ""]
        elif "List" in style:
            lines.append(f"- {text}")
        else:
            lines += [text, ""]
    title = document.core_properties.title or ""
    return Loaded(path, [(None, "\n".join(lines))], {"title": title} if title else {})


READERS: dict[str, Callable[[Path, bytes], Loaded]] = {
    **{s: _read_text for s in TEXT_SUFFIXES},
    **{s: _read_html for s in HTML_SUFFIXES},
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
