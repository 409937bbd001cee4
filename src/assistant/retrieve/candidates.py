"""Candidates for the reranker: passages from several searches, merged, with what the features read."""

from __future__ import annotations

from assistant.question import references as refs
from assistant.retrieve.corpus import CorpusView, Embed
from assistant.retrieve.rerank import Candidate
from assistant.types import Passage


def question_reference(corpus: CorpusView, text: str, *, by_subject: bool = True) -> refs.Reference:
    """The meeting, year and items ``text`` names, with the bodies this collection knows: by acronym and short
    name, and (``by_subject``) by full name or subject ('the mass committee')."""
    return refs.parse(text, corpus.bodies, corpus.question_names if by_subject else corpus.body_names)


def candidates_of(corpus: CorpusView, found: list[tuple[Passage, bool]], embed: Embed | None = None,
                  dim: int = 0) -> list[Candidate]:
    """One candidate per chunk (a chunk found by the focused search keeps that mark), ranked per retriever,
    with its answer units' lemmas and (given the embedder) their vectors."""
    best: dict[str, tuple[Passage, bool]] = {}
    for passage, focused in found:
        seen = best.get(passage.chunk.id)
        if seen is None:
            best[passage.chunk.id] = (passage, focused)
        else:  # keep the evidence both searches gave
            merged = Passage(passage.chunk, max(seen[0].score, passage.score),
                             _max(seen[0].dense, passage.dense), _max(seen[0].lexical, passage.lexical))
            best[passage.chunk.id] = (merged, seen[1] or focused)
    items = list(best.values())
    dense_rank = _ranks([p.dense for p, _ in items])
    lexical_rank = _ranks([p.lexical for p, _ in items])
    lexical_max = max((p.lexical or 0.0 for p, _ in items), default=0.0)
    fused_max = max((p.score for p, _ in items), default=0.0)
    per_doc: dict[str, list[float]] = {}
    for p, _ in items:
        per_doc.setdefault(p.chunk.doc_id, []).append(p.dense if p.dense is not None else 0.0)
    out = []
    for i, (p, focused) in enumerate(items):
        same_doc = per_doc[p.chunk.doc_id]
        units = corpus.chunk_units(p.chunk)
        vectors = corpus.unit_vectors(units, embed, dim) if embed is not None else None
        out.append(Candidate(p, corpus.documents[p.chunk.doc_id], corpus.references[p.chunk.doc_id], dense_rank[i],
                             lexical_rank[i], lexical_max, fused_max, focused,
                             tuple(corpus.unit_lemmas(u) for u in units), vectors, tuple(u.kind for u in units),
                             len(same_doc) / len(items), max(same_doc)))
    return out


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _ranks(values: list[float | None]) -> list[int | None]:
    """1-based rank of each value among the non-missing ones (highest first)."""
    order = sorted((i for i, v in enumerate(values) if v is not None), key=lambda i: -(values[i] or 0.0))
    ranks: list[int | None] = [None] * len(values)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks
