"""Turn web-page or document text into clean text with headings, paragraphs and list items.

The output is the canonical text that citations point into:
    heading line            (recorded in ``sections``)
    <blank>
    paragraph on one line
    <blank>
    - list item
    - list item
    <blank>
    | table | row |
    |---|---|
    | table | row |
Cleaning removes site navigation, © footers, split logo lines, orphan tagline fragments and bullet glyphs;
it keeps headings so each chunk knows its section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import expands, normalize
from assistant.types import Section

BULLET_RE = re.compile(r"^\s*(?:[-*+•▪●◦■□▫‣⁃∙·–]|\d{1,3}[.)])\s+")
MD_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
# '*word*', '**two words**', '***x***' inside a line (asterisks only: '_' also joins symbols such as 'K_cd').
INLINE_EMPHASIS_RE = re.compile(r"(?<![\w*])(\*{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*])")
NAV_WORDS = re.compile(
    r"^(search( facility)?|menu|skip to (main )?content|site ?map|print( this page)?|share( this)?|"
    r"back to top|cookies?( settings| policy)?|follow us|home|contact us|accept( all)?)\s*:?\s*$",
    re.I,
)
TERMINAL = (".", "!", "?", "…", ";", ")", '"', "»")
# Presentational HTML left inside markdown or text ('<nobr>He-Ne</nobr>', '<span style="display: none;">',
# '<source srcset=…></source>'): a markdown reader sees only the text between the tags, so cleaning keeps only
# that. Any other tag, and any tag with an event handler or a script URL, is document text and stays as written
# ('<script>…', '<img onerror=…>' are data: the interfaces escape them), as does '<something>' written as a
# placeholder in a sentence.
HTML_PRESENTATION = frozenset("""abbr b bdi bdo big br center cite dfn em font i img ins mark nobr p picture q rp rt
ruby s small source span strike strong sub sup tt u wbr""".split())
HTML_BREAKS = frozenset("br center img p picture source".split())  # these separate the text around them
HTML_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s+[^<>]*?)?\s*/?>")
HTML_ACTIVE_RE = re.compile(r"\bon[a-z]+\s*=|javascript:", re.I)
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# A definition-list entry: an AsciiDoc term ('CODATA:: Committee on Data …') or a bold markdown term
# ('**BIPM**: Bureau international …') opening a line. Each is one item of the list, not a wrapped line of a
# paragraph; a converter that lost the line breaks leaves several AsciiDoc entries on one line.
DLIST_TERM = r"[^\s:*][^\s:]{0,39}"
DLIST_RE = re.compile(rf"^(?:\*\*([^*\n]{{1,40}})\*\*:|({DLIST_TERM})::)\s+(?=\S)")
DLIST_INLINE_RE = re.compile(rf"\s+(?={DLIST_TERM}::\s)")
# A markdown table row ('| G-2 | 14.0 mm |', '|---|---|'): a line of its own, never a wrapped
# line of a paragraph, so that each row can be quoted (and found) on its own.
TABLE_ROW_RE = re.compile(r"^\|.*\|")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "para" | "item" | "row"
    text: str
    level: int = 0  # a heading's markdown depth ('### …' = 3); 0 for a heading the source does not mark


@dataclass(frozen=True)
class Cleaned:
    text: str
    sections: tuple[Section, ...]


def clean_text(raw: str, title: str = "") -> Cleaned:
    """Clean ``raw`` text (web page, markdown, PDF page text) into canonical text plus sections."""
    lines = [_strip_html(line).rstrip() for line in normalize(HTML_COMMENT_RE.sub("", raw)).splitlines()]
    lines = _drop_boilerplate(lines)
    blocks = _merge_acronyms(_drop_shredded(_to_blocks(lines)))
    blocks = _drop_empty_tail(blocks)
    return _render(blocks)


def _strip_html(line: str) -> str:
    """The line without its inline HTML tags (their text kept); space runs they leave become one space."""
    if "<" not in line:
        return line
    def drop(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        if name not in HTML_PRESENTATION or HTML_ACTIVE_RE.search(m.group(0)):
            return m.group(0)
        return " " if name in HTML_BREAKS else ""  # inline markup joins its neighbours ('^87<sup>Sr</sup>')

    stripped = HTML_TAG_RE.sub(drop, line)
    if stripped == line:
        return line
    indent = stripped[: len(stripped) - len(stripped.lstrip())]
    return indent + re.sub(r" {2,}", " ", stripped.strip())


def _drop_boilerplate(lines: list[str]) -> list[str]:
    keep = [not _is_junk_line(line) for line in lines]
    _drop_logo_runs(lines, keep)
    _drop_orphan_fragments(lines, keep)
    return [line if k else "" for line, k in zip(lines, keep, strict=True)]


def _is_junk_line(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    if s.startswith(("©", "(c) ", "Copyright ©")):
        return True
    if NAV_WORDS.match(s):
        return True
    return _is_nav_bar(s)


def _is_nav_bar(s: str) -> bool:
    """'| Site map | News | Contact us | [ FR ]': short pipe-separated cells, not a table row."""
    cells = [c.strip() for c in s.strip("|").split("|")]
    if s.count("|") < 2 or set(s) <= set("|-: "):
        return False
    return all(len(c.split()) <= 3 for c in cells) and any(NAV_WORDS.match(c) for c in cells if c)


def _drop_logo_runs(lines: list[str], keep: list[bool]) -> None:
    """Logos broken over lines ('Bureau / International des / Poids et / Mesures'): 3+ tiny lines in a row."""
    run: list[int] = []
    for i, line in enumerate([*lines, ""]):
        s = line.strip()
        tiny = bool(s) and len(s.split()) <= 3 and len(s) <= 24 and not s.endswith((*TERMINAL, ":"))
        if tiny and not BULLET_RE.match(line) and not MD_HEADING_RE.match(line) and "|" not in s:
            run.append(i)
            continue
        if len(run) >= 3:
            for j in run:
                keep[j] = False
        run = []


def _drop_orphan_fragments(lines: list[str], keep: list[bool]) -> None:
    """A line like '– the organization through which…' is the cut-off tail of a footer or tagline."""
    for i, line in enumerate(lines):
        s = line.strip()
        if re.match(r"^[–—]\s+[a-z]", s):  # en/em dash only: "- item" is a markdown list item
            keep[i] = False
            j = i + 1
            while j < len(lines) and lines[j].strip() and lines[j].strip()[0].islower():
                keep[j] = False
                j += 1


def _dlist_lines(lines: list[str]) -> list[str]:
    """Lines with one definition-list entry each: a line holding a run of AsciiDoc entries ('TERM:: ', a
    marker prose does not use; two or more, so a single marker inside a sentence is left alone) is split
    before each term; what comes before the first is the entry above continued."""
    return [part for line in lines for part in (
        DLIST_INLINE_RE.split(line) if len(DLIST_INLINE_RE.findall(line)) + bool(DLIST_RE.match(line)) >= 2
        else [line])]


def _dlist_entry(line: str) -> str | None:
    """'TERM:: definition' or '**TERM**: definition' → 'TERM: definition'; None for any other line."""
    found = DLIST_RE.match(line)
    return f"{found.group(1) or found.group(2)}: {line[found.end():]}" if found else None


def _to_blocks(lines: list[str]) -> list[Block]:
    """Group lines into blocks: bullets and definition-list entries become items, wrapped lines join into
    paragraphs (or continue the entry above them)."""
    blocks: list[Block] = []
    para: list[str] = []
    entry = False  # the lines in ``para`` are a definition-list entry and its wrapped continuation
    # A document that marks its headings ('## Resolution 4') is trusted to mark all of them: its short
    # paragraphs ('The Conference, at its 24th meeting,') stay paragraphs of the section they open.
    marked = any(MD_HEADING_RE.match(line) for line in lines)

    def flush() -> None:
        nonlocal entry
        if para:
            text = _strip_marks(" ".join(para))
            blocks.append(Block("item", text) if entry else Block("para", text) if marked else _classify(text))
            para.clear()
        entry = False

    lines = _dlist_lines(lines)
    for index, line in enumerate(lines):
        s = line.strip()
        if not s:
            flush()
        elif (defined := _dlist_entry(s)) is not None:
            flush()
            para.append(defined)
            entry = True
        elif TABLE_ROW_RE.match(s):
            flush()
            blocks.append(Block("row", _strip_marks(s)))
        elif MD_HEADING_RE.match(s):
            flush()
            depth = len(MD_HEADING_RE.match(s).group().strip())  # type: ignore[union-attr]
            blocks.append(Block("heading", _strip_marks(MD_HEADING_RE.sub("", s)), depth))
        elif BULLET_RE.match(s) and not _is_dash_sentence(s):
            flush()
            text = _strip_marks(BULLET_RE.sub("", s))
            blocks.append(Block("heading", text) if _looks_like_heading(text, lines, index) else Block("item", text))
        else:
            para.append(s)
    flush()
    return [b for b in blocks if b.text]


def _is_dash_sentence(s: str) -> bool:
    return bool(re.match(r"^[–—]\s+[a-z]", s))


def _strip_marks(text: str) -> str:
    """Remove markdown emphasis around a whole line ('**Secondments – 2026**') or words in it
    ('the CIPM *prend acte* de…'): quotes show the words, not the markup."""
    text = re.sub(r"^\*{1,3}(.+?)\*{1,3}$", r"\1", text.strip())
    text = INLINE_EMPHASIS_RE.sub(r"\2", text)
    return re.sub(r"\s+", " ", text).strip()


def _looks_like_heading(text: str, lines: list[str], index: int) -> bool:
    """A bullet is a heading when it ends with ':' or is a short bold/glyph title followed by prose."""
    if text.endswith(":") and len(text.split()) <= 14:
        return True
    if text.endswith(TERMINAL) or len(text.split()) > 12:
        return False
    raw = lines[index].strip()
    nxt = next((line.strip() for line in lines[index + 1 :] if line.strip()), "")
    starts_section = raw.startswith(("▪", "■", "- **", "* **", "• **")) or "**" in raw
    return starts_section and bool(nxt) and not BULLET_RE.match(nxt)


def _classify(text: str) -> Block:
    words = text.split()
    if len(words) <= 12 and not text.endswith(TERMINAL) and not text[0].islower():
        return Block("heading", text)
    if text.endswith(":") and len(words) <= 14:
        return Block("heading", text)
    return Block("para", text)


def _merge_acronyms(blocks: list[Block]) -> list[Block]:
    """'ILAC' followed by 'International Laboratory Accreditation Cooperation' → one item with both."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if b.kind == "item" and nxt is not None and nxt.kind == "item" and expands(b.text, nxt.text):
            out.append(Block("item", f"{b.text} ({nxt.text})"))
            i += 2
            continue
        out.append(b)
        i += 1
    return out


