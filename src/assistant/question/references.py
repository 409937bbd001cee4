"""References a question makes to a meeting, a year or a numbered decision, matched to document metadata.

"the 9th ABC (2030)", "Resolution 4 of the 8th meeting", "XYZ 2031 decisions", "8e réunion de
l'ABC": the regular expressions below only detect surface forms (an ordinal, a year, a numbered item). Which
words are bodies is not written here: it comes from the documents' own metadata (their ``body`` field), so a
new collection brings its own bodies. A document's reference is read the same way from its title and date.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

from assistant.text import EN_STOP
from assistant.types import Document

# '27th', '1st', '101e', '2nd', '1re', '3ème' — an ordinal as English and French write it.
ORDINAL_RE = re.compile(r"\b(\d{1,3})\s?(?:st|nd|rd|th|e|er|re|ère|ème|eme)\b", re.I)
_YEAR = r"(1[89]\d\d|20\d\d)\b"
YEAR_RE = re.compile(rf"\b{_YEAR}")
# How the two languages name a document's month ('October 2015', 'octobre 2015'); calendar data, not tuning.
MONTHS = ("January February March April May June July August September October November December".split(),
          "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split())
# What an ordinal numbers when it is no meeting: an edition ('the 9th (revised) edition', 'la 9e édition', 'the 9th Widget
# Brochure'), an anniversary, or a day of a month ('1er janvier'). The word between may not be a body ('the 26th ABC
# November session' numbers the meeting).
NOT_MEETING_RE = re.compile(
    rf"\s+(?:(?P<word>[\w-]+)\s+)?(?:editions?|éditions?|ed\.|brochures?|anniversary|anniversaire|{'|'.join(m for names in MONTHS for m in names)})\b",
    re.I)
# A year written as the time of an event, after 'in' or a month ('met in 2004', 'the May 2004 session',
# 'en mars 2030'), as against a year that names what was decided on ('the 2004 accounts', 'the budget for 2004').
DATED_YEAR_RE = re.compile(
    rf"\b(?:in|at|during|en|{'|'.join(m for names in MONTHS for m in names)})\s+{_YEAR}", re.I)
# The kinds of numbered item a record holds, in both languages.
_ITEM_KINDS = (r"resolution|résolution|recommendation|recommandation|decision|décision|action|declaration|"
               r"déclaration|statement")
# 'Resolution 4', 'Recommendation 1', 'Decision CIPM/105-13', 'Résolution 2', 'Action JCRB/45-1'.
ITEM_RE = re.compile(
    rf"\b({_ITEM_KINDS})s?\s+(?:no\.?\s*|n°\s*)?((?:[A-Z]{{2,6}}/)?\d{{1,3}}(?:-\d{{1,3}})?)\b", re.I)
# An ordinal spelled out ('the third recommendation', 'la vingt-sixième réunion'), once text2num has written it
# in digits, followed by what it numbers: an item's kind ('3rd recommendation' is Recommendation 3), a meeting
# ('26e réunion') or, checked in code, a body ('1st General Conference'). Alone it names nothing: 'the second'
# is also the unit of time, and 'first' an adverb.
SPELLED_RE = re.compile(
    rf"\b(\d{{1,3}})(?:st|nd|rd|th|e|er|re|ère|ème)\s+(?:({_ITEM_KINDS})s?\b|(meeting|réunion)s?\b)?", re.I)
# The first letters name the kind in both languages ('réso' and 'reso' alike after accent folding).
_KIND_KEY = {"res": "resolution", "rés": "resolution", "rec": "recommendation", "dec": "decision",
             "déc": "decision", "act": "action", "sta": "statement"}


@dataclass(frozen=True)
class Reference:
    """What a text names: a body, a meeting ordinal, years, numbered items. Empty fields name nothing."""

    bodies: frozenset[str] = frozenset()
    meeting: int | None = None
    years: frozenset[str] = frozenset()
    items: frozenset[tuple[str, str]] = frozenset()  # ('resolution', '4')
    dated: frozenset[str] = frozenset()  # the years written as when something happened ('in 2012', 'June 2012')

    def __bool__(self) -> bool:
        return bool(self.bodies or self.meeting is not None or self.years or self.items)

    @property
    def names_document(self) -> bool:
        """Specific enough to pick documents: a body with a meeting or a year."""
        return bool(self.bodies) and (self.meeting is not None or bool(self.years))


def known_bodies(documents: Iterable[Document]) -> frozenset[str]:
    """The bodies the collection's metadata names ('CGPM', 'CIPM', 'JCRB', …)."""
    return frozenset(str(d.meta["body"]) for d in documents if d.meta.get("body"))


