"""Text normalisation and matching rules shared by the validator and the scorer.

Rules (also stated in every Markdown report):
* fact phrasings match as case-insensitive, whitespace-normalised substrings of
  the answer; a phrasing that is a short acronym (2-6 letters, >= 2 capitals,
  e.g. "WHO", "CV", "MoU") must instead occur case-sensitively as a whole word
  (an optional plural "s" is allowed), so "WHO" does not match "who";
* a gold quote supports a passage when their word-token sequences (case-folded,
  punctuation ignored) satisfy: the passage contains the quote, or the quote
  contains the passage (>= 3 words), or the longest common run of consecutive
  words covers >= 60 % of a quote of >= 5 words (a quote split across chunks);
* both sides are read with HTML character references decoded ('&#xa0;' is a
  space): a quote copied from a Markdown file's source matches the text the
  ingest reads from it.
"""
from __future__ import annotations

import html
import re
import unicodedata

_PUNCT_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
})
_ACRONYM = re.compile(r"[A-Za-z]{2,6}")
_WORD = re.compile(r"\w+")

MIN_CONTAINED_PASSAGE_WORDS = 3
MIN_OVERLAP_QUOTE_WORDS = 5
OVERLAP_RATIO = 0.6


def normalize(text: str) -> str:
    """Decode character references, case-fold, unify quotes/dashes (NFKC) and collapse whitespace."""
    text = unicodedata.normalize("NFKC", html.unescape(text or "")).translate(_PUNCT_MAP)
    return " ".join(text.casefold().split())


def words(text: str) -> list[str]:
    """Word tokens of the normalised text (punctuation dropped)."""
    return _WORD.findall(normalize(text))


def is_acronym(phrase: str) -> bool:
    """True for short acronym-like phrasings that need case-sensitive matching."""
    return bool(_ACRONYM.fullmatch(phrase)) and sum(c.isupper() for c in phrase) >= 2


def phrase_in(phrase: str, text: str) -> bool:
    """Whether one fact phrasing occurs in ``text`` (see module rules)."""
    if not phrase.strip():
        return False
    if is_acronym(phrase):
        pattern = rf"(?<![A-Za-z0-9]){re.escape(phrase)}s?(?![A-Za-z0-9])"
        return re.search(pattern, text or "") is not None
    return normalize(phrase) in normalize(text)


def group_present(group: list[str], text: str) -> bool:
    """Whether at least one phrasing of a fact group occurs in ``text``."""
    return any(phrase_in(p, text) for p in group)


def _contains_seq(hay: list[str], needle: list[str]) -> bool:
    if not needle:
        return False
    return f" {' '.join(needle)} " in f" {' '.join(hay)} "


def longest_common_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive tokens shared by ``a`` and ``b``."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def quote_matches(quote: str, passage: str) -> bool:
    """Whether ``passage`` carries the gold ``quote`` (see module rules)."""
    q, p = words(quote), words(passage)
    if not q or not p:
        return False
    if _contains_seq(p, q):
        return True
    if len(p) >= MIN_CONTAINED_PASSAGE_WORDS and _contains_seq(q, p):
        return True
    if len(q) >= MIN_OVERLAP_QUOTE_WORDS:
        return longest_common_run(q, p) >= OVERLAP_RATIO * len(q)
    return False


def text_has_quote(quote: str, text: str) -> bool:
    """Strict check used by the validator: normalised substring."""
    return normalize(quote) in normalize(text)