SHRED_RUN = 4  # this many one-character blocks in a row are text a converter split letter by letter


def _drop_shredded(blocks: list[Block]) -> list[Block]:
    """Drop runs like 'Note: A', 'Note: t', 'Note : i' …: a sentence shredded into one block per character."""
    # Joined back instead, the 55 such notes of the BIPM collection come out whole ('This definition was abrogated
    # in 1964 …'), but 53 of them repeat a note of the SI Brochure's appendix of decisions or a later resolution,
    # and the joined notes cost 2 eval questions (README, thirty-fifth session).
    out: list[Block] = []
    run: list[Block] = []
    for block in [*blocks, Block("para", "end of text")]:
        if SHRED_RE.match(block.text):
            run.append(block)
            continue
        labels = [SHRED_RE.match(b.text).group(1) for b in run]  # type: ignore[union-attr]
        if not labels or max(labels.count(x) for x in labels) < SHRED_RUN:
            out += run
        run = []
        out.append(block)
    return out[:-1]


SHRED_RE = re.compile(r"^(\w{1,20}) ?:\s*\S{0,2}$")  # French puts a space before the colon: 'Note : e'


def _drop_empty_tail(blocks: list[Block]) -> list[Block]:
    """Headings and 'Label:' items with nothing after them at the end of a page are leftovers."""
    while blocks and (blocks[-1].kind == "heading" or blocks[-1].text.endswith(":")):
        blocks.pop()
    return blocks


def _render(blocks: list[Block]) -> Cleaned:
    parts: list[str] = []
    sections: list[Section] = []
    pos = 0
    prev_kind = ""
    for block in blocks:
        # A list's items, and a table's rows, follow each other line by line.
        sep = "" if not parts else ("\n" if block.kind == prev_kind and block.kind in ("item", "row") else "\n\n")
        pos += len(sep)
        line = f"- {block.text}" if block.kind == "item" else block.text
        if block.kind == "heading":
            sections.append(Section(block.text.rstrip(":").strip(), pos, pos, block.level))
        parts.append(sep + line)
        pos += len(line)
        prev_kind = block.kind
    text = "".join(parts)
    ends = [s.start for s in sections[1:]] + [len(text)] if sections else []  # text without headings
    return Cleaned(text, tuple(Section(s.heading, s.start, e, s.level) for s, e in zip(sections, ends, strict=True)))