# A name counts as a body's short name when the documents write it before '(BODY)' this often, and nearly
# always before that same body ('Consultative Committee' precedes many bodies' acronyms: it names none).
MIN_ALIAS_COUNT = 5
MIN_ALIAS_SHARE = 0.8
_NAMED_RE = re.compile(r"([A-ZÀ-Ý][\w’'-]+(?:\s+[\w’'-]+){1,8}?)\s*\(([A-Z]{2,6})\)")
_ARTICLES = frozenset({"the", "la", "le", "les", "l'", "l’"})


def aliases(texts: Iterable[str], bodies: frozenset[str]) -> dict[str, str]:
    """Short names of the bodies as the documents spell them out, lower-cased → body.

    'General Conference on Weights and Measures (CGPM)' and 'la Conférence générale … (CGPM)' give
    'general conference' and 'conférence générale': the first two words of the name, articles dropped.
    """
    seen: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for name, short in _NAMED_RE.findall(text):
            words = [w for w in name.split() if w.lower() not in _ARTICLES][:2]
            if short in bodies and len(words) == 2 and all(w.isalpha() and len(w) >= 4 for w in words):
                seen[(" ".join(words).lower(), short)] += 1
    totals: Counter[str] = Counter()
    for (alias, _), n in seen.items():
        totals[alias] += n
    return {alias: short for (alias, short), n in seen.items()
            if n >= MIN_ALIAS_COUNT and n >= MIN_ALIAS_SHARE * totals[alias]}


# 'Advisory Committee for Paint and Varnish': a committee named by what it is for or on.
_SUBJECT_RE = re.compile(r"\bCommittee (?:for|on) (?:the )?(.+)$")


