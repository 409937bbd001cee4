"""Find source files and read each into text parts plus metadata; one reader per format.

A file that cannot be read raises `Skip` with a reason a person understands; the pipeline reports it
and goes on with the rest. Extraction is bounded per file (`Limits`): a .docx whose parts unpack to too
much is refused before it is parsed (zip bombs), extracted text is cut at a length, and a file whose
extraction runs past its time budget is skipped. Reading is split in two steps, `read_bytes` then `parse`, so the pipeline can
recognise an unchanged file from its bytes without parsing it again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import html
import io
import logging
import os
import re
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
MARKDOWN_SUFFIXES = {".md", ".markdown"}
# '__x__' is only emphasis outside words (CommonMark), so identifiers like __init__ stay whole.
BOLD_RE = re.compile(r"(\*\*)(?=\S)(.+?)(?<=\S)\*\*|(?<!\w)(__)(?=\S)(.+?)(?<=\S)__(?!\w)")
WESTERN = {"cp1252", "latin_1", "iso8859_15"}
log = logging.getLogger(__name__)
HTML_LANG_RE = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.I)
# A backslash-escaped ASCII punctuation character ('\*', '\]', '^\+'), which Markdown shows without its backslash.
ESCAPED_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
# An HTML character reference, named or numeric ('&eacute;', '&#xa0;', '&#233;'), as Markdown allows in its text.
CHAR_REF_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


class Skip(Exception):
    """This file is not ingested; ``str(exc)`` says why."""


def _default(name: str) -> Any:
    from assistant.settings import Settings

    return Settings.model_fields[name].default


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one file (the settings ASSISTANT_MAX_UNPACKED_MB, _MAX_TEXT_CHARS, _EXTRACT_SECONDS)."""

    unpacked_bytes: int = field(default_factory=lambda: int(_default("max_unpacked_mb") * 1e6))
    text_chars: int = field(default_factory=lambda: _default("max_text_chars"))
    seconds: float = field(default_factory=lambda: _default("extract_seconds"))
    deadline: float = float("inf")  # monotonic time by which the current file must be read

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(int(settings.max_unpacked_mb * 1e6), settings.max_text_chars, settings.extract_seconds)

    def check_time(self) -> None:
        """`Skip` once the file's time budget is spent (called between pages, paragraphs)."""
        if time.monotonic() > self.deadline:
            raise Skip(_too_slow(self.seconds))


def _too_slow(seconds: float) -> str:
    return f"extracting its text took longer than {seconds:g} s (ASSISTANT_EXTRACT_SECONDS)"


@dataclass
class Loaded:
    """A file's text, split into parts (one per PDF page; a single part otherwise)."""

    path: Path
    parts: list[tuple[int | None, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    raw_hash: str = ""


# --- finding files -----------------------------------------------------------
OUTSIDE = "it is a symbolic link that leads outside the folder given to ingest"


def discover(
    paths: Iterable[Path], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> list[Path]:
    """Files under ``paths`` (recursive) with a known suffix, filtered by glob patterns, sorted.

    A glob matches the path relative to the folder given, or the file name: ``--include 'cipm-*'``,
    ``--exclude 'drafts/*'``. A file named explicitly is always taken (an unknown type is then reported
    by `load`); hidden files and folders, and folder READMEs, are left out. Symbolic links are followed
    only while they stay inside the folder given (see `discover_all`).
    """
    return discover_all(paths, include, exclude)[0]


def discover_all(
    paths: Iterable[Path], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[list[Path], list[tuple[str, str]]]:
    """`discover`'s files, and (path, reason) for each symbolic link (file or folder) found under a folder
    that resolves outside it: those are never read."""
    include, exclude = list(include), list(exclude)
    found: set[Path] = set()
    outside: list[tuple[str, str]] = []
    for root in paths:
        if root.is_file():
            found.add(root.resolve())
            continue
        for path in _walk(root, outside):
            rel = path.relative_to(root).as_posix()
            if not _wanted(path, rel, include, exclude):
                continue
            if _inside(path.resolve(), root.resolve()):
                found.add(path.resolve())
            else:
                outside.append((str(path), OUTSIDE))
    return sorted(found), outside


def _walk(root: Path, outside: list[tuple[str, str]]) -> Iterable[Path]:
    """Files under ``root``, following folder links only when they stay inside it (each folder once)."""
    base = root.resolve()
    seen: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        here = Path(folder)
        real = here.resolve()
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        keep = []
        for name in sorted(dirs):
            sub = here / name
            if not sub.is_symlink() or _inside(sub.resolve(), base):
                keep.append(name)
            elif not name.startswith("."):
                outside.append((str(sub), OUTSIDE))
        dirs[:] = keep
        yield from (here / name for name in sorted(files) if (here / name).is_file())


def _inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


def _wanted(path: Path, rel: str, include: list[str], exclude: list[str]) -> bool:
    if path.suffix.lower() not in SUFFIXES or any(part.startswith(".") for part in rel.split("/")):
        return False
    if path.name.lower() == "readme.md":
        return False  # folder READMEs describe a corpus; they are not part of it
    if include and not any(_glob(rel, path.name, g) for g in include):
        return False
    return not any(_glob(rel, path.name, g) for g in exclude)


def _glob(rel: str, name: str, pattern: str) -> bool:
    pattern = pattern.removeprefix("./")
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)


# --- reading -----------------------------------------------------------------
def load(path: Path, max_bytes: int, limits: Limits | None = None) -> Loaded:
    """Read ``path`` with the reader for its suffix."""
    return parse(path, read_bytes(path, max_bytes), limits)


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; `Skip` when it is missing, empty, too large or of an unknown type."""
    if path.suffix.lower() not in READERS:
        raise Skip(f"unsupported file type {path.suffix or '(no suffix)'!r}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise Skip(
                f"it is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (ASSISTANT_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise Skip(f"cannot read it ({exc.strerror or exc})") from None
    if not data.strip():
        raise Skip("the file is empty")
    return data


def parse(path: Path, data: bytes, limits: Limits | None = None) -> Loaded:
    """Text parts and metadata of ``data``, read as the type its suffix says, within ``limits``: at most
    ``text_chars`` characters, and `Skip` when the time budget runs out or a .docx unpacks to too much."""
    limits = limits or Limits()
    limits = Limits(limits.unpacked_bytes, limits.text_chars, limits.seconds, time.monotonic() + limits.seconds)
    with _alarm(limits.seconds):
        loaded = READERS[path.suffix.lower()](path, data, limits)
    loaded.parts = _capped(loaded.parts, limits.text_chars)
    loaded.raw_hash = hashlib.sha256(data).hexdigest()
    loaded.meta = normalize_meta(loaded.meta)
    if not any(text.strip() for _, text in loaded.parts):
        raise Skip("no text could be extracted")
    return loaded


class _Timeout(BaseException):
    """Raised by the alarm inside a reader; BaseException so that readers' `except Exception` let it through."""


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Interrupt a reader stuck in one long call (an HTML extraction) after ``seconds``. Signals only reach
    the main thread; elsewhere the readers' own `Limits.check_time` calls bound the time."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Timeout:
        raise Skip(_too_slow(seconds)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _capped(parts: list[tuple[int | None, str]], limit: int) -> list[tuple[int | None, str]]:
    """The parts cut so that their texts total at most ``limit`` characters."""
    out, left = [], limit
    for page, text in parts:
        if left <= 0:
            break
        if len(text) > left:
            log.warning("text cut at %d characters (ASSISTANT_MAX_TEXT_CHARS)", limit)
        out.append((page, text[:left]))
        left -= len(text)
    return out


def normalize_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings, ``lang`` as ``language`` ('fr-FR' → 'fr'), empty values dropped."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, datetime):
            value = value.date().isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        if value is not None and value != "":
            out[str(key)] = value
    if "language" not in out and "lang" in out:
        out["language"] = out.pop("lang")
    if "language" in out:
        out["language"] = re.split(r"[-_]", str(out["language"]).strip().lower())[0]
    if "date" in out:
        out["date"] = str(out["date"])
    return out


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the most likely legacy encoding; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise Skip("it looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = _legacy_decoding(data)
    if best is None:
        raise Skip("it is not readable text in any known encoding")
    text = str(best)
    if sum(not (ch.isprintable() or ch.isspace()) for ch in text) > len(text) * 0.05:
        raise Skip("it looks like a binary file, not text")
    return text


def _legacy_decoding(data: bytes) -> Any:
    """charset-normalizer's guess, preferring Windows-1252/Latin-1 when it reads about as well.

    Short French text in Latin-1 is ambiguous (mac_latin2 scores a hair better on 'Sèvres'); the
    documents are English and French, and Latin-1/Windows-1252 is by far their likeliest legacy encoding.
    """
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    if not results:
        return None
    western = next((r for r in results if set(r.could_be_from_charset) & WESTERN), None)
    if western is not None and western.chaos <= results[0].chaos + 0.05:
        return western
    return results[0]


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


# --- one reader per format ----------------------------------------------------
def _read_text(path: Path, data: bytes, limits: Limits) -> Loaded:
    meta, body = split_front_matter(decode_text(data))
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        body = unescape_punctuation(strip_emphasis(decode_references(body)))
    return Loaded(path, [(None, body)], meta)


def decode_references(markdown: str) -> str:
    """'m&eacute;trologie' → 'métrologie': Markdown shows a character reference as its character, so the text
    is searched and quoted with it. A reference to '<' or '>' stays as written: decoded, it would read as a tag to
    the cleaner, which drops inline HTML. An unknown name ('&foo;') stays too (html.unescape leaves it)."""
    def character(m: re.Match[str]) -> str:
        text = html.unescape(m.group(0))
        return m.group(0) if text in ("<", ">") else text

    return CHAR_REF_RE.sub(character, markdown)


def unescape_punctuation(markdown: str) -> str:
    """'\\*\\* ≤ 104 W' → '** ≤ 104 W', '^88Sr^\\+' → '^88Sr^+': Markdown shows an escaped punctuation character as
    itself. Run after `strip_emphasis`, so an escaped '*' is never read as emphasis; an escaped '|' stays as
    written, since unescaped it would split a table cell."""
    return ESCAPED_RE.sub(lambda m: m.group(0) if m.group(1) == "|" else m.group(1), markdown)


def strip_emphasis(markdown: str) -> str:
    """'**bold**' and '__bold__' → 'bold': citations quote the words, not the markup.

    Single '*' / '_' are left alone: they also occur in formulas and identifiers (a*b, Δν_Cs). A bold term
    opening a line before a colon ('**BIPM**: Bureau …') is a definition-list entry: it is left for the cleaner,
    which makes each entry an item (its bold goes there).
    """
    def plain(m: re.Match[str]) -> str:
        line_start = m.start() == 0 or markdown[m.start() - 1] == "\n"
        entry = m.group(1) and line_start and markdown[m.end():m.end() + 1] == ":"
        return m.group(0) if entry else m.group(2) or m.group(4)

    return BOLD_RE.sub(plain, markdown)


def _read_html(path: Path, data: bytes, limits: Limits) -> Loaded:
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
        meta = {"title": found.title, "date": found.date, "source_url": found.url}
    lang = HTML_LANG_RE.search(html[:5000])
    if lang:
        meta["language"] = lang.group(1)
    return Loaded(path, [(None, body)], meta)


def _read_pdf(path: Path, data: bytes, limits: Limits) -> Loaded:
    from pypdf import PdfReader

    # pypdf logs each repair it attempts; the Skip reason already says what matters, once.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Skip("the PDF is encrypted (password protected)")
        parts, chars = [], 0
        for n, page in enumerate(reader.pages, start=1):
            limits.check_time()
            parts.append((n, page.extract_text() or ""))
            chars += len(parts[-1][1])
            if chars >= limits.text_chars:
                break  # the rest would be cut anyway
        info = reader.metadata or {}
    except Skip:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; any of them means "unreadable"
        raise Skip(_pdf_reason(exc)) from None
    title = str(info.get("/Title") or "").strip()
    return Loaded(path, parts, {"title": title} if title else {})


def _pdf_reason(exc: Exception) -> str:
    if type(exc).__name__ == "DependencyError" or "encrypt" in str(exc).lower():
        return "the PDF is encrypted and cannot be opened without a password or a decryption library"
    detail = f": {str(exc)[:80]}" if str(exc) else ""
    return f"the PDF is damaged or unreadable ({type(exc).__name__}{detail})"


def _read_docx(path: Path, data: bytes, limits: Limits) -> Loaded:
    import docx

    try:
        _check_unpacked(data, limits)
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise Skip(f"the Word file is damaged or unreadable ({type(exc).__name__})") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        limits.check_time()
        lines += _docx_table(block) if hasattr(block, "rows") else _docx_paragraph(block)
    props = document.core_properties
    # No date: core 'created' is often the template's date (python-docx's own says 2013), not the text's.
    meta = {"title": props.title, "language": props.language}
    return Loaded(path, [(None, "\n".join(lines))], meta)


def _check_unpacked(data: bytes, limits: Limits) -> None:
    """`Skip` when the zip's members declare, or actually unpack to, more than ``limits.unpacked_bytes``.

    The declared sizes cost nothing to read; the actual ones are counted too, decompressing in pieces,
    so the bound does not rest on the zip library stopping at the declared size.
    """
    limit = limits.unpacked_bytes
    refuse = Skip(f"it would unpack to more than {limit / 1e6:g} MB (ASSISTANT_MAX_UNPACKED_MB); it may be a "
                  "zip bomb")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > limit:
            raise refuse
        total = 0
        for member in members:
            with archive.open(member) as fh:
                while piece := fh.read(1 << 20):
                    total += len(piece)
                    if total > limit:
                        raise refuse
            limits.check_time()


def _docx_paragraph(para: Any) -> list[str]:
    """A paragraph as markdown-ish lines: headings as '#' lines (they become sections), list items."""
    style = (para.style.name if para.style is not None else "") or ""
    text = para.text.strip()
    if not text:
        return [""]
    if style == "Title" or style.startswith("Heading"):
        level = style.removeprefix("Heading").strip()
        return ["", f"{'#' * (int(level) if level.isdigit() else 1)} {text}", ""]
    if "List" in style:
        return [f"- {text}"]
    return [text, ""]


def _docx_table(table: Any) -> list[str]:
    """Each data row as a list item 'Header: value; Header: value' (the first row gives the headers)."""
    rows = [_docx_cells(row) for row in table.rows]
    rows = [r for r in rows if any(r)]
    if len(rows) < 2:
        return ["", *[f"- {'; '.join(c for c in r if c)}" for r in rows], ""]
    head, body = rows[0], rows[1:]
    items = []
    for row in body:
        pairs = [f"{h}: {v}" if h else v for h, v in zip(head, row, strict=False) if v]
        items.append(f"- {'; '.join(pairs)}")
    return ["", *items, ""]


def _docx_cells(row: Any) -> list[str]:
    return [" ".join(cell.text.split()) for cell in row.cells]


READERS: dict[str, Callable[[Path, bytes, Limits], Loaded]] = {
    **{s: _read_text for s in TEXT_SUFFIXES},
    **{s: _read_html for s in HTML_SUFFIXES},
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
