"""Second-stage ranking: named features of each fused candidate, scored by a fitted linear model.

The candidates come from hybrid retrieval (dense + BM25) and, when the question names a meeting or a year,
from the documents that match it. Each candidate gets the features below; their weights are not written
here: `python -m evals.fit` fits them on labelled questions (a candidate is positive when it holds a
supporting quote) and writes ``assistant/data/rerank.json`` with the cross-validated figures. Adding a
feature means adding a function to `FEATURES` and refitting; the fit's ablation says what it is worth.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.fitted import Model
from assistant.question import references as refs
from assistant.retrieve.acronyms import spells_out, unspelled
from assistant.retrieve.hybrid import ANSWER_TYPE_ROWS
from assistant.retrieve.query import STEPS_HEADING_RE
from assistant.text import YEAR_RE, content_lemmas
from assistant.types import Document, Passage


@dataclass(frozen=True)
class Query:
    """What the features read of the question."""

    lemmas: frozenset[str]  # content lemmas of the (English) query
    original_lemmas: frozenset[str]  # content lemmas of the question as asked (French stays French)
    lang: str  # language the question was asked in
    ref: refs.Reference
    years: frozenset[str]
    vector: np.ndarray | None = None  # the searched text's vector (None: unit features fall back)
    need: re.Pattern[str] | None = None  # detector of the kind of answer asked for (an e-mail, a date, …)
    spelled: tuple[str, ...] = ()  # the acronyms whose expansion is asked for ('What is the GCC short for?')
    wants_steps: bool = False  # a how-to question
    wants_list: bool = False
    # The question as asked, embedded, when it was translated for search (a French question): what units in
    # its own language are compared with too, as the embedder matches a text best in its own language.
    own_vector: np.ndarray | None = None


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    doc: Document
    doc_ref: refs.Reference
    dense_rank: int | None  # 1-based rank in the dense list, None when only BM25 found it
    lexical_rank: int | None
    lexical_max: float  # best BM25 score among the candidates (to scale this one's)
    fused_max: float  # best first-stage fused score among the candidates
    focused: bool  # found by the search restricted to the documents the question names
    unit_lemmas: tuple[frozenset[str], ...] = ()  # content lemmas of each answer unit in the chunk
    unit_vectors: np.ndarray | None = None  # (units, dim) stored vectors of those units
    unit_kinds: tuple[str, ...] = ()  # "sent" | "item" | "heading" of each of those units
    doc_share: float = 0.0  # share of all candidates that come from this chunk's document
    doc_dense: float = 0.0  # best dense score among the candidates from this chunk's document


Feature = Callable[[Query, Candidate], float]


def _dense(q: Query, c: Candidate) -> float:
    return float(c.passage.dense or 0.0)


def _lexical(q: Query, c: Candidate) -> float:
    return float(c.passage.lexical or 0.0) / c.lexical_max if c.lexical_max > 0 else 0.0


def _dense_rr(q: Query, c: Candidate) -> float:
    return 1.0 / c.dense_rank if c.dense_rank else 0.0


def _lexical_rr(q: Query, c: Candidate) -> float:
    return 1.0 / c.lexical_rank if c.lexical_rank else 0.0


def _fused(q: Query, c: Candidate) -> float:
    """The first stage's reciprocal-rank-fusion score, scaled by the best among the candidates."""
    return c.passage.score / c.fused_max if c.fused_max > 0 else 0.0


def _doc_reference(q: Query, c: Candidate) -> float:
    """The question names this document's meeting (body + ordinal or year)."""
    return refs.document_match(q.ref, c.doc_ref)


def _body(q: Query, c: Candidate) -> float:
    """The question names this document's body (CGPM, CIPM, …)."""
    return 1.0 if q.ref.bodies & c.doc_ref.bodies else 0.0


def _item(q: Query, c: Candidate) -> float:
    """The chunk's section is the numbered item the question names ('Resolution 4')."""
    return 1.0 if q.ref.items and q.ref.items & refs.section_items(c.passage.chunk.section) else 0.0


def _year(q: Query, c: Candidate) -> float:
    """A year the question names is the document's year or appears in the chunk."""
    if not q.years:
        return 0.0
    seen = set(YEAR_RE.findall(c.passage.chunk.text)) | set(c.doc_ref.years)
    return 1.0 if q.years & seen else 0.0


def _same_language(q: Query, c: Candidate) -> float:
    return 1.0 if c.doc.language == q.lang else 0.0


def _title_cover(q: Query, c: Candidate) -> float:
    """Share of the question's content words in the document title and section heading."""
    lemmas = q.original_lemmas if c.doc.language == q.lang else q.lemmas
    if not lemmas:
        return 0.0
    heading = set(content_lemmas(f"{c.doc.title} {c.passage.chunk.section}", c.doc.language))
    return len(lemmas & heading) / len(lemmas)


def _text_cover(q: Query, c: Candidate) -> float:
    """Share of the question's content words in the chunk itself (in the chunk's language)."""
    lemmas = q.original_lemmas if c.doc.language == q.lang else q.lemmas
    if not lemmas:
        return 0.0
    return len(lemmas & set(content_lemmas(c.passage.chunk.text, c.doc.language))) / len(lemmas)


