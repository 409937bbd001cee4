"""Hybrid retrieval: dense search over the vectors stored in Chroma + BM25, fused by weighted reciprocal rank fusion."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.index.embedder import Embedder
from assistant.index.store import VectorStore
from assistant.retrieve.acronyms import unspelled
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
        spelled: tuple[str, ...] = (),
        lang: str | None = None,
    ) -> list[Passage]:
        """The top ``k`` chunks by fused rank. With ``answer_type`` (an e-mail, a date, …), when none of them
        holds such an answer, the best fused candidates that do are added after them (up to 2); with
        ``spelled`` (the acronyms whose expansion is asked), the chunks that spell one out, wherever they rank."""
        ranking = self.rank(corpus, query, query_vector, filters, lexical_query)
        return ranking.top(k or self.settings.top_k, answer_type, spelled, lang) if ranking is not None else []

    def rank(self, corpus: CorpusView, query: str, query_vector: np.ndarray, filters: Filters | None = None,
             lexical_query: list[str] | None = None) -> Ranking | None:
        """The first stage for one query (dense and BM25 hits, fused): `Ranking.top` cuts it at any ``k``.
        None when the filters allow no document."""
        doc_ids, mask = corpus.allowed(filters)
        if doc_ids == []:
            return None
        store = corpus.store or self.store  # the vector store view opened for this version, if any
        # A hit the version does not list (written for a newer version, or garbage) is ignored.
        dense = [(i, s) for i, s in self._dense(corpus, store, query_vector, doc_ids) if i in corpus.row_of]
        lemmas = lexical_query if lexical_query is not None else content_lemmas(query)
        lexical = corpus.lexical.search(lemmas, self.settings.fetch_k, mask)
        dense_rows = [corpus.row_of[i] for i, _ in dense]
        lexical_rows = [r for r, _ in lexical]
        fused, (dense_rows, lexical_rows) = self.penalty.apply(corpus, self._fuse(dense_rows, lexical_rows),
                                                               dense_rows, lexical_rows)
        return Ranking(corpus, store, query_vector, fused, sorted(fused, key=fused.__getitem__, reverse=True),
                       dense_rows, lexical_rows, {corpus.row_of[i]: s for i, s in dense}, dict(lexical), mask)

    def _dense(self, corpus: CorpusView, store: VectorStore, vector: np.ndarray,
               doc_ids: list[str] | None) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the ``fetch_k`` nearest chunks: exact over the version's stored vectors when
        the index is small enough, else from Chroma's approximate search."""
        k = self.settings.fetch_k
        matrix = corpus.chunk_vectors(store) if len(corpus.chunks) <= self.settings.exact_search_chunks else None
        if matrix is None:
            return store.search(vector.tolist(), k, doc_ids)
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        if doc_ids is not None:
            allowed = set(doc_ids)
            scores = np.where([c.doc_id in allowed for c in corpus.chunks], scores, -np.inf)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(corpus.chunks[i].id, float(scores[i])) for i in top if np.isfinite(scores[i])]

    def _fuse(self, dense_rows: list[int], lexical_rows: list[int]) -> dict[int, float]:
        """Weighted RRF: score = Σ weight / (rrf_k + rank)."""
        s = self.settings
        fused: dict[int, float] = {}
        for weight, rows in ((s.dense_weight, dense_rows), (s.lexical_weight, lexical_rows)):
            for rank, row in enumerate(rows, start=1):
                fused[row] = fused.get(row, 0.0) + weight / (s.rrf_k + rank)
        return fused



@dataclass(frozen=True)
class Ranking:
    """One query's fused first stage, best first, with each row's dense and BM25 scores."""

    corpus: CorpusView
    store: VectorStore
    query_vector: np.ndarray
    fused: dict[int, float]
    ranked: list[int]
    dense_rows: list[int]
    lexical_rows: list[int]
    dense_by_row: dict[int, float]
    lexical_by_row: dict[int, float]
    allowed: np.ndarray | None = None  # the filters' row mask (None: every row)

    def top(self, k: int, answer_type: re.Pattern[str] | None = None, spelled: tuple[str, ...] = (),
            lang: str | None = None) -> list[Passage]:
        """The top ``k`` rows with each retriever's leaders (and answer-type rows, see `search`), as passages.
        An acronym asked about is spelled out in ``lang`` (the question's language) where the collection does."""
        chunks = self.corpus.chunks
        rows = _with_leaders(self.ranked, self.dense_rows, self.lexical_rows, k)
        if spelled:  # each asked acronym's expansion, wherever it ranks
            own = [r for r in rows if lang is None or self._language(r) == lang]
            for acronym in unspelled(spelled, (chunks[r].text for r in own)):
                found = sorted(self._spelling_out(acronym), key=lambda r: lang is not None and self._language(r) != lang)
                rows += [r for r in found if r not in rows][:ANSWER_TYPE_ROWS]
        elif answer_type is not None and not any(answer_type.search(chunks[r].text) for r in rows):
            rows += [r for r in self.ranked if r not in rows and answer_type.search(chunks[r].text)][:ANSWER_TYPE_ROWS]
        missing = [chunks[r].id for r in rows if r not in self.dense_by_row]
        row_of = self.corpus.row_of
        dense = self.dense_by_row | {row_of[i]: s for i, s in _cosines(self.store, missing, self.query_vector).items()}
        return [Passage(chunks[r], self.fused.get(r, 0.0), dense.get(r), self.lexical_by_row.get(r), rank)
                for rank, r in enumerate(rows, start=1)]

    def _language(self, row: int) -> str:
        return self.corpus.documents[self.corpus.chunks[row].doc_id].language

    def _spelling_out(self, acronym: str) -> list[int]:
        """Every allowed row that spells out ``acronym``, searched in the whole collection (a glossary ranks
        low on one word among many): ranked rows first in their order, then the rest by cosine."""
        chunks = self.corpus.chunks
        rows = [r for r in self.corpus.spelling_out(acronym) if self.allowed is None or self.allowed[r]]
        unranked = [r for r in rows if r not in self.fused]
        cosine = _cosines(self.store, [chunks[r].id for r in unranked], self.query_vector)
        return (sorted((r for r in rows if r in self.fused), key=self.fused.__getitem__, reverse=True)
                + sorted(unranked, key=lambda r: -cosine.get(chunks[r].id, -1.0)))


def _cosines(store: VectorStore, ids: list[str], vector: np.ndarray) -> dict[str, float]:
    """Cosine of chunks found only by BM25, from their stored vectors (a chunk without one has none)."""
    return {i: float(np.dot(v, vector)) for i, v in store.vectors(ids).items()}


LEADERS = 2  # each retriever's best hits always reach the answerer, whatever the fusion weights
# When no top row holds the kind of answer asked for (an e-mail, a date, the expansion of the acronym asked),
# the best rows that do are added: the answerer can only quote what it is shown.
ANSWER_TYPE_ROWS = 2


def _with_leaders(ranked: list[int], dense: list[int], lexical: list[int], k: int) -> list[int]:
    """Top ``k`` by fused score, plus each retriever's top hits (an acronym only BM25 finds still counts)."""
    top = ranked[:k]
    for row in [*dense[:LEADERS], *lexical[:LEADERS]]:
        if row not in top:
            top.append(row)
    return top
