"""Does a piece of text cover a question term? Lexically (lemma, stem, acronym) or by word-embedding similarity."""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import NamedTuple

import numpy as np

from assistant.answer.evidence import Unit
from assistant.index.embedder import Embedder
from assistant.question.references import ITEM_RE, ORDINAL_RE, in_digits
from assistant.retrieve.query import Term
from assistant.settings import Settings
from assistant.text import (
    ACRONYM_RE,
    GREEK_RE,
    NAME_GLUE,
    YEAR_RE,
    content_lemmas,
    derivational_root,
    fold,
    greek_names,
    greek_spelled,
    is_stop,
    lemma,
    stem,
    stem_root,
    words,
)

log = logging.getLogger(__name__)

# Shortest root that a derivation match compares: shorter ones ('mas', 'par') start too many unrelated words.
DERIVATION_MIN = 4
# A negating prefix before a stem long enough to be a word of its own ('un|stabilis', 'non|linear'; not 'un|it').
NEGATED_RE = re.compile(r"(un|non)([a-z]{6,})")
StoredWords = Callable[[list[str]], dict[str, np.ndarray]]


class Profile:
    """The comparable forms of one text: lemmas, stems, acronyms and surface words.

    Lemmas and stems are read first by every check and are built at once; the forms only some checks read
    (surface words, initials, acronyms, stem roots) are built on first use: most terms match, or fail, before.
    """

    def __init__(self, text: str, lang: str = "en") -> None:
        self.text = text
        self.lemmas = set(content_lemmas(text, lang))
        self.lemmas |= {part for t in self.lemmas if "-" in t for part in t.split("-") if len(part) > 2}
        self.lemmas |= nuclide_lemmas(text) | quantity_lemmas(text) | formula_lemmas(text) | greek_lemmas(text) | power_lemmas(text)
        self.stems = {stem(t) for t in self.lemmas}
        self._parts: tuple[Profile, ...] = ()

    @classmethod
    def joined(cls, parts: Sequence[Profile]) -> Profile:
        """The profile of the parts' texts joined by line breaks, made from the parts' own forms: equal to
        ``Profile("\n".join(texts), lang)`` for parts of one language, since no word, acronym or nuclide the
        profile reads spans a line break. A context shares its title and heading with its neighbours'."""
        profile = cls.__new__(cls)
        profile.text = "\n".join(p.text for p in parts)
        profile.lemmas = set().union(*(p.lemmas for p in parts))
        profile.stems = set().union(*(p.stems for p in parts))
        profile._parts = tuple(parts)
        return profile

    @cached_property
    def words(self) -> list[str]:
        if self._parts:
            return sorted(set().union(*(p.words for p in self._parts)))
        return sorted(vocabulary(self.text))

    @cached_property
    def acronyms(self) -> set[str]:
        if self._parts:
            return set().union(*(p.acronyms for p in self._parts))
        return {a.lower() for a in ACRONYM_RE.findall(self.text)}

    @cached_property
    def initials(self) -> str:
        """Initials of the content words, for acronyms the text spells out without using them."""
        if self._parts:
            return " " + " ".join(inner for p in self._parts if (inner := p.initials.strip())) + " "
        return " " + " ".join(w[0].lower() for w in words(self.text) if w.lower() not in NAME_GLUE) + " "

    @cached_property
    def all_initials(self) -> str:
        """Initials of every word, small ones too, for the acronyms that keep a small word's letter in lower
        case ('MoU': 'memorandum of understanding')."""
        if self._parts:
            return " " + " ".join(inner for p in self._parts if (inner := p.all_initials.strip())) + " "
        return " " + " ".join(w[0].lower() for w in words(self.text)) + " "

    @cached_property
    def _derivable(self) -> set[str]:
        """The stems a derivation match compares: each stem, and a negated one without its prefix
        ('unstabilis' derives from 'stabil' too: 'without stabilisation' is said 'unstabilised')."""
        return self.stems | {m[2] for s in self.stems if (m := NEGATED_RE.fullmatch(s))}

    @cached_property
    def _sorted_stems(self) -> list[str]:
        return sorted(self._derivable)

    @cached_property
    def _long_roots(self) -> frozenset[str]:
        return frozenset(r for r in map(stem_root, self._derivable) if len(r) >= DERIVATION_MIN)

    def exact(self, term: Term) -> bool:
        forms = _term_forms(term.lemma, term.word)
        if forms.lemma in self.lemmas or forms.stem in self.stems:
            return True
        if forms.bare in self.acronyms:
            return True
        if forms.spelled is not None and forms.spelled in self.initials:
            return True  # 'NMI' is covered by 'national measurement institute'
        if forms.mixed is not None and forms.mixed in self.all_initials:
            return True  # 'MeP-K' is covered by 'mise en pratique'
        if forms.parts is not None and all(not part.isdisjoint(self.lemmas) or self._numbered(part)
                                           for part in forms.parts):
            # 'Asia-Pacific' is covered by 'Asia Pacific', 'dimmed-out' by 'dimmed out', 'ABC-30' by '30th ABC'
            return True
        if not forms.synonyms.isdisjoint(self.lemmas):
            return True  # 'openings' is covered by 'opportunities', 'links' by 'liaison'
        if forms.ordinal is not None and forms.ordinal in self.numbers:
            return True  # 'the eighth meeting' is covered by '8th meeting', 'the fourth one' by 'Recommendation 4'
        if forms.number is not None and forms.number in self.spelled_numbers:
            return True  # and '11th' by 'the Eleventh Widget Assembly', '11e' by 'la Onzième Assemblée'
        return self._derived(forms.root)

    def _numbered(self, part: frozenset[str]) -> bool:
        """Is a code's part a figure the text gives something by ('30' of 'ABC-30': 'the 30th meeting')?"""
        return any(p.isdigit() and int(p) in self.numbers for p in part)

    @cached_property
    def numbers(self) -> frozenset[int]:
        """The numbers the text gives things by: ordinals in digits ('8th', '8e'), numbered items' labels
        ('Recommendation 4', a line opening '4.' or '4)')."""
        if self._parts:
            return frozenset().union(*(p.numbers for p in self._parts))
        found = {int(m[1]) for m in ORDINAL_RE.finditer(self.text)}
        found |= {int(m[2]) for m in ITEM_RE.finditer(self.text) if m[2].isdigit()}
        found |= {int(m[1]) for m in NUMBERED_LINE_RE.finditer(self.text)}
        return frozenset(found)

    @cached_property
    def spelled_numbers(self) -> frozenset[int]:
        """The numbers of the ordinals the text spells out ('Eleventh' → 11, 'huitième' → 8; not 'first')."""
        if self._parts:
            return frozenset().union(*(p.spelled_numbers for p in self._parts))
        return frozenset(n for w in words(self.text.lower()) if (n := spelled_ordinal(w)) is not None)

    def _derived(self, root: str) -> bool:
        """Does a stem of the text start with ``root``, or ``root`` with a stem's root (both of at least
        `DERIVATION_MIN` letters)? 'applic' and 'appl' share a derivation."""
        if len(root) < DERIVATION_MIN:
            return False
        stems = self._sorted_stems
        at = bisect_left(stems, root)  # the stems that start with ``root`` sort right after it
        if at < len(stems) and stems[at].startswith(root):
            return True
        return any(root[:end] in self._long_roots for end in range(DERIVATION_MIN, len(root) + 1))