def _unit_dense(q: Query, c: Candidate) -> float:
    """Cosine of the question and the chunk's closest answer unit (a sentence, item or heading): a chunk
    whose one sentence says what is asked outranks one that is only about the topic."""
    if q.vector is None or c.unit_vectors is None or not len(c.unit_vectors):
        return _dense(q, c)
    best = float((c.unit_vectors @ q.vector).max())
    if q.own_vector is not None and c.doc.language == q.lang:
        best = max(best, float((c.unit_vectors @ q.own_vector).max()))
    return best


def _unit_cover(q: Query, c: Candidate) -> float:
    """Largest share of the question's content words that one answer unit of the chunk holds."""
    lemmas = q.original_lemmas if c.doc.language == q.lang else q.lemmas
    if not lemmas or not c.unit_lemmas:
        return 0.0
    return max(len(lemmas & u) for u in c.unit_lemmas) / len(lemmas)


def _need(q: Query, c: Candidate) -> float:
    """The question asks for a kind of answer (an e-mail, a figure, a date, …) and the chunk holds one; an
    expansion asked for is the asked acronym's, not any other the chunk spells out."""
    if q.spelled:
        return 1.0 if any(spells_out(a, c.passage.chunk.text) for a in q.spelled) else 0.0
    return 1.0 if q.need is not None and q.need.search(c.passage.chunk.text) else 0.0


def _steps(q: Query, c: Candidate) -> float:
    """A how-to question, and the chunk is under a heading that introduces a procedure ('How to apply')."""
    return 1.0 if q.wants_steps and STEPS_HEADING_RE.match(c.passage.chunk.section) else 0.0


def _list(q: Query, c: Candidate) -> float:
    """A question asking for a list, and the chunk holds list items."""
    return 1.0 if q.wants_list and "item" in c.unit_kinds else 0.0


def _doc_share(q: Query, c: Candidate) -> float:
    """How much of what the searches found comes from this chunk's document (a document-level vote)."""
    return c.doc_share


def _doc_dense(q: Query, c: Candidate) -> float:
    """The best dense score of a candidate from the same document: the document, not only the chunk, fits."""
    return c.doc_dense


def _focused(q: Query, c: Candidate) -> float:
    return 1.0 if c.focused else 0.0


def _short(q: Query, c: Candidate) -> float:
    """Short chunks are often headings or metadata lines: little to quote."""
    return 1.0 / (1.0 + math.log1p(len(c.passage.chunk.text) / 100))


FEATURES: dict[str, Feature] = {
    "dense": _dense, "lexical": _lexical, "fused": _fused, "dense_rr": _dense_rr, "lexical_rr": _lexical_rr,
    "doc_reference": _doc_reference, "body": _body, "item": _item, "year": _year,
    "same_language": _same_language, "title_cover": _title_cover, "text_cover": _text_cover,
    "focused": _focused, "short": _short, "unit_dense": _unit_dense, "unit_cover": _unit_cover,
    "need": _need, "steps": _steps, "list": _list, "doc_share": _doc_share, "doc_dense": _doc_dense,
}


# Features that are evidence for a passage: a boosted-tree model is fitted monotone in them (evals.fit), so
# more of one never ranks a passage lower. "body" (a body named, but maybe not this meeting) and "short" are
# left free.
INCREASING = frozenset(FEATURES) - {"body", "short"}


def feature_matrix(q: Query, candidates: list[Candidate], names: tuple[str, ...]) -> np.ndarray:
    """One row per candidate, one column per named feature."""
    return np.array([[FEATURES[n](q, c) for n in names] for c in candidates], dtype=np.float64).reshape(
        len(candidates), len(names))


def rerank(q: Query, candidates: list[Candidate], model: Model | None, k: int,
           factors: list[float] | None = None) -> list[Passage]:
    """The ``k`` best candidates by the model (by fused score without one), re-numbered from rank 1.

    With a model, each passage's ``score`` becomes the model's probability that it holds the answer, times
    its factor in ``factors`` (the instruction penalty of a chunk that reads as instructions: the model's
    features do not see it, so it is applied here as the first stage applies it to the fused score)."""
    if model is None or not candidates:
        ordered = sorted(candidates, key=lambda c: c.passage.score, reverse=True)
        scores = [c.passage.score for c in ordered]
    else:
        probability = model.probability(feature_matrix(q, candidates, model.features))
        if factors is not None:
            probability = probability * np.asarray(factors, dtype=np.float64)
        order = np.argsort(-probability, kind="stable")
        ordered, scores = [candidates[i] for i in order], [float(probability[i]) for i in order]
    kept = list(range(min(k, len(ordered))))
    texts = [c.passage.chunk.text for c in ordered]
    if q.spelled:  # each asked acronym's expansion ('What do CODATA and the SI Brochure …': CODATA's)
        # in the question's language where a candidate gives it so: an English question, an English name
        for acronym in unspelled(q.spelled, (texts[i] for i in kept if ordered[i].doc.language == q.lang)):
            found = [i for i in range(len(ordered)) if i not in kept and spells_out(acronym, texts[i])]
            kept += sorted(found, key=lambda i: ordered[i].doc.language != q.lang)[:ANSWER_TYPE_ROWS]
    elif q.need is not None and not any(_need(q, ordered[i]) for i in kept):
        kept += [i for i in range(len(kept), len(ordered)) if _need(q, ordered[i])][:ANSWER_TYPE_ROWS]
    return [Passage(ordered[i].passage.chunk, scores[i], ordered[i].passage.dense, ordered[i].passage.lexical, rank)
            for rank, i in enumerate(kept, start=1)]