def question_names(names: dict[str, str], full: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """How questions name the bodies, lower-cased → body: the short names ``names`` (from `aliases`), the full
    names ``full`` (from `full_names`) and, for a committee named for a subject, each subject word with
    'committee' ('Advisory Committee for Paint and Varnish' → 'paint committee', 'varnish committee', as in
    'the paint and varnish committee'). A name that would name two bodies names none."""
    found: dict[str, set[str]] = {}
    # A word of several bodies' names ('metrology', 'weights') is no one body's subject.
    users: dict[str, set[str]] = {}
    for body, spelled in full.items():
        for word in re.findall(r"[a-z]{4,}", " ".join(spelled).lower()):
            users.setdefault(word, set()).add(body)
    for body, spelled in full.items():
        for name in spelled:
            found.setdefault(" ".join(name.lower().split()), set()).add(body)
            subject = _SUBJECT_RE.search(name)
            for word in re.findall(r"[a-z]{4,}", subject[1].lower() if subject else ""):
                if word not in EN_STOP and len(users[word]) == 1:
                    found.setdefault(f"{word} committee", set()).add(body)
    return names | {alias: next(iter(owners)) for alias, owners in found.items() if len(owners) == 1}


# A body's full name is a run of words, starting with a capitalised one, that the documents write before
# '(BODY)' this often; a run that occurs almost only inside a longer such run (MIN_ALIAS_SHARE) is that run.
FULL_NAME_WORDS = 14  # the longest full name looked for, in words
_ACRONYM_RE = re.compile(r"\(([A-Z]{2,6})\)")
_SENTENCE_END_RE = re.compile(r"[.;!?]\s|\n")


def full_names(texts: Iterable[str], bodies: frozenset[str] | None) -> dict[str, tuple[str, ...]]:
    """Each body's full names as the documents spell them out before its acronym, longest first:
    'Consultative Committee for Thermometry (CCT)' and 'Comité consultatif de thermométrie (CCT)' give CCT
    both names. What a question means by 'the thermometry committee' is then in a CCT document's metadata.
    ``bodies`` None: every acronym written in parentheses."""
    seen: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for match in _ACRONYM_RE.finditer(text):
            body = match.group(1)
            if bodies is not None and body not in bodies:
                continue
            before = _SENTENCE_END_RE.split(text[max(0, match.start() - 300):match.start()])[-1]
            tokens = before.split()[-FULL_NAME_WORDS:]
            for start in range(len(tokens) - 1):
                first = tokens[start]
                if first[:1].isupper() and first.lower() not in _ARTICLES:
                    seen[(body, " ".join(tokens[start:]).rstrip(",:–- "))] += 1
    # A run with a figure cites something ('Resolution 12 of the 11th Conférence …'): it names no body.
    frequent = {key: n for key, n in seen.items() if n >= MIN_ALIAS_COUNT and not any(ch.isdigit() for ch in key[1])}
    out: dict[str, tuple[str, ...]] = {}
    for (body, name), n in sorted(frequent.items(), key=lambda item: -len(item[0][1])):
        inside = any(other.endswith(" " + name) and count >= MIN_ALIAS_SHARE * n
                     for (b, other), count in frequent.items() if b == body)
        if not inside:
            out[body] = (*out.get(body, ()), name)
    return out


def parse(text: str, bodies: frozenset[str], names: dict[str, str] | None = None) -> Reference:
    """The references in ``text``; a body counts only when it is one the collection knows (by its acronym or,
    with ``names`` from `aliases`, by the short name the documents give it)."""
    words = set(re.findall(r"[A-Za-z]{2,8}", text))
    lowered = " ".join(text.lower().split())
    named = frozenset(b for b in bodies if b in words or b.lower() in words)
    named |= frozenset(body for alias, body in (names or {}).items() if alias in lowered)
    meetings, items = _spelled(text, named, names or {})
    digits = with_ordinals(text, named)
    ordinals = [int(m[1]) for m in ORDINAL_RE.finditer(digits) if not _numbers_other(digits, m.end(), named)]
    ordinals += meetings
    return Reference(
        bodies=named,
        meeting=ordinals[0] if len(ordinals) == 1 else None,
        years=frozenset(YEAR_RE.findall(text)),
        items=frozenset(_item(kind, number) for kind, number in ITEM_RE.findall(text)) | items,
        dated=frozenset(DATED_YEAR_RE.findall(text)),
    )


def _numbers_other(text: str, end: int, bodies: frozenset[str]) -> bool:
    """Does the ordinal ending at text[end] number something other than a meeting (`NOT_MEETING_RE`)?"""
    other = NOT_MEETING_RE.match(text, end)
    return other is not None and not (other["word"] and other["word"].upper() in bodies)


def of_document(doc: Document, committees: Mapping[str, str] | None = None) -> Reference:
    """A document's own reference: its body, the meeting ordinal in its title, the year of its date. The body is
    the metadata's ``body``, else the body whose full name (lower case, in ``committees``) the metadata's
    ``committee`` gives: a committee's guide names it only so."""
    body = doc.meta.get("body") or (committees or {}).get(str(doc.meta.get("committee", "")).strip().lower())
    ordinals = ORDINAL_RE.findall(doc.title)
    year = doc.date[:4] if YEAR_RE.fullmatch(doc.date[:4] or "") else None
    return Reference(
        bodies=frozenset([str(body)]) if body else frozenset(),
        meeting=int(ordinals[0]) if ordinals else None,
        years=frozenset([year]) if year else frozenset(),
    )


def month_names(date: str) -> str:
    """'2015-10-14' → 'October octobre' ('' when the date has no month)."""
    month = date[5:7]
    if not (month.isdigit() and 1 <= int(month) <= 12):
        return ""
    return " ".join(names[int(month) - 1] for names in MONTHS)


def ordinal_forms(n: int) -> str:
    """The ways English and French questions write meeting ``n`` ('26th 26e'; '1st 1er 1re')."""
    french = "er 1re" if n == 1 else "e"
    return f"{english_ordinal(n)} {n}{french}"


def english_ordinal(n: int) -> str:
    """'1st', '12th', '23rd'."""
    return f"{n}" + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def with_ordinals(text: str, bodies: Iterable[str]) -> str:
    """``text`` with a meeting written by number after its body ('ABC 12', 'at XYZ 101') written as an ordinal
    before it ('12th ABC'), as the documents name their meetings; a year ('ABC 2030') or an item's number
    ('ABC/12-3') is left alone."""
    names = sorted(bodies)
    if not names:
        return text
    numbered = re.compile(rf"\b({'|'.join(map(re.escape, names))})\s+(\d{{1,3}})\b(?![-/.]?\d)")
    return numbered.sub(lambda m: f"{english_ordinal(int(m[2]))} {m[1]}", text)


def named_as(doc: Document, ref: Reference, names: dict[str, str],
             full: dict[str, tuple[str, ...]] | None = None) -> str:
    """How questions name this document's meeting, from its metadata: its dated title, its body's short
    names and full names (``full``, from `full_names`), the publication it belongs to (its ``document``
    field) and its meeting ordinal in both languages ('8th meeting of the ABC (2030) · widget assembly ·
    assemblée des widgets · 8th 8e · November novembre'). Read beside a quote to check the reference a
    question makes; never quoted."""
    parts = [doc.context_title]
    if publication := doc.meta.get("document"):
        parts.append(str(publication))  # the publication the file is part of: 'SI Brochure 9th edition'
    parts += [alias for alias, body in names.items() if body in ref.bodies]
    parts += [name for body in sorted(ref.bodies) for name in (full or {}).get(body, ())]
    if ref.meeting is not None:
        parts.append(ordinal_forms(ref.meeting))
    if month := month_names(str(doc.meta.get("date") or doc.date)):
        parts.append(month)
    return " · ".join(parts)


@lru_cache(maxsize=256)
def in_digits(text: str) -> str:
    """``text`` with its number words in digits, English then French (text2num). Cached: an answer parses its
    question's references more than once."""
    return alpha2digit(alpha2digit(text, "en", threshold=0), "fr", threshold=0)


def _spelled(text: str, bodies: frozenset[str], names: dict[str, str]) -> tuple[list[int], frozenset[tuple[str, str]]]:
    """The meetings and the items ``text`` numbers with an ordinal in words, in English or French ('its third
    recommendation' → recommendation 3; 'the first General Conference' → meeting 1). A meeting the text also
    numbers in digits is `ORDINAL_RE`'s: counted once, it stays the one meeting named."""
    digits = in_digits(text)
    written = set(ORDINAL_RE.findall(text))
    named = tuple(b.lower() for b in bodies) + tuple(names)
    meetings: list[int] = []
    items: set[tuple[str, str]] = set()
    for m in SPELLED_RE.finditer(digits):
        if m[2]:
            items.add(_item(m[2], m[1]))
        elif m[1] not in written and (m[3] or digits[m.end():].lower().startswith(named)):
            meetings.append(int(m[1]))
    return meetings, frozenset(items)


def section_items(heading: str) -> frozenset[tuple[str, str]]:
    """Numbered items a section heading names ('Resolution 4: On the dotation …' → resolution 4)."""
    return frozenset(_item(kind, number) for kind, number in ITEM_RE.findall(heading))


def document_match(asked: Reference, doc: Reference) -> float:
    """1.0 when every part of ``asked`` that the document could show agrees with it; 0.0 on any conflict.

    A body, meeting or year the question names and the document lacks is a conflict; a year also matches the
    meeting's own year only (a question naming 2018 and the 26th CGPM wants that meeting).
    """
    if not asked.names_document:
        return 0.0
    if not (asked.bodies & doc.bodies):
        return 0.0
    if asked.meeting is not None and asked.meeting != doc.meeting:
        return 0.0
    if asked.years and asked.meeting is None and not (asked.years & doc.years):
        return 0.0
    return 1.0


def records_of(asked: Reference, docs: dict[str, Reference]) -> frozenset[str]:
    """The ids of the documents whose meeting ``asked`` names. A year named without a meeting, and not as a
    date ('in 2012', 'June 2012'), may be the year of what was decided on ('the 2011 accounts'), which the
    body decides the next year: the body's records of that year count too (as in `recorded`)."""
    named = frozenset(d for d, r in docs.items() if document_match(asked, r))
    undated = asked.years - asked.dated
    if asked.meeting is not None or not asked.names_document or not undated:
        return named
    following = Reference(asked.bodies, None, frozenset(str(int(y) + 1) for y in undated))
    return named | frozenset(d for d, r in docs.items() if document_match(following, r))


def recorded(asked: Reference, docs: Iterable[Reference]) -> bool:
    """Does the collection hold the record a question names ('the 28th CGPM', 'the CCT in 2008')? True when
    the question names none, when a document matches it, or, for a meeting named with a year, when a document
    of one of its bodies is from that year (a later meeting is planned in the records of the year named:
    the 13th meeting, as planned at the body's sessions of the year named). A year named without a meeting
    may be the year of what was decided on ('the 2011 accounts', 'the table adopted in 1971'), which the
    body's meeting of the next year decides: a record of the body from that year counts too."""
    if not asked.names_document:
        return True
    docs = list(docs)
    if any(document_match(asked, d) for d in docs):
        return True
    if asked.meeting is None:
        following = {str(int(y) + 1) for y in asked.years if y.isdigit()}
        return any(asked.bodies & d.bodies and following & d.years for d in docs)
    return bool(asked.years) and any(asked.bodies & d.bodies and asked.years & d.years for d in docs)


def unrecorded_words(text: str, asked: Reference) -> list[str]:
    """How ``text`` names a record the collection lacks, as one phrase: meeting ordinal, bodies, years
    ('30e CGPM', 'CCT 2008')."""
    ordinal = ORDINAL_RE.search(text)
    words = [*([ordinal.group(0)] if ordinal and asked.meeting is not None else []), *sorted(asked.bodies),
             *sorted(asked.years)]
    return [" ".join(words)]


def _item(kind: str, number: str) -> tuple[str, str]:
    key = kind.lower()[:3]
    return (_KIND_KEY.get(key, key), number.split("/")[-1].lower())