class TermForms(NamedTuple):
    """What `Profile.exact` compares of a term, worked out once per term rather than once per text."""

    lemma: str
    stem: str
    bare: str  # without a plural 's', as an acronym
    spelled: str | None  # an acronym's letters as initials (' n m i '), for an all-capitals word
    mixed: str | None  # a mixed-case acronym's letters as initials (' m e p ' for 'MeP', 'MeP-K', 'MoUs')
    parts: tuple[frozenset[str], ...] | None  # a hyphenated lemma's content parts (3+ letters, or with a figure), as written or lemmas
    synonyms: frozenset[str]
    root: str  # derivational root ("" for a word with a figure: a code or value derives from nothing)
    ordinal: int | None  # the number a spelled-out ordinal writes ('fourth' → 4)
    number: int | None  # the number an ordinal in digits writes ('11th', '11e' → 11)


@lru_cache(maxsize=100_000)
def _term_forms(token: str, word: str) -> TermForms:
    bare = token[:-1] if token.endswith("s") else token
    spelled = f" {' '.join(bare)} " if word.rstrip("s").isupper() and len(bare) >= 3 else None
    # A part that is a stop word ('out' of 'dimmed-out') is in no text's lemmas: the content parts decide.
    # A part with a figure counts however short: 'K4' of 'ABC.X-K4' is what tells it from 'ABC.X-K3'.
    parts = tuple(frozenset({part, lemma(part)}) for part in token.split("-")
                  if any(ch.isdigit() for ch in part) or (len(part) > 2 and not is_stop(part))) if "-" in token else None
    head = word.split("-")[0]
    head = head[:-1] if len(head) > 3 and head.endswith("s") and head[-2].isupper() else head  # 'MoUs'
    mixed = f" {' '.join(head.lower())} " if MIXED_ACRONYM_RE.match(head) else None
    return TermForms(token, stem(token), bare, spelled, mixed, parts or None, synonyms().get(token, frozenset()),
                     # A code or value is no derivation of a word ('ABC.X-K4' of 'ABC.X'): none for one with a figure.
                     "" if any(ch.isdigit() for ch in token) else derivational_root(token), spelled_ordinal(token),
                     int(found[1]) if (found := ORDINAL_RE.fullmatch(token)) else None)


# A numbered list's item as the documents write one: a line opening '4.' or '4)'.
NUMBERED_LINE_RE = re.compile(r"(?m)^\s*(\d{1,3})[.)]\s")
# 'first' and 'premier' are as often adverbs ('who first proposed …', 'en premier'): ordinals from the second up.
ORDINAL_MIN = 2


@lru_cache(maxsize=100_000)
def spelled_ordinal(token: str) -> int | None:
    """The number a spelled-out ordinal writes ('fourth' → 4, 'huitième' → 8, 'twenty-sixth' → 26); None for any
    other word, for 'first' (`ORDINAL_MIN`) and for an ordinal that is also a unit's name ('second': as often
    the time unit)."""
    if token in unit_names():
        return None
    found = ORDINAL_RE.fullmatch(in_digits(token))
    return int(found[1]) if found and int(found[1]) >= ORDINAL_MIN else None


@lru_cache(maxsize=1)
def unit_names() -> frozenset[str]:
    """Every name of the units in the packaged table (data/units.tsv), folded and lower case."""
    return frozenset(name for names in by_symbol("units.tsv").values() for name in names)


# An acronym that writes a small word's letter in lower case: two capitals or more, not all capitals ('MeP', 'MoU').
MIXED_ACRONYM_RE = re.compile(r"^(?=(?:[a-z]*[A-Z]){2})(?=.*[a-z])[A-Za-z]{3,6}$")

# Profiles kept by `profile_of`: about one question's evidence units and contexts, a few times over (a Profile
# of a sentence with its context holds a few hundred short strings).
PROFILES_KEPT = 4096


@lru_cache(maxsize=PROFILES_KEPT)
def profile_of(text: str, lang: str = "en") -> Profile:
    """``Profile(text, lang)``, built once while it is among the recently used: the same unit or context is
    read several times per question and again by the next question about that document. A Profile is never
    changed after it is built, so one object serves every reader."""
    return Profile(text, lang)


@lru_cache(maxsize=PROFILES_KEPT)
def joined_profile_of(parts: tuple[str, ...], lang: str = "en") -> Profile:
    """``profile_of("\n".join(parts), lang)``, joined from each part's kept profile (`Profile.joined`)."""
    return Profile.joined([profile_of(part, lang) for part in parts])


# A nuclide as the documents write it: mass number, then element symbol ('^87Rb', '^87^Sr', '^171^Yb^+').
NUCLIDE_RE = re.compile(r"(?<![\w.])\^?(\d{1,3})\^?([A-Z][a-z]?)(?![a-z])")


@lru_cache(maxsize=2)
def by_symbol(name: str) -> dict[str, tuple[str, ...]]:
    """Symbol → its names, from the packaged table ``name`` (data/elements.tsv, data/units.tsv: a symbol, then
    its names, English first, then other spellings and French)."""
    text = (files("assistant.data") / name).read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {row[0]: tuple(fold(n.lower()) for n in row[1:]) for row in rows}


def nuclide_lemmas(text: str) -> set[str]:
    """The names a question may give the nuclides ``text`` writes by symbol: '^87Rb' → 'rubidium-87',
    'rubidium', '87rb', 'rb-87'."""
    out: set[str] = set()
    table = by_symbol("elements.tsv")
    for mass, symbol in NUCLIDE_RE.findall(text):
        for name in table.get(symbol, ()):
            out |= {f"{name}-{mass}", name, f"{mass}{symbol.lower()}", f"{symbol.lower()}-{mass}"}
    return out


# A formula, symbol or label with sub- or superscript markup, as the documents write one: 'CO_2', 'T_90',
# '^127I_2', 'a_9' (letters and figures joined by '_' or '^').
FORMULA_RE = re.compile(r"\^?[^\W_]+(?:[_^][^\W_]+)+")
MARKUP = str.maketrans("", "", "_^")


