"""Index versions: unit vectors stored at ingest, freed vectors kept one run, snapshots that finish on their
version, and vector lookups that skip what a store no longer has instead of failing."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, LIAISON, liaison_workload

from assistant.answer.coverage import document_vocabulary
from assistant.answer.evidence import units_of
from assistant.assistant import Assistant
from assistant.index.manifest import Manifest, texts_digest
from assistant.index.paths import manifest_path
from assistant.index.store import VectorStore
from assistant.safety import instructions
from assistant.settings import Settings
from ingest.pipeline import run_ingest, unit_texts

pytestmark = [pytest.mark.slow]

QUESTION = "What yearly workload in person days does cooperation with other organizations represent for the BIPM?"
OLD_FACT, NEW_FACT = liaison_workload()


class Spy:
    """Records every text given to the embedder, and each call."""

    def __init__(self, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        self.calls: list[list[str]] = []
        real = embedder.embed

        def embed(texts: list[str]) -> np.ndarray:
            self.texts += texts
            self.calls.append(list(texts))
            return real(texts)

        monkeypatch.setattr(embedder, "embed", embed)


@pytest.fixture
def manifest(built_index: Path) -> Iterator[Manifest]:
    m = Manifest(manifest_path(Settings(index_dir=built_index)))
    yield m
    m.close()


def test_unit_vectors_are_stored_at_ingest_as_the_answerer_embeds_them(manifest: Manifest, embedder) -> None:
    stored = manifest.unit_vectors(embedder.name)
    docs = manifest.documents()
    assert {d.content_hash for d in docs} == set(stored)
    for doc in docs:
        texts = [f"{u.section}: {u.text}" for u in units_of(doc)]
        assert texts == unit_texts(doc)
        uv = stored[doc.content_hash]
        assert uv.texts_hash == texts_digest(texts) and uv.matrix.shape == (len(texts), embedder.dim)
        # The same vectors up to the rounding that batch composition already caused at question time
        # (bf16 and int8 kernels pad and accumulate per batch): cosine 0.99998 and up, measured.
        assert (uv.matrix * embedder.embed(texts)).sum(axis=1).min() > 0.9999


def test_a_question_embeds_no_document_text(bot, manifest: Manifest, embedder,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    units = {t for d in manifest.documents() for t in unit_texts(d)}
    spy = Spy(embedder, monkeypatch)
    answer = bot.ask("Who is eligible to be seconded to the BIPM?")
    assert not answer.abstained, answer.text
    assert spy.texts and not set(spy.texts) & units
    assert all(len(t) < 100 for t in spy.texts), spy.texts  # the question and a few words, nothing more


def test_an_index_without_stored_unit_vectors_answers_the_same_and_the_next_ingest_stores_them(
    index_copy: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=index_copy)
    before = Assistant(settings, embedder=embedder).ask(QUESTION)
    with sqlite3.connect(manifest_path(settings)) as db:  # an index built before unit vectors were stored
        db.execute("DELETE FROM unit_vectors")
    spy = Spy(embedder, monkeypatch)
    old_index = Assistant(settings, embedder=embedder).ask(QUESTION)
    assert (old_index.text, old_index.citations) == (before.text, before.citations)
    assert any(": " in t and len(t) > 100 for t in spy.texts)  # embedded lazily, at question time

    summary = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert (summary.unchanged, summary.embedded) == (2, 0) and summary.units_embedded > 0
    m = Manifest(manifest_path(settings))
    assert m.missing_unit_vectors(embedder.name) == []
    m.close()


def test_unit_vectors_stored_for_other_units_are_stored_again_by_the_next_ingest(
    index_copy: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=index_copy)
    before = Assistant(settings, embedder=embedder).ask(QUESTION)
    with sqlite3.connect(manifest_path(settings)) as db:  # as if the answer units were split otherwise since
        db.execute("UPDATE unit_vectors SET texts_hash = 'earlier units'")
    spy = Spy(embedder, monkeypatch)
    stale_index = Assistant(settings, embedder=embedder).ask(QUESTION)
    assert (stale_index.text, stale_index.citations) == (before.text, before.citations)
    assert any(": " in t and len(t) > 100 for t in spy.texts)  # the stale vectors are not read

    summary = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert (summary.unchanged, summary.embedded) == (2, 0) and summary.units_embedded > 0
    m = Manifest(manifest_path(settings))
    stored = m.unit_vectors(embedder.name)
    assert {stored[d.content_hash].texts_hash for d in m.documents()} == {
        texts_digest(unit_texts(d)) for d in m.documents()}
    assert m.missing_unit_scores(instructions.scorer_id()) == []
    m.close()
    again = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert again.units_embedded == 0


def test_the_vocabulary_and_the_instruction_scores_are_stored_at_ingest(manifest: Manifest, embedder) -> None:
    assert manifest.missing_vocabulary(embedder.name) == []
    assert manifest.missing_unit_scores(instructions.scorer_id()) == []
    stored = manifest.unit_vectors(embedder.name)
    scores = manifest.unit_scores(embedder.name, instructions.scorer_id())
    for doc in manifest.documents():
        units = units_of(doc)
        vocab = document_vocabulary(doc.title, units)
        assert vocab and set(manifest.word_vectors(embedder.name, vocab)) == vocab
        texts_hash, stored_scores = scores[doc.content_hash]
        uv = stored[doc.content_hash]
        assert texts_hash == uv.texts_hash and stored_scores.shape == (len(units),)
        assert np.array_equal(stored_scores, instructions.scores([u.text for u in units], uv.matrix))


def test_a_question_whose_words_the_documents_use_costs_one_embedding_call(
    built_index: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = Assistant(Settings(index_dir=built_index), embedder=embedder)  # nothing cached from other tests
    spy = Spy(embedder, monkeypatch)
    answer = bot.ask("Who is eligible for a secondment at the BIPM?")
    assert not answer.abstained, answer.text
    assert spy.calls == [["Who is eligible for a secondment at the BIPM?"]]


def test_an_index_without_stored_words_or_scores_answers_the_same_and_the_next_ingest_stores_them(
    index_copy: Path, embedder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(index_dir=index_copy)
    before = Assistant(settings, embedder=embedder).ask(QUESTION)
    with sqlite3.connect(manifest_path(settings)) as db:  # an index built before they were stored
        for table in ("word_vectors", "vocab_stored", "unit_scores"):
            db.execute(f"DELETE FROM {table}")
    spy = Spy(embedder, monkeypatch)
    with caplog.at_level("INFO"):
        old_index = Assistant(settings, embedder=embedder).ask(QUESTION)
    assert (old_index.text, old_index.citations) == (before.text, before.citations)
    assert len(spy.texts) > 20  # the documents' words, embedded at question time
    assert "document words at question time" in caplog.text and "for instructions at question time" in caplog.text

    summary = run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
    assert (summary.unchanged, summary.embedded, summary.units_embedded) == (2, 0, 0) and summary.words_embedded > 0
    m = Manifest(manifest_path(settings))
    assert m.missing_vocabulary(embedder.name) == [] and m.missing_unit_scores(instructions.scorer_id()) == []
    m.close()


def test_freed_vectors_are_kept_for_one_run_then_deleted(tmp_path: Path, embedder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    settings = Settings(index_dir=tmp_path / "index")
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    m = Manifest(manifest_path(settings))
    first = m.chunk_ids()

    change(docs)
    edited = run_ingest(settings, [docs], progress=False, embedder=embedder)
    freed = first - m.chunk_ids()
    assert freed and edited.chunks_removed == len(freed) and m.garbage() == freed
    assert all_ids(settings) == m.chunk_ids() | freed  # a reader of the previous version still finds them

    again = run_ingest(settings, [docs], progress=False, embedder=embedder)  # nothing changed
    assert again.embedded == 0 and m.garbage() == set()
    assert all_ids(settings) == m.chunk_ids()
    m.close()


def test_a_snapshot_finishes_on_its_version_across_ingests(tmp_path: Path, embedder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    settings = Settings(index_dir=tmp_path / "index")
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    bot = Assistant(settings, embedder=embedder)
    old = bot.corpus()
    old_text = {d: doc.text for d, doc in old.documents.items()}
    vector = embedder.embed([QUESTION])[0]
    old_passages = bot.retriever.search(old, QUESTION, vector)  # hybrid search on the old snapshot, before

    change(docs)
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    new = bot.corpus()
    assert new is not old and new.version != old.version
    assert new.store is not None and old.store is not None and new.store.view != old.store.view
    answer = bot.ask(QUESTION)
    assert answer.stamp is not None and answer.stamp.index_version == new.version
    assert any(NEW_FACT in c.quote for c in answer.citations), answer.text

    # A question that took the old snapshot still reads the old version: its vectors, units and text.
    passages = bot.retriever.search(old, QUESTION, vector)
    assert [p.chunk.id for p in passages] == [p.chunk.id for p in old_passages]
    units = [u for p in passages for u in old.units(p.doc_id)]
    assert all(old_text[u.doc_id][u.start : u.end] == u.text for u in units)
    assert any(OLD_FACT in u.text for u in units)


def test_two_assistants_never_share_a_stale_store_view(tmp_path: Path, embedder) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    settings = Settings(index_dir=tmp_path / "index")
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    first = Assistant(settings, embedder=embedder)
    assert not first.ask(QUESTION).abstained  # its view has loaded the vectors of this version
    change(docs)
    run_ingest(settings, [docs], progress=False, embedder=embedder)
    second = Assistant(settings, embedder=embedder)
    answer = second.ask(QUESTION)
    assert first.corpus().store.view != second.corpus().store.view
    assert any(NEW_FACT in c.quote for c in answer.citations), answer.text
    assert all(p.dense is not None for p in second.retrieve(QUESTION))  # every passage's vector found


def test_vector_lookup_skips_ids_the_store_lacks(built_index: Path, manifest: Manifest) -> None:
    store = VectorStore(Settings(index_dir=built_index))
    try:
        live = sorted(manifest.chunk_ids())[:3]
        found = store.vectors([*live, "no-such-chunk"])
        assert sorted(found) == live and all(v.shape == (384,) for v in found.values())
        assert store.vectors([]) == {}
    finally:
        store.close()


def change(docs: Path) -> None:
    """One fact changed and a sentence added before it (every later offset moves)."""
    path = docs / LIAISON
    text = path.read_text(encoding="utf-8")
    assert OLD_FACT in text
    path.write_text(text.replace(OLD_FACT, NEW_FACT).replace(
        "In a typical year,", "The list is reviewed every year. In a typical year,"), encoding="utf-8")


def all_ids(settings: Settings) -> set[str]:
    store = VectorStore(settings)
    try:
        return store.all_ids()
    finally:
        store.close()


def test_chunk_units_are_the_units_overlapping_each_chunk(bot) -> None:
    corpus = bot.corpus()
    for chunk in corpus.chunks:
        every = [u for u in corpus.units(chunk.doc_id) if u.start < chunk.end and chunk.start < u.end]
        assert corpus.chunk_units(chunk) == every and every, chunk.id


def test_dense_search_is_exact_over_the_vectors_chroma_stores(bot) -> None:
    corpus = bot.corpus()
    store = corpus.store or bot.retriever.store
    vector = bot._embed_question(QUESTION)
    hits = bot.retriever._dense(corpus, store, vector, None)
    assert len(hits) == min(bot.settings.fetch_k, len(corpus.chunks))
    stored = store.vectors([c.id for c in corpus.chunks])
    cosine = {i: float(v @ vector / np.linalg.norm(v)) for i, v in stored.items()}
    assert [i for i, _ in hits] == sorted(cosine, key=lambda i: -cosine[i])[:len(hits)]
    assert all(np.isclose(s, cosine[i], atol=1e-5) for i, s in hits)
    # Chroma's own search, over the same vectors, puts the same chunks first on this small index.
    assert [i for i, _ in store.search(vector.tolist(), 3)] == [i for i, _ in hits[:3]]
