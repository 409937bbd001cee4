"""Hybrid retrieval: dense search in Chroma + BM25, fused by weighted reciprocal rank fusion."""

from __future__ import annotations

import re

import numpy as np

from assistant.index.embedder import Embedder
from assistant.index.store import VectorStore
from assistant.retrieve.corpus import CorpusView, Filters
from assistant.safety.retrieval import InstructionPenalty
from assistant.settings import Settings
from assistant.text import content_lemmas
from assistant.types import Passage


class HybridRetriever:
    """Ranks chunks for a query; every passage carries its dense cosine for later thresholds."""

    def __init__(self, settings: Settings, embedder: Embedder, store: VectorStore) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.penalty = InstructionPenalty(settings, store)

    def search(
        self,
        corpus: CorpusView,
        query: str,
        query_vector: np.ndarray,
        k: int | None = None,
        filters: Filters | None = None,
        lexical_query: list[str] | None = None,
        answer_type: re.Pattern[str] | None = None,
    ) -> list[Passage]:
        """The top ``k`` chunks by fused rank. With ``answer_type`` (an e-mail, a date, …), when none of them
        holds such an answer, the best fused candidates that do are added after them (up to 2)."""
        k = k or self.settings.top_k
        doc_ids, mask = corpus.allowed(filters)
        if doc_ids == []:
            return []
        store = corpus.store or self.store  # the vector store view opened for this version, if any
        # A hit the version does not list (written for a newer version, or garbage) is ignored.
        dense = [(i, s) for i, s in self._dense(store, query_vector, doc_ids) if i in corpus.row_of]
        lemmas = lexical_query if lexical_query is not None else content_lemmas(query)
        lexical = corpus.lexical.search(lemmas, self.settings.fetch_k, mask)
        dense_rows = [corpus.row_of[i] for i, _ in dense]
        lexical_rows = [r for r, _ in lexical]
        fused, (dense_rows, lexical_rows) = self.penalty.apply(corpus, self._fuse(dense_rows, lexical_rows),
                                                               dense_rows, lexical_rows)
        dense_by_row = {corpus.row_of[i]: s for i, s in dense}
        lexical_by_row = dict(lexical)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        rows = _with_leaders(ranked, dense_rows, lexical_rows, k)
        if answer_type is not None and not any(answer_type.search(corpus.chunks[r].text) for r in rows):
            rows += [r for r in ranked if r not in rows and answer_type.search(corpus.chunks[r].text)][:2]
        missing = [corpus.chunks[r].id for r in rows if r not in dense_by_row]
        dense_by_row |= {corpus.row_of[i]: s for i, s in _cosines(store, missing, query_vector).items()}
        return [
            Passage(corpus.chunks[r], fused[r], dense_by_row.get(r), lexical_by_row.get(r), rank)
            for rank, r in enumerate(rows, start=1)
        ]

    def _dense(self, store: VectorStore, vector: np.ndarray, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        return store.search(vector.tolist(), self.settings.fetch_k, doc_ids)

    def _fuse(self, dense_rows: list[int], lexical_rows: list[int]) -> dict[int, float]:
        """Weighted RRF: score = Σ weight / (rrf_k + rank)."""
        s = self.settings
        fused: dict[int, float] = {}
        for weight, rows in ((s.dense_weight, dense_rows), (s.lexical_weight, lexical_rows)):
            for rank, row in enumerate(rows, start=1):
                fused[row] = fused.get(row, 0.0) + weight / (s.rrf_k + rank)
        return fused



def _cosines(store: VectorStore, ids: list[str], vector: np.ndarray) -> dict[str, float]:
    """Cosine of chunks found only by BM25, from their stored vectors (a chunk without one has none)."""
    return {i: float(np.dot(v, vector)) for i, v in store.vectors(ids).items()}


LEADERS = 2  # each retriever's best hits always reach the answerer, whatever the fusion weights


def _with_leaders(ranked: list[int], dense: list[int], lexical: list[int], k: int) -> list[int]:
    """Top ``k`` by fused score, plus each retriever's top hits (an acronym only BM25 finds still counts)."""
    top = ranked[:k]
    for row in [*dense[:LEADERS], *lexical[:LEADERS]]:
        if row not in top:
            top.append(row)
    return top