def formula_lemmas(text: str) -> set[str]:
    """The way a question types what ``text`` writes with sub- or superscript markup, the markup left out:
    'CO_2' → 'co2', '^127I_2' → '127i2', 'a_9' → 'a9'."""
    if "_" not in text and "^" not in text:
        return set()  # no markup (most texts): the plain search costs a tenth of the pattern's
    return {m.translate(MARKUP).lower() for m in FORMULA_RE.findall(text)}


def greek_lemmas(text: str) -> set[str]:
    """The way a question spells what ``text`` writes with Greek letters, each letter by its Unicode name:
    'μ_0' → 'mu_0', 'mu0'; 'π' → 'pi'; 'Δν_Cs' → 'deltanu_cs', 'deltanucs', 'delta', 'nu'."""
    out: set[str] = set()
    if text.isascii():
        return out  # no Greek letter, and `isascii` costs nothing (most texts: a Profile is built per unit)
    for letters, markup in GREEK_RE.findall(text):
        names = greek_names(letters)
        joined, markup = "".join(names), markup.lower()
        out |= {joined + markup, joined + markup.translate(MARKUP)}
        if not markup or len(names) > 1:
            # 'π', and 'Δν' asked as 'delta nu'; but not 'mu' for 'μ_0', lest 'mu_1' be read as derived from it.
            out |= set(names)
    if out:  # (most texts with other characters than ASCII have no Greek letter: nothing to spell)
        # A letter inside a word ('A_ε', '10-kΩ'): the word as a question spells it (`greek_spelled`).
        out |= {w.lower() for w in words(greek_spelled(text))} - {w.lower() for w in words(text)}
    return out


# A power of ten as the documents write one, with its factor if any: '1 × 10^−6', '2.3 × 10^−10', '10^8'.
POWER_RE = re.compile(r"(?:(\d+(?:\.\d+)?)\s?[×x]\s?)?10\^([−-]?\d{1,3})(?![\d.])")


def power_lemmas(text: str) -> set[str]:
    """The way a question types a power of ten ``text`` writes: '1 × 10^−6' → '1e-6', '2.3 × 10^−10' →
    '2.3e-10', '10^8' → '1e8'."""
    if "10^" not in text:
        return set()  # the plain search is several times cheaper than the pattern's
    return {f"{factor or '1'}e{exponent.replace('−', '-')}" for factor, exponent in POWER_RE.findall(text)}


# A figure then a unit symbol, as the documents write a quantity: '20 K', '3 Da', '10^−3 kg', '(12) kg'.
QUANTITY_RE = re.compile(r"[\d)]\s?(°C|[A-Za-zΩ]{1,3})(?![\w^])")


# The lemmas of the word 'year' (English, French folded): a calendar year written as a figure names one.
YEAR_LEMMAS = frozenset({"year", "annee"})


def quantity_lemmas(text: str) -> set[str]:
    """The names of the units ``text`` writes by symbol right after a figure: '10^−3 kg' → 'kilogram',
    'kilogramme' (a name of several words gives its last: 'degree celsius' → 'celsius'); and 'year' when it
    writes a calendar year ('in 1987')."""
    table = by_symbol("units.tsv")
    names = {name.split()[-1] for symbol in QUANTITY_RE.findall(text) for name in table.get(symbol, ())}
    return names | YEAR_LEMMAS if YEAR_RE.search(text) else names


SYNONYM_FILES = ("synonyms.tsv", "places.tsv")


@lru_cache(maxsize=1)
def synonyms() -> dict[str, frozenset[str]]:
    """lemma → the other lemmas of its groups in the packaged synonym files: data/synonyms.tsv (interchangeable
    words) and data/places.tsv (a place and its adjective: 'Norway', 'Norwegian')."""
    groups: dict[str, set[str]] = {}
    text = "\n".join((files("assistant.data") / name).read_text(encoding="utf-8") for name in SYNONYM_FILES)
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group = [fold(w.strip().lower()) for w in line.split("\t") if w.strip()]
        for word in group:
            groups.setdefault(word, set()).update(w for w in group if w != word)
    return {w: frozenset(g) for w, g in groups.items()}


# Stacks of word vectors kept by `TermMatcher`: one question's terms and about its evidence's texts (a stack of a
# context's words is tens of kilobytes).
MATRICES_KEPT = 256


