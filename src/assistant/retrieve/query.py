"""Question analysis: language, what kind of answer is wanted, and the focus terms to look for.

Nothing here knows any particular question: it reads general English/French question patterns.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from assistant.text import QUESTION_WORDS, detect_language, fold, is_stop, lemma, words

# Words that describe the asking, not the thing asked about.
META_WORDS = frozenset(
    """info information detail details thing things way kind type exactly actually document documents
    page say says mention mentioned according state states stated regarding concerning anything
    something possible question answer bit lot some more exist exists available currently
    find know tell show mean means involve involved involves step steps procedure process
    étape étapes démarche démarches procédure""".split()
)
PRESENT_RE = re.compile(r"\b(currently|right now|now|at present|at the moment|nowadays|today|actuellement|en ce moment)\b", re.I)
NEEDS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b(e-?mail|courriel|adresse (e-?mail|électronique|mail))\b", re.I)),
    ("phone", re.compile(r"\b(phone|telephone|tel|fax|téléphone|numéro de téléphone)\b", re.I)),
    ("duration", re.compile(r"\bhow long\b|\bduration\b|\bcombien de temps\b|\bdurée\b", re.I)),
    ("date", re.compile(
        r"^\s*(when|quand)\b|\b(what|which|quelle?) (date|year|day|month|année|jour)\b|\bdeadline\b|"
        r"\bdate limite\b|\bsince when\b|\bby when\b", re.I)),
    ("number", re.compile(
        r"\bhow (much|many)\b|\bcombien\b|\bmontant\b|\bwhat (is|was) the (amount|number|figure|sum|"
        r"percentage|rate|size)\b|\b(amount|figure|sum) of\b", re.I)),
]
STEPS_RE = re.compile(r"\b(steps?|procedure|process|étapes?|démarches?|procédure)\b", re.I)
HOW_I_RE = re.compile(r"^\s*(how (do|can|should|would|could|might) (i|we|one|you)|how to|comment)\b", re.I)
LIST_RE = re.compile(r"\b(list|all|every|each|tous|toutes|liste|quels|quelles|which)\b", re.I)
WH_RE = re.compile(r"^\s*(what|which|who|name|quels?|quelles?)\b", re.I)


@dataclass(frozen=True)
class Term:
    """A focus term of the question: surface word, lemma (spell-corrected when the corpus agrees), weight."""

    word: str
    lemma: str
    weight: float


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    need: str | None
    wants_steps: bool
    wants_list: bool
    present: bool
    terms: tuple[Term, ...]
    soft: tuple[str, ...] = ()  # class nouns of a list question ('which organizations'): the answer's type

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.terms]

    @property
    def hard_terms(self) -> tuple[Term, ...]:
        """Terms the quoted evidence must cover."""
        return tuple(t for t in self.terms if t.lemma not in self.soft)


def analyse(text: str, vocab: set[str], idf: callable, today: date | None = None) -> Question:  # type: ignore[valid-type]
    """Read a (condensed) question: its language, answer type and weighted focus terms."""
    lang = "fr" if detect_language(text) == "fr" and _has_french_cue(text) else "en"
    resolved = _resolve_relative_years(text, today or date.today())
    need = next((name for name, rx in NEEDS if rx.search(resolved)), None)
    terms = _terms(PRESENT_RE.sub(" ", resolved), lang, vocab, idf, need)
    plural = [t for t in terms if _is_plural(t)]
    wants_list = bool(LIST_RE.search(text)) or (bool(WH_RE.search(text)) and bool(plural))
    soft = tuple(t.lemma for t in plural) if wants_list else ()
    return Question(
        text=text,
        lang=lang,
        need=need,
        wants_steps=bool(STEPS_RE.search(text)) or bool(HOW_I_RE.search(text)),
        wants_list=wants_list,
        present=bool(PRESENT_RE.search(text)),
        terms=terms,
        soft=soft,
    )


def _is_plural(term: Term) -> bool:
    return term.word.lower().endswith("s") and term.lemma != fold(term.word)


def _has_french_cue(text: str) -> bool:
    return bool(re.search(r"[éèêàùçôî]|\b(est|sont|les|des|une|pour|quel|quelle|comment|qui|où)\b", text, re.I))


def _resolve_relative_years(text: str, today: date) -> str:
    """'this year' → '2026' (from the clock), so dated sections can match."""
    for pattern, delta in ((r"\b(this|the current) year\b|\bcette année\b", 0),
                           (r"\bnext year\b|\bl'année prochaine\b", 1), (r"\blast year\b|\bl'année dernière\b", -1)):
        text = re.sub(pattern, str(today.year + delta), text, flags=re.I)
    return text


def _terms(text: str, lang: str, vocab: set[str], idf: callable, need: str | None) -> tuple[Term, ...]:  # type: ignore[valid-type]
    out: dict[str, Term] = {}
    for word in words(text):
        low = word.lower()
        if is_stop(word) or low in QUESTION_WORDS or low in META_WORDS:
            continue
        if need == "email" and low in ("address", "adresse", "mail"):
            continue  # part of 'e-mail address'
        base = correct(lemma(word, lang), vocab)
        if base not in out:
            out[base] = Term(word, base, float(idf(base)))
    return tuple(out.values())


def correct(token: str, vocab: set[str]) -> str:
    """Typo repair against the corpus vocabulary ('secondmnet' → 'secondment'); long words only."""
    if token in vocab or len(token) < 5 or not vocab or any(ch.isdigit() for ch in token):
        return token
    close = difflib.get_close_matches(token, [v for v in vocab if abs(len(v) - len(token)) <= 2], n=1, cutoff=0.84)
    return close[0] if close else token
