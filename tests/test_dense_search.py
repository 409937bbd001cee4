"""Dense search: exact over the version's stored chunk vectors when the index is small, else Chroma's HNSW."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from assistant.retrieve.hybrid import HybridRetriever
from assistant.settings import Settings


class FakeStore:
    """The store seam: stored vectors by id and an approximate search that misses one chunk."""

    max_batch = 2

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.stored = vectors
        self.searched = 0

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        assert len(ids) <= self.max_batch  # asked in batches the store accepts
        return {i: self.stored[i] for i in ids if i in self.stored}

    def search(self, vector: list[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        self.searched += 1
        return [("c3", 0.1)]  # an approximate graph search that lost the true nearest chunks


def corpus_with(store: FakeStore, ids: list[str], docs: list[str]):
    from assistant.retrieve.corpus import CorpusView

    view = CorpusView.__new__(CorpusView)  # only what chunk_vectors reads
    view.chunks = [SimpleNamespace(id=i, doc_id=d) for i, d in zip(ids, docs, strict=True)]
    view._chunk_vectors = None
    return view


def retriever(**settings: object) -> HybridRetriever:
    r = HybridRetriever.__new__(HybridRetriever)
    r.settings = Settings(fetch_k=2, **settings)
    return r


def test_dense_search_is_exact_over_the_stored_vectors_and_honours_the_document_filter() -> None:
    vectors = {"c1": np.array([1.0, 0.0]), "c2": np.array([0.8, 0.6]), "c3": np.array([0.0, 2.0])}
    store = FakeStore(vectors)
    corpus = corpus_with(store, ["c1", "c2", "c3"], ["d1", "d2", "d2"])
    query = np.array([0.6, 0.8])
    hits = retriever()._dense(corpus, store, query, None)
    assert [i for i, _ in hits] == ["c2", "c3"]  # the two nearest by cosine (c3's stored vector is not unit length)
    assert np.isclose(hits[0][1], 0.96) and np.isclose(hits[1][1], 0.8)
    assert [i for i, _ in retriever()._dense(corpus, store, query, ["d1"])] == ["c1"]
    assert store.searched == 0


def test_a_large_index_or_a_missing_vector_is_searched_by_the_store() -> None:
    store = FakeStore({"c1": np.array([1.0, 0.0]), "c2": np.array([0.0, 1.0])})
    corpus = corpus_with(store, ["c1", "c2"], ["d1", "d1"])
    assert retriever(exact_search_chunks=1)._dense(corpus, store, np.array([1.0, 0.0]), None) == [("c3", 0.1)]
    missing = corpus_with(store, ["c1", "c2", "c9"], ["d1", "d1", "d2"])
    assert retriever()._dense(missing, store, np.array([1.0, 0.0]), None) == [("c3", 0.1)]
    assert store.searched == 2


class AxisEmbedder:
    """A toy embedder: a text's vector points along the axis of the first letter it starts with (a, b or c)."""

    dim = 3

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.array([np.eye(3)["abc".index(t[0])] for t in texts], dtype=np.float32)


def test_the_embedder_is_a_langchain_embeddings_and_chroma_s_wrapper_embeds_through_it(tmp_path) -> None:
    from langchain_core.embeddings import Embeddings

    from assistant.index.embedder import Embedder
    from assistant.index.store import VectorStore

    missing = {m for m in Embeddings.__abstractmethods__ if getattr(Embedder, m, None) is None}
    assert not missing  # LangChain's interface, implemented by shape (see assistant.index.embedder)
    embedder = type("Toy", (AxisEmbedder, Embedder), {})()
    store = VectorStore(Settings(index_dir=tmp_path), embedder)
    try:
        store.upsert(["c1", "c2"], np.eye(3, dtype=np.float32)[:2], ["apples", "bananas"],
                     [{"doc_id": "d1"}, {"doc_id": "d2"}])
        found = store.langchain.similarity_search("bread", k=1)  # LangChain calls embed_query
        assert [d.page_content for d in found] == ["bananas"]
        assert store.langchain.embeddings.embed_documents(["cake"]) == [[0.0, 0.0, 1.0]]
    finally:
        store.close()