class TermMatcher:
    """Graded coverage in [0, 1] of question terms by a text, with cached word vectors.

    Word vectors come from ``stored`` (the vectors the ingest stored for the documents' vocabulary, looked up
    once per word) when given; only words it lacks (the question's own, or every word of an index built
    before they were stored) are embedded, in one call per question.
    """

    def __init__(self, embedder: Embedder, low: float, high: float, stored: StoredWords | None = None) -> None:
        self.embedder = embedder
        self.low, self.high = low, high
        self.stored = stored
        self._vectors: dict[str, np.ndarray] = {}
        self._matrices: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_settings(cls, embedder: Embedder, settings: Settings, stored: StoredWords | None = None) -> TermMatcher:
        """The matcher of ``settings``: no coverage below ``term_match - term_match_below``, full from
        ``term_match + term_match_above``; word vectors from ``stored`` (the index's) where it has them."""
        s = settings
        return cls(embedder, low=s.term_match - s.term_match_below, high=s.term_match + s.term_match_above,
                   stored=stored)

    def coverage(self, terms: Sequence[Term], profile: Profile) -> dict[str, float]:
        """term lemma → coverage; 1.0 for an exact match, else scaled best word similarity."""
        result = {t.lemma: 1.0 for t in terms if profile.exact(t)}
        # A word the corpus itself uses is matched literally: 'Time Department' is not 'typical year'.
        rest = [t for t in terms if t.lemma not in result and not (t.known and t.key)]
        if rest and profile.words:
            best = self.similarity([fold(t.word) for t in rest], profile.words).max(axis=1)
            scaled = np.clip((best - self.low) / (self.high - self.low), 0.0, 1.0)
            for term, value in zip(rest, scaled.tolist(), strict=True):
                result[term.lemma] = value
        return {t.lemma: result.get(t.lemma, 0.0) for t in terms}

    def prefetch(self, profiles: Iterable[Profile], terms: Sequence[Term]) -> None:
        """Embed, in one call, the words of the ``profiles``' texts that semantic matching of ``terms`` would
        need."""
        if not terms:
            return
        asked = {fold(t.word) for t in terms}
        wanted = set(asked)
        for profile in profiles:
            wanted.update(profile.words)
        unstored = [w for w in self._fill(sorted(wanted)) if w not in asked]
        if unstored and self.stored is not None:
            # Once at warning level: answers are right, only slower, until the next ingest stores them.
            (log.info if self._warned else log.warning)(
                "embedding %d document words at question time: the index has no stored vectors for them "
                "(run `assistant ingest` once to store them)", len(unstored))
            self._warned = True

    def similarity(self, left: list[str], right: list[str]) -> np.ndarray:
        return self._matrix(left) @ self._matrix(right).T

    def _matrix(self, tokens: list[str]) -> np.ndarray:
        """The stacked vectors of ``tokens``; a recent stack is reused, since a question compares its own terms
        with every unit, and a unit's or context's words more than once."""
        key = tuple(tokens)
        with self._lock:
            found = self._matrices.get(key)
            if found is not None:
                self._matrices.move_to_end(key)
                return found
        matrix = self._embed(key)
        with self._lock:
            self._matrices[key] = matrix
            while len(self._matrices) > MATRICES_KEPT:
                self._matrices.popitem(last=False)
        return matrix

    def _embed(self, tokens: Iterable[str]) -> np.ndarray:
        tokens = list(tokens)
        self._fill(tokens)
        return np.array([self._vectors[t] for t in tokens])  # np.stack's checks cost 3x as much here

    def _fill(self, tokens: list[str]) -> list[str]:
        """Cache a vector for each of ``tokens``: stored ones first, the rest embedded; return those embedded."""
        with self._lock:
            missing = [t for t in dict.fromkeys(tokens) if t not in self._vectors]
        if missing and self.stored is not None:
            found = self.stored(missing)
            with self._lock:
                self._vectors.update(found)
            missing = [t for t in missing if t not in found]
        if missing:
            vectors = self.embedder.embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors, strict=True))
        return missing


def vocabulary(text: str) -> set[str]:
    """The words of ``text`` that semantic term matching compares (folded, no stop words or bare numbers)."""
    return {fold(w) for w in words(text) if not w.isdigit() and not is_stop(w)}


def document_vocabulary(title: str, units: Iterable[Unit]) -> set[str]:
    """Every word term matching can compare in a document's evidence: its units, their headings, its title
    (what the answerer's coverage texts are made of; acronym expansions are spelled out in the documents)."""
    out = vocabulary(title)
    for u in units:
        out |= vocabulary(u.text) | vocabulary(u.section)
    return out


def weighted(coverage: dict[str, float], terms: Sequence[Term]) -> float:
    """IDF-weighted mean coverage of ``terms`` (1.0 when there is nothing to cover)."""
    total = sum(t.weight for t in terms)
    if not total:
        return 1.0
    return sum(t.weight * coverage.get(t.lemma, 0.0) for t in terms) / total
