"""The `Assistant` facade: question (+ history) → retrieve → draft → an `Answerer` writes the `Answer`.

It only orchestrates: question reading lives in question/, retrieval in retrieve/, drafting, writing and
scoring answers in answer/ (the `Answerer` seam: answer/base.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

import numpy as np

from assistant.answer.answer_type import NEED_PATTERNS, asked_acronyms
from assistant.answer.base import Answerer, Case, final
from assistant.answer.coverage import TermMatcher
from assistant.answer.draft import Draft, merged
from assistant.answer.evidence import Unit
from assistant.answer.extractive import Evidence, ExtractiveAnswerer
from assistant.answer.grounding import CITE_RE
from assistant.answer.llm import make_llm_answerer
from assistant.errors import IndexEmpty, IndexNotFound
from assistant.fitted import Model, packaged_model
from assistant.index.embedder import Embedder, make_embedder
from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.index.store import StoreViews, VectorStore
from assistant.question import references as refs
from assistant.question.answer_types import answer_type
from assistant.question.read import (
    History,
    analysed,
    answer_terms,
    clean_question,
    for_quotes,
    read,
    referent_terms,
)
from assistant.question.references import Reference
from assistant.retrieve.acronyms import contractions
from assistant.retrieve.candidates import candidates_of, question_reference
from assistant.retrieve.condense import Condensed
from assistant.retrieve.corpus import CorpusView, Filters
from assistant.retrieve.hybrid import HybridRetriever, Ranking
from assistant.retrieve.query import Question, analyse, pattern_type
from assistant.retrieve.rerank import Candidate, rerank
from assistant.retrieve.rerank import Query as RerankQuery
from assistant.retrieve.translate import is_french
from assistant.settings import Settings, load_settings
from assistant.text import content_lemmas
from assistant.types import Answer, Passage, Stamp

QUESTION_VECTORS_KEPT = 256  # recent question texts whose vectors are reused (a few KB each)


def limit_blas(threads: int) -> None:
    """Cap every BLAS library loaded so far (numpy's, scipy's) at ``threads`` for this process (0: leave them).
    Answering multiplies small matrices only; BLAS threads beyond one spin between them, taking a core from
    whatever else the machine runs."""
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")


class Assistant:
    """Answers questions from the index with cited passages. Thread-safe; build one per process."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        path = manifest_path(settings)
        if not path.exists():
            raise IndexNotFound(
                f"No index found in {settings.index_dir}. Build it first with `assistant ingest` "
                "(it reads corpus/ by default), or point ASSISTANT_INDEX_DIR at an existing index."
            )
        self.manifest = Manifest(path)
        self.embedder = embedder or make_embedder(settings)
        self.store = VectorStore(settings, self.embedder)
        self.retriever = HybridRetriever(settings, self.embedder, self.store)
        # Word vectors stored at ingest, read through a connection of their own (not the snapshot's).
        words = partial(Manifest(path).word_vectors, self.embedder.name)
        self.matcher = TermMatcher.from_settings(self.embedder, settings, stored=words)
        self.answerer = ExtractiveAnswerer(settings, self.matcher)  # drafts every answer; writes it without an LLM
        # Writes in place of the extractive answerer: the LLM one when llm_provider is set (any `Answerer` fits).
        self.llm: Answerer | None = make_llm_answerer(settings, self.embedder, self.matcher)
        # Embedded Chroma: each index version is read through a store view opened for it (see store.py).
        self._views = None if settings.chroma_url else StoreViews(settings, self.embedder)
        self._lock = threading.Lock()
        self._corpus: CorpusView | None = None
        self._question_vectors: dict[str, np.ndarray] = {}
        self._question_lock = threading.Lock()  # not self._lock: a snapshot being built must not block this
        limit_blas(settings.blas_threads)  # last: the embedder may have loaded torch, and scipy's BLAS with it

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: object) -> Assistant:
        """Build from ``settings`` (default: environment variables ``ASSISTANT_*`` plus ``overrides``)."""
        return cls(settings or load_settings(**overrides))

    # --- public --------------------------------------------------------------
    def ask(self, question: str, history: History | None = None, filters: Filters | dict | None = None) -> Answer:
        """Answer ``question`` from the documents, using ``history`` for follow-ups."""
        return final(self._answers(question, history, filters, stream=False))

    def stream(self, question: str, history: History | None = None,
               filters: Filters | dict | None = None) -> Iterator[str | Answer]:
        """Like `ask`, as a generator: text deltas (``str``) while the LLM writes, then the final `Answer`.

        Deltas are sentences that already passed the grounding check, with their [n] markers; they are
        provisional: show them as they come, then replace them with the final ``Answer.text`` (it differs
        when the LLM fails and the extractive answer is used). Without an LLM there is one delta, the whole
        text. The `Answer` is always the last item; errors (e.g. `BadQuestion`) are raised by the generator.
        """
        streamed = False
        for item in self._answers(question, history, filters, stream=True):
            if isinstance(item, Answer):
                if not streamed:  # the answerer showed nothing while writing: the whole text is the one delta
                    yield item.text
                yield item
                return
            streamed = True
            yield item

    def retrieve(self, question: str, history: History | None = None, k: int | None = None,
                 filters: Filters | dict | None = None) -> list[Passage]:
        """Ranked passages for ``question`` (what `ask` reads before answering)."""
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        condensed = read(text, history)[0]
        q = self._question(corpus, condensed)
        return self._passages(corpus, condensed, q, _filters(filters), k, text)

    def drafted(self, question: str, history: History | None = None) -> tuple[Draft, list[Passage], CorpusView]:
        """The answerer's draft before it is written out, with its passages (for fitting and diagnostics)."""
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        _, draft, passages = self._drafted(corpus, text, history, None, {})
        return draft, passages, corpus

    def candidates(self, question: str, history: History | None = None,
                   filters: Filters | dict | None = None) -> tuple[RerankQuery, list[Candidate]]:
        """What the reranker reads for ``question``: the query's features and every candidate passage
        (for fitting the reranker and for diagnostics; `retrieve` returns the reranked passages)."""
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        condensed = read(text, history)[0]
        q = self._question(corpus, condensed)
        query = self._query(corpus, condensed, q, text)
        return query, self._candidates(corpus, condensed, q, _filters(filters), query.ref, text)

    def evidence(self, question: str, history: History | None = None) -> tuple[Question, Evidence]:
        """The analysed question and the evidence units the answerer scores (for fitting and diagnostics)."""
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        condensed = read(text, history)[0]
        q = self._question(corpus, condensed)
        passages = self._passages(corpus, condensed, q, None, asked=text)
        q = for_quotes(q, condensed, text)  # as `_draft` gives it to the answerer: French quotes in French words
        return q, self._evidence(corpus, q, passages, condensed, text)

    def corpus(self) -> CorpusView:
        """The snapshot of the current index version, swapped for a new one when an ingest has committed.

        A question takes the snapshot once and uses only it (documents, chunks, BM25, units, unit vectors,
        vector store view), so it finishes on the version it started with whatever an ingest does meanwhile.
        """
        with self._lock:
            if self._corpus is None or self._corpus.data_version != self.manifest.data_version():
                self._corpus = CorpusView(self.manifest, self.embedder.name,
                                          self._views.open if self._views else None)
            corpus = self._corpus
        if not corpus.chunks:  # the first ingest has not committed yet, or it found nothing to add
            raise IndexEmpty(
                f"The index in {self.settings.index_dir} holds no documents yet: an ingest may still be running "
                "(try again when it ends), or run `assistant ingest` on a folder of documents."
            )
        return corpus

    def stamp(self, corpus: CorpusView | None = None) -> Stamp:
        corpus = corpus or self.corpus()
        return Stamp(
            index_version=corpus.version, embedding_model=self.embedder.name,
            answerer=self.answerer.name, time=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )

    @property
    def writer(self) -> Answerer:
        """The answerer that writes answers out: ``llm`` when set, else the extractive one."""
        return self.llm or self.answerer

    # --- steps ---------------------------------------------------------------
    def _answers(self, question: str, history: History | None, filters: Filters | dict | None,
                 stream: bool) -> Iterator[str | Answer]:
        """The writer's deltas, then its `Answer` with the total time (the iterator ends there)."""
        started = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        timings: dict[str, float] = {}
        condensed, draft, passages = self._drafted(corpus, text, history, _filters(filters), timings)
        case = Case(asked=text, question=condensed, passages=passages, draft=draft, corpus=corpus,
                    stamp=self.stamp(corpus), timings=timings)
        for item in self.writer.answer(case, stream=stream):
            if isinstance(item, Answer):
                total = (time.perf_counter() - started) * 1000
                yield replace(item, timings={**item.timings, "total_ms": total})
                return
            yield item

    def _drafted(self, corpus: CorpusView, text: str, history: History | None, flt: Filters | None,
                 timings: dict[str, float]) -> tuple[Condensed, Draft, list[Passage]]:
        """Condense, split into parts, retrieve and draft each part; French questions get French framing."""
        condensed, parts = read(text, history)
        # Each part of a French question is also searched and checked in the asker's own words: the parts are
        # cut from the English rendering, so each is given the whole French question (its terms are the part's).
        own = text if is_french(text) else ""
        drafts = [self._draft(corpus, p, flt, timings, own) for p in parts] if len(parts) > 1 else []
        draft, passages = merged(drafts, [p.text for p in parts]) if drafts else self._draft(
            corpus, condensed, flt, timings, text)
        draft.lang = "fr" if is_french(text) else "en"
        return condensed, draft, passages

    def _analyse(self, corpus: CorpusView, text: str) -> Question:
        # 'ABC 12' is read as '12th ABC', the way the documents name the meeting (`references.with_ordinals`).
        return analyse(refs.with_ordinals(text, corpus.bodies), corpus.lexical.vocab, corpus.lexical.idf,
                       answer_type=self._answer_type)

    def _answer_type(self, text: str) -> str | None:
        """The answer type of a question text as `Settings.answer_types` reads it."""
        mode = self.settings.answer_types
        found = pattern_type(text) if mode in ("patterns", "both") else None
        if found is None and mode in ("model", "both"):
            found = answer_type(text, self._embed_question(text))
        return found

    def _question(self, corpus: CorpusView, condensed: Condensed) -> Question:
        return analysed(condensed, partial(self._analyse, corpus))

    def _passages(self, corpus: CorpusView, condensed: Condensed, q: Question, flt: Filters | None,
                  k: int | None = None, asked: str = "", search: Callable[..., list[Passage]] | None = None,
                  ) -> list[Passage]:
        """With the reranker: candidates from hybrid search, from the documents the question names and, for a
        French question, from its own words, ordered by the fitted model. Without it: hybrid search alone."""
        search = search or self._search(corpus, condensed, q, asked)
        if self._rerank_model is None:
            return search(k=k or self.settings.top_k, filters=flt)
        query = self._query(corpus, condensed, q, asked)
        candidates = self._candidates(corpus, condensed, q, flt, query.ref, asked, search)
        factors = self.retriever.penalty.factors(corpus, [c.passage.chunk.id for c in candidates])
        return rerank(query, candidates, self._rerank_model, k or self.settings.top_k, factors)

    def _search(self, corpus: CorpusView, condensed: Condensed, q: Question,
                asked: str = "") -> Callable[..., list[Passage]]:
        """Hybrid search for this question (a follow-up with what it refers to), waiting for ``k`` and filters.
        Its first stage runs once per filters: the reranker's candidates and the off-topic gate's top passages
        are two cuts of one ranking. ``asked`` (the question as asked) gives its language."""
        lang = _language(asked or condensed.text)
        pronoun = condensed.mode == "pronoun"
        query = _embedded(condensed, self.settings.followup_answer_words)
        lemmas = q.search_lemmas + (self._analyse(corpus, condensed.context).lemmas if pronoun else [])
        lemmas += [a.lower() for a in contractions(condensed.text, corpus.acronyms)]
        vector, answer_type, spelled = self._embed_question(query), NEED_PATTERNS.get(q.need or ""), asked_acronyms(q)
        rankings: dict[Filters | None, Ranking | None] = {}

        def search(k: int | None = None, filters: Filters | None = None) -> list[Passage]:
            if filters not in rankings:
                rankings[filters] = self.retriever.rank(corpus, query, vector, filters, lemmas)
            ranking = rankings[filters]
            return ranking.top(k or self.settings.top_k, answer_type, spelled, lang) if ranking is not None else []

        return search

    def _candidates(self, corpus: CorpusView, condensed: Condensed, q: Question, flt: Filters | None,
                    ref: Reference, asked: str = "", search: Callable[..., list[Passage]] | None = None,
                    ) -> list[Candidate]:
        """Every passage the reranker chooses from, with what it needs to know about each."""
        s = self.settings
        search = search or self._search(corpus, condensed, q, asked)
        found = [(p, False) for p in search(k=s.rerank_candidates, filters=flt)]
        asked = asked or condensed.text
        if is_french(asked):  # French passages for a French question: its own words, not the translation's
            found += [(p, False) for p in self.retriever.search(
                corpus, asked, self._embed_question(asked), k=s.focus_k or s.top_k, filters=flt,
                lexical_query=content_lemmas(asked, "fr"))]
        named = corpus.referenced(ref) if s.focus_k and ref.names_document else frozenset()
        if named:
            focus = replace(flt or Filters(), doc_ids=named)
            found += [(p, True) for p in search(k=s.focus_k, filters=focus)]
            if ref.items:
                # The numbered item the question names ('Resolution 5'): its chunks, wherever the search ranks
                # them among the record's others, which name the same meeting and year just as well.
                every = search(k=sum(corpus.chunk_count[d] for d in named), filters=focus)
                found += [(p, True) for p in every if ref.items & refs.section_items(p.chunk.section)]
        leading = list(dict.fromkeys(p.chunk.doc_id for p, _ in found))[:s.expand_documents]
        short = frozenset(d for d in leading if corpus.chunk_count[d] <= s.expand_chunks) - named
        if short and s.focus_k:
            found += [(p, False) for p in search(k=s.focus_k, filters=replace(flt or Filters(), doc_ids=short))]
        return candidates_of(corpus, found, self.embedder.embed, self.embedder.dim)

    def _query(self, corpus: CorpusView, condensed: Condensed, q: Question, asked: str) -> RerankQuery:
        asked = asked or condensed.text
        text = f"{condensed.context} {asked}" if condensed.mode == "pronoun" else asked
        lang = _language(asked)
        query_text = _embedded(condensed, self.settings.followup_answer_words)
        ref = question_reference(corpus, text)
        lemmas = frozenset(content_lemmas(text if condensed.mode == "pronoun" else condensed.text))
        # A French question is also matched in its own words against French documents; an English one (and
        # an English follow-up, which condensing has made whole) only through its condensed text.
        original = frozenset(content_lemmas(asked, "fr")) if lang == "fr" else lemmas
        return RerankQuery(lemmas=lemmas, original_lemmas=original, lang=lang, ref=ref, years=ref.years,
                           vector=self._embed_question(query_text), need=NEED_PATTERNS.get(q.need or ""),
                           spelled=asked_acronyms(q), wants_steps=q.wants_steps, wants_list=q.wants_list,
                           # As the answerer reads it (`for_quotes`): not a follow-up, whose search text is not
                           # the asker's words alone.
                           own_vector=self._embed_question(asked) if lang == "fr" and not condensed.is_followup
                           else None)

    @property
    def _rerank_model(self) -> Model | None:
        return packaged_model("rerank") if self.settings.rerank else None

    def _draft(self, corpus: CorpusView, condensed: Condensed, flt: Filters | None,
               timings: dict[str, float], asked: str = "") -> tuple[Draft, list[Passage]]:
        t0 = time.perf_counter()
        q = self._question(corpus, condensed)
        if not corpus.chunks:
            return Draft(abstained=True, reason="empty_index", lang=q.lang), []
        search = self._search(corpus, condensed, q, asked)
        passages = self._passages(corpus, condensed, q, flt, asked=asked, search=search)
        # The off-topic gate reads what hybrid search alone finds, as it was measured: a reranker orders
        # passages by their closest unit, which would lift a stray sentence over the gate.
        first = search(k=self.settings.top_k, filters=flt) if self._rerank_model else None
        q = for_quotes(q, condensed, asked)
        t1 = time.perf_counter()
        evidence = self._evidence(corpus, q, passages, condensed, asked)
        if first is not None:
            # A follow-up is on topic when what it asks in context is ('and the other region?' alone is not).
            asked_vector = (self._embed_question(_searched(condensed)) if condensed.mode == "pronoun"
                            else evidence.question_vector)
            evidence = replace(evidence, relevance=self._relevance(corpus, first, asked_vector))
        analyse = partial(self._analyse, corpus)
        draft = self.answerer.draft(q, evidence, referent_terms(condensed, analyse), answer_terms(condensed, analyse))
        timings["retrieve_ms"] = timings.get("retrieve_ms", 0.0) + (t1 - t0) * 1000
        timings["answer_ms"] = timings.get("answer_ms", 0.0) + (time.perf_counter() - t1) * 1000
        return draft, passages

    def _evidence(self, corpus: CorpusView, q: Question, passages: list[Passage],
                  condensed: Condensed | None = None, asked: str = "") -> Evidence:
        held, vectors = self._quotable(corpus, passages)
        units = [u for u, _ in held]
        rank = {(u.doc_id, u.index): p.rank for u, p in held}
        score = {(u.doc_id, u.index): p.score for u, p in held}
        docs = {u.doc_id for u in units}
        referenced = self._referenced(corpus, q.text, condensed)
        items = question_reference(corpus, q.text).items
        return Evidence(
            units=units, vectors=vectors, question_vector=self._embed_question(q.text),
            # A translated question is also compared, in its own words, with the units in its own language.
            own_vector=self._embed_question(asked) if q.own is not None and asked else None,
            titles={d: corpus.documents[d].title for d in docs}, named={d: corpus.named_as[d] for d in docs},
            languages={d: corpus.documents[d].language for d in docs},
            passage_rank=rank, passage_score=score, max_rank=len(passages) + 1,
            siblings={d: corpus.units(d) for d in docs}, acronyms=corpus.acronyms,
            body_names=corpus.names_of_bodies,
            unrecorded=self._unrecorded(corpus, q.text) or _unlisted(corpus, q.text, items, referenced),
            referenced=referenced, dates={d: corpus.documents[d].date for d in docs | referenced}, items=items,
        )

    @staticmethod
    def _unrecorded(corpus: CorpusView, text: str) -> tuple[str, ...]:
        """The words of ``text`` naming a meeting or year of which the collection holds no record. A body named
        by its subject or full name is left out: such a name is as often another body's decision's object ('the
        President of the thermometry committee in 2023'), of which the records of that body say nothing."""
        asked = question_reference(corpus, text, by_subject=False)
        return () if corpus.holds_record(asked) else tuple(refs.unrecorded_words(text, asked))

    @staticmethod
    def _referenced(corpus: CorpusView, text: str, condensed: Condensed | None = None) -> frozenset[str]:
        """The records of the meeting ``text`` names (none when it names no body with a meeting or year); a
        pronoun follow-up naming none ('what was decided there?') names the meeting of the question it follows."""
        asked = question_reference(corpus, text)
        if not asked.names_document and condensed is not None and condensed.mode == "pronoun":
            asked = question_reference(corpus, _searched(condensed))
        return corpus.referenced(asked) if asked.names_document else frozenset()

    def _relevance(self, corpus: CorpusView, passages: list[Passage], vector: np.ndarray) -> float:
        """The best cosine of ``vector`` and a quotable unit of ``passages`` (-1 for none)."""
        _, vectors = self._quotable(corpus, passages)
        return float((vectors @ vector).max()) if len(vectors) else -1.0

    def _quotable(self, corpus: CorpusView, passages: list[Passage]) -> tuple[list[tuple[Unit, Passage]], np.ndarray]:
        """Each unit of ``passages`` once, with the first (best-ranked) passage holding it, and its vector;
        a document sentence that talks to the assistant is data, never an answer, so it is left out."""
        held: dict[tuple[str, int], tuple[Unit, Passage]] = {}
        for p in passages:
            for u in corpus.chunk_units(p.chunk):
                held.setdefault((u.doc_id, u.index), (u, p))
        pairs = list(held.values())
        vectors = self._vectors(corpus, [u for u, _ in pairs])
        keep = [i for i, f in enumerate(corpus.instruction_flags([u for u, _ in pairs], vectors)) if not f]
        return [pairs[i] for i in keep], vectors[keep]

    def _embed_question(self, text: str) -> np.ndarray:
        """The vector of a question text; retrieval and the answerer usually ask for the same text, and
        a question vector does not depend on the index version, so recent ones are kept."""
        vector = self._question_vectors.get(text)
        if vector is None:
            vector = self.embedder.embed([text])[0]
            with self._question_lock:
                if len(self._question_vectors) >= QUESTION_VECTORS_KEPT:
                    self._question_vectors.pop(next(iter(self._question_vectors)))  # oldest first
                self._question_vectors[text] = vector
        return vector

    def _vectors(self, corpus: CorpusView, units: list[Unit]) -> np.ndarray:
        """Unit vectors stored at ingest with this version (embedded now only for an older index)."""
        return corpus.unit_vectors(units, self.embedder.embed, self.embedder.dim)