def test_the_first_stage_adds_the_chunk_spelling_out_each_asked_acronym_wherever_it_ranks() -> None:
    from assistant.retrieve.hybrid import Ranking

    texts = {"c1": "The GCC (Gadget Calibration Council) met.", "c2": "The WCC met twice.",
             "c3": "- WCC: Widget Calibration Club\n- ZCC: Zither Club", "c4": "The WCC (Widget Calibration Club) voted.",
             "c5": "A WCC report."}
    ids = list(texts)
    corpus = SimpleNamespace(chunks=[SimpleNamespace(id=i, doc_id=i, text=t) for i, t in texts.items()],
                             row_of={i: r for r, i in enumerate(ids)}, spelling_out=_spelling_out(texts))
    store = FakeStore({"c3": np.array([0.0, 1.0]), "c4": np.array([1.0, 0.0])})
    # Fused ranking found c1, c2 and c5 only: neither glossary entry nor c4 ranked on 'WCC' among many words.
    ranking = Ranking(corpus, store, np.array([0.0, 1.0]), {0: 0.3, 1: 0.2, 4: 0.1}, [0, 1, 4], [0, 1, 4], [],
                      {0: 0.5, 1: 0.4, 4: 0.3}, {})
    top = ranking.top(2, spelled=("GCC", "WCC"))
    # GCC is spelled out at the top; WCC nowhere there, so the rows that do follow, nearest the question first.
    assert [p.chunk.id for p in top] == ["c1", "c2", "c3", "c4"]
    assert [p.chunk.id for p in ranking.top(2, spelled=("GCC",))] == ["c1", "c2"]
    filtered = Ranking(*[getattr(ranking, f) for f in ("corpus", "store", "query_vector", "fused", "ranked",
                                                        "dense_rows", "lexical_rows", "dense_by_row", "lexical_by_row")],
                       allowed=np.array([True, True, False, True, True]))
    assert [p.chunk.id for p in filtered.top(2, spelled=("WCC",))] == ["c1", "c2", "c4"]  # c3 filtered out


def _spelling_out(texts: dict[str, str]):
    """A corpus view's `spelling_out` over ``texts`` (chunk rows in their order)."""
    from assistant.retrieve.acronyms import spells_out

    return lambda acronym: tuple(r for r, t in enumerate(texts.values()) if spells_out(acronym, t))


def test_an_acronym_asked_in_english_is_spelled_out_in_english_where_the_collection_does() -> None:
    from assistant.retrieve.hybrid import Ranking

    texts = {"c1": "Le GCC (Groupe de calibration des gadgets) s'est réuni.", "c2": "The GCC met twice.",
             "c3": "The GCC (Gadget Calibration Council) voted.", "c4": "Le GCC (Groupe des calibrateurs) a voté."}
    languages = {"c1": "fr", "c2": "en", "c3": "en", "c4": "fr"}
    ids = list(texts)
    corpus = SimpleNamespace(chunks=[SimpleNamespace(id=i, doc_id=i, text=t) for i, t in texts.items()],
                             row_of={i: r for r, i in enumerate(ids)}, spelling_out=_spelling_out(texts),
                             documents={i: SimpleNamespace(language=lang) for i, lang in languages.items()})
    store = FakeStore({"c3": np.array([0.0, 1.0]), "c4": np.array([1.0, 0.0])})
    # The first stage found the French record spelling it out, and an English one that does not.
    ranking = Ranking(corpus, store, np.array([1.0, 0.0]), {0: 0.3, 1: 0.2}, [0, 1], [0, 1], [],
                      {0: 0.5, 1: 0.4}, {})
    assert [p.chunk.id for p in ranking.top(2, spelled=("GCC",))] == ["c1", "c2"]  # any language will do
    # Asked in English: the English name is added, ahead of another French one nearer the question.
    assert [p.chunk.id for p in ranking.top(2, spelled=("GCC",), lang="en")] == ["c1", "c2", "c3", "c4"]
    assert [p.chunk.id for p in ranking.top(2, spelled=("GCC",), lang="fr")] == ["c1", "c2"]
