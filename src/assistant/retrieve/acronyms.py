"""Acronyms and their expansions as the documents give them: 'WHO (World Health Organization)'."""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.text import NAME_GLUE, expands

SHORT_FIRST = re.compile(r"\b([A-Z][A-Za-z0-9-]{1,9})\s*\(([A-Z][^()]{3,120})\)")  # 'ILAC (International …)'
LONG_FIRST = re.compile(rf"\b((?:[A-Z][\w-]*\s+(?:(?:{'|'.join(sorted(NAME_GLUE))})\s+)*){{1,10}}[A-Z][\w-]*)"
                        r"\s*\(([A-Z][A-Za-z0-9-]{1,9})\)")  # 'International Bureau of Weights … (BIPM)'


LONG_FORM_WORDS = 3  # words read before an '(ABC)', per letter of the acronym ('Bureau international des …')


def find_expansions(texts: Iterable[str]) -> dict[str, str]:
    """Acronym → expansion for every pair the texts spell out (the first one found wins)."""
    found: dict[str, str] = {}
    for text in texts:
        pairs = [(m.group(1), m.group(2)) for m in SHORT_FIRST.finditer(text)]
        pairs += [(m.group(2), m.group(1)) for m in LONG_FIRST.finditer(text)]
        for short, long in pairs:
            long = _trim(short, long.strip())
            if long and short not in found:
                found[short] = long
    return found


def spells_out(acronym: str, text: str) -> bool:
    """Does ``text`` give the expansion of ``acronym``: 'ILAC (International …)', 'International … (ILAC)', or
    a glossary entry opening a line ('ILAC: International …')? Not a reference number ('JCRB (JCRB-12/3)') nor
    a bracket whose name was left in another sentence ('(ILAC).')."""
    a = re.escape(acronym)
    if not re.search(rf"{a}s?\s*\(|\({a}s?\)|^(?:- )?{a}:", text, re.M):
        return False  # none of the forms below can match: the search for a long form is slow on long texts
    # The name must read as one of the acronym: 'JCRB (Gaithersburg, USA)' names a place, 'Mr Mussio (SIM)' a
    # delegate. 'CARICOM (Caribbean Community)' starts with its first letter; 'COOMET' is spelled by the
    # initials of 'Euro-Asian Cooperation of National Metrological Institutions (COOMET)'.
    letters = acronym.rstrip("s")
    for found in re.finditer(rf"\b{a}s?\s*\(([A-Z][a-z][^()\n]*)", text):
        if found.group(1)[0] == acronym[0] or expands(letters, found.group(1)):
            return True
    for found in re.finditer(rf"\s\({a}s?\)", text):
        # The run of the line before the bracket, from its first letter after any earlier bracket (read from each
        # bracket back: a pattern scanning forward for it backtracks over every long line).
        line = text[text.rfind("\n", 0, found.start()) + 1:found.start()]
        run = line[max(line.rfind("("), line.rfind(")")) + 1:]
        start = re.search(r"[A-Za-z]", run)
        if start is None:
            continue
        before = re.sub(r"['’]", " ", run[start.start():]).split()[-LONG_FORM_WORDS * len(letters):]  # "l'Organisation"
        if expands(letters, " ".join(before)) or any(w[0] == acronym[0] for w in before if w[:1].isupper()):
            return True
    return re.search(rf"^(?:- )?{a}:\s+\S", text, re.M) is not None


def unspelled(acronyms: Iterable[str], texts: Iterable[str]) -> list[str]:
    """The ``acronyms`` none of ``texts`` spells out (see `spells_out`), in their order."""
    texts = list(texts)
    return [a for a in acronyms if not any(a in t and spells_out(a, t) for t in texts)]


def _trim(short: str, long: str) -> str:
    """The shortest tail of ``long`` whose capitalised words spell ``short`` ('' when none does)."""
    words = long.split()
    for start in range(len(words) - 1, -1, -1):
        if _spells(short, words[start:]):
            return " ".join(words[start:])
    return ""


def _spells(short: str, words: list[str]) -> bool:
    """Stricter than ``assistant.text.expands`` (ingest's loose check, which counts small words' initials):
    initials of the capitalised words give the acronym's letters in order (one extra allowed:
    'International Earth Rotation and Reference Systems' → IERS) or, reordered, exactly (UTC)."""
    letters = [ch for ch in short.rstrip("s") if ch.isupper()]
    initials = [w[0] for w in words if w[:1].isupper()]
    if len(letters) < 2 or not words[0][:1].isupper():
        return False
    if sorted(letters) == sorted(initials):
        return True
    it = iter(initials)
    return len(initials) - len(letters) <= 1 and all(ch in it for ch in letters) and initials[0] == letters[0]


EXPANSION_SEPARATOR = "; "  # between the names of an acronym spelled out in several ways (English, French)


def expansion_of(acronym: str, expansions: dict[str, str]) -> str:
    """The documents' names for ``acronym`` ('' if none), looked up in the singular and the plural too: the
    documents may spell out only the plural ('the Gadget Laboratories (GLs)') and write 'the GL' elsewhere."""
    if acronym.endswith("s"):
        return expansions.get(acronym) or expansions.get(acronym[:-1]) or ""
    return expansions.get(acronym) or expansions.get(f"{acronym}s") or ""


def contractions(text: str, acronyms: dict[str, str]) -> list[str]:
    """The acronyms whose full name ``text`` writes out ('the Widget Standards Board' → WSB), so a
    search for it also finds the documents that write only 'the WSB'. ``acronyms`` maps each to its names
    separated by `EXPANSION_SEPARATOR` (`CorpusView.acronyms`)."""
    low = text.lower()
    return [acronym for acronym, names in acronyms.items() if acronym not in text and any(
        re.search(rf"\b{re.escape(name.lower())}\b", low) for name in names.split(EXPANSION_SEPARATOR) if name)]


def with_expansions(text: str, expansions: dict[str, str]) -> str:
    """``text`` followed by the expansions of the acronyms it uses (`expansion_of`), so 'WHO' also covers
    'World Health'."""
    found = dict.fromkeys(re.findall(r"\b[A-Z][A-Za-z0-9-]{1,9}\b", text))
    extra = [e for a in found if (e := expansion_of(a, expansions))]
    extra = [e for e in dict.fromkeys(extra) if e not in text]
    return f"{text}\n{'; '.join(extra)}" if extra else text