def _filters(filters: Filters | dict | None) -> Filters | None:
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters(**{k: v for k, v in filters.items() if v})


def _language(asked: str) -> str:
    """The language a question was asked in (French or English)."""
    return "fr" if is_french(asked) else "en"


def _unlisted(corpus: CorpusView, text: str, items: frozenset[tuple[str, str]], records: frozenset[str],
              ) -> tuple[str, ...]:
    """The numbered items the question ``text`` names ('Recommendation 3') that the ``records`` of the meeting it
    names do not hold, though they hold items of that kind: that meeting made no such item. Only an item numbered
    on its own: 'Recommendation 19/1' and 'Decision 104-48' number another meeting's items."""
    if not items or not records:
        return ()
    held = {item for d in records for u in corpus.units(d) for item in refs.section_items(u.section)}
    kinds = {kind for kind, _ in held}
    return tuple(f"{kind.capitalize()} {number}" for kind, number in sorted(items)
                 if kind in kinds and (kind, number) not in held and number.isdigit()
                 and re.search(rf"\b{kind}s?\s+{number}\b(?![/.-]\d)", text, re.I))


def _searched(condensed: Condensed) -> str:
    """The question with what it refers to: a pronoun follow-up carries the question it follows."""
    if condensed.mode == "pronoun":
        return f"{condensed.context} {condensed.text}".strip()
    return condensed.text


def _embedded(condensed: Condensed, answer_words: int) -> str:
    """The text the search embeds: `_searched`, and for a pronoun follow-up the first ``answer_words`` words of
    the answer it follows, which name what 'it' is ('What does that one do?' after 'The brass torque meter …')."""
    if condensed.mode != "pronoun" or answer_words <= 0:
        return _searched(condensed)
    answer = " ".join(CITE_RE.sub(" ", condensed.previous_answer).split()[:answer_words])
    return f"{_searched(condensed)} {answer}".strip()
