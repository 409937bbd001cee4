"""Pure metric functions (no I/O, no assistant import) used by the scorer."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from assistant.evaluate.textmatch import group_present, phrase_in, quote_matches


def facts_present(facts: list[list[str]], text: str) -> list[bool]:
    """For each fact group, whether one of its phrasings occurs in ``text``."""
    return [group_present(group, text) for group in facts]


def fact_recall(facts: list[list[str]], text: str) -> float | None:
    """Share of fact groups present in ``text`` (None when there are none)."""
    if not facts:
        return None
    present = facts_present(facts, text)
    return sum(present) / len(present)


def is_correct(answerable: bool, facts: list[list[str]], text: str, abstained: bool) -> bool:
    """Answerable: answered and every fact group present. Unanswerable: abstained."""
    if not answerable:
        return abstained
    return (not abstained) and bool(facts) and all(facts_present(facts, text))


def citation_texts(citation: object) -> list[str]:
    """The passage text and the quoted span of a citation (whichever exist)."""
    out = []
    for attr in ("text", "quote"):
        value = getattr(citation, attr, None)
        if isinstance(value, str) and value.strip():
            out.append(value)
    return out


def citation_supports(citation: object, quotes: Sequence[str]) -> bool:
    """Whether the citation's passage or span carries one of the gold quotes."""
    return any(quote_matches(q, t) for q in quotes for t in citation_texts(citation))


def citation_relevant(citation: object, quotes: Sequence[str], facts: list[list[str]]) -> bool:
    """Supports a gold quote, or contains at least one fact phrasing."""
    if citation_supports(citation, quotes):
        return True
    texts = citation_texts(citation)
    return any(phrase_in(p, t) for group in facts for p in group for t in texts)


def any_citation_supports(citations: Sequence[object], quotes: Sequence[str]) -> bool:
    """Whether at least one citation supports the answer."""
    return any(citation_supports(c, quotes) for c in citations)


def citation_precision(citations: Sequence[object], quotes: Sequence[str],
                       facts: list[list[str]]) -> float:
    """Share of citations that are relevant (0.0 when nothing is cited)."""
    if not citations:
        return 0.0
    return sum(citation_relevant(c, quotes, facts) for c in citations) / len(citations)


def from_doc(source: str, doc: str) -> bool:
    """Whether ``source`` is the document ``doc`` names: equal paths, or ``doc`` is its trailing components."""
    src = [p for p in source.replace("\\", "/").split("/") if p not in ("", ".")]
    want = [p for p in doc.replace("\\", "/").split("/") if p not in ("", ".")]
    return bool(want) and src[-len(want):] == want


def first_hit_rank(passages: Sequence[object], quotes: Sequence[str], doc: str = "",
                   sources: Sequence[str] | None = None) -> int | None:
    """1-based rank of the first passage carrying a gold quote, else None.

    With ``doc`` (and the passages' ``sources``) the passage must also come from that document; a
    question with a ``doc`` but no quotes counts the first passage from the document.
    """
    for rank, passage in enumerate(passages, start=1):
        text = getattr(passage, "text", None)
        if not isinstance(text, str):
            continue
        source = sources[rank - 1] if sources is not None and rank <= len(sources) else ""
        if doc and not from_doc(source, doc):
            continue
        if (doc and not quotes) or any(quote_matches(q, text) for q in quotes):
            return rank
    return None


def hit_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of queries whose first hit is within the top ``k``."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank (a miss counts 0)."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r) / len(ranks)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (pct in 0..100) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the non-None values (None when there are none)."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len((text or "").split())
