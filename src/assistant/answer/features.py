"""Named features of an answer unit (sentence, list item, heading) for the fitted evidence scorer.

Each function reads the question, the unit and what the answerer computed about it; the weights that turn
them into a score are fitted by `python -m evals.fit --model evidence` (``assistant/data/evidence.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.answer.evidence import Unit
from assistant.retrieve.query import Question

# A unit that opens with a participle ('considering …', 'recalling …', 'considérant …') states a reason or
# a premise; what was decided, found or asked usually follows it. A surface form, read off the first word.
PARTICIPLE_ENDINGS = ("ing", "ant")
# French drafting also opens a premise with 'Vu …' ('having regard to …'), too short a word for the endings.
PREMISE_WORDS = frozenset({"vu"})


@dataclass(frozen=True)
class UnitFacts:
    """What the answerer measured about one unit."""

    unit: Unit
    text_cover: float  # IDF-weighted coverage of the question's terms by the unit's own text
    context_cover: float  # … by the unit with its heading, lead, previous sentence and title
    dense: float  # cosine of question and unit vectors
    passage_rank: int  # rank of the passage holding the unit
    passage_score: float  # the reranker's probability for that passage
    has_need: bool  # holds the asked-for kind of answer (e-mail, number, date, …)
    dated: float
    phrase: float
    heading_match: float
    cover: dict[str, float]  # coverage per question term, in context (what the abstention check reads)
    same_language: bool = False  # the unit's document is written in the question's language


UnitFeature = Callable[[Question, UnitFacts], float]


def opens_with_participle(text: str) -> bool:
    """Does ``text`` open with a participle ('considering …', 'recalling …', 'considérant …')?"""
    first = text.split(maxsplit=1)[0].lower() if text.strip() else ""
    return (len(first) > 5 and first.endswith(PARTICIPLE_ENDINGS)) or first in PREMISE_WORDS


def _opens_with_participle(q: Question, f: UnitFacts) -> float:
    return 1.0 if opens_with_participle(f.unit.text) else 0.0


def _is_heading(q: Question, f: UnitFacts) -> float:
    return 1.0 if f.unit.kind == "heading" and not (q.wants_list and f.unit.text.endswith(":")) else 0.0


UNIT_FEATURES: dict[str, UnitFeature] = {
    "text_cover": lambda q, f: f.text_cover,
    "context_cover": lambda q, f: f.context_cover,
    "dense": lambda q, f: f.dense,
    "passage_rr": lambda q, f: 1.0 / f.passage_rank,
    "passage_score": lambda q, f: f.passage_score,
    "has_need": lambda q, f: float(f.has_need),
    "dated": lambda q, f: f.dated,
    "phrase": lambda q, f: f.phrase,
    "heading_match": lambda q, f: f.heading_match,
    "is_heading": _is_heading,
    "is_item": lambda q, f: 1.0 if f.unit.kind == "item" else 0.0,
    "opens_with_participle": _opens_with_participle,
    # Is the unit in the asker's language (many records exist in French and in English)? Offered to the fits;
    # the packaged scorers do not use it (README, sixteenth session: refitted with it, no held-out gain).
    "same_language": lambda q, f: float(f.same_language),
}


# A feature named '<name>_gap' is <name> minus its best value among the question's units: how far this unit
# is from the strongest evidence on that count (a coverage of 0.6 leads when nothing covers more).
GAP = "_gap"


def unit_names(base: tuple[str, ...] = tuple(UNIT_FEATURES)) -> tuple[str, ...]:
    """Every base feature and its gap."""
    return base + tuple(n + GAP for n in base)


def unit_matrix(q: Question, facts: list[UnitFacts], names: tuple[str, ...]) -> np.ndarray:
    """One row per unit, one column per name (a base feature or a gap)."""
    base = tuple(dict.fromkeys(n.removesuffix(GAP) for n in names))
    raw = np.array([[UNIT_FEATURES[b](q, f) for b in base] for f in facts], dtype=np.float64).reshape(
        len(facts), len(base))
    return with_gaps(raw, base, names)


def with_gaps(raw: np.ndarray, base: tuple[str, ...], names: tuple[str, ...]) -> np.ndarray:
    """Columns ``names`` from a matrix of the ``base`` features (gaps taken over its rows)."""
    col = {b: i for i, b in enumerate(base)}
    best = raw.max(axis=0) if len(raw) else np.zeros(len(base))
    out = [raw[:, col[n.removesuffix(GAP)]] - best[col[n.removesuffix(GAP)]] if n.endswith(GAP)
           else raw[:, col[n]] for n in names]
    return np.stack(out, axis=1) if out else np.zeros((len(raw), 0))
