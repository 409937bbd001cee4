"""The `Assistant` facade: question (+ history) → retrieve → draft → compose → `Answer`."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from assistant.answer.answer_type import NEED_PATTERNS
from assistant.answer.compose import compose
from assistant.answer.coverage import TermMatcher
from assistant.answer.draft import Block, Draft
from assistant.answer.evidence import Unit, units_of
from assistant.answer.extractive import Evidence, ExtractiveAnswerer
from assistant.answer.llm import make_llm_answerer, stream_ask
from assistant.errors import BadQuestion, IndexNotFound
from assistant.index.embedder import Embedder, make_embedder
from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.index.store import VectorStore
from assistant.retrieve.condense import PRONOUN_RE, Condensed, condense
from assistant.retrieve.corpus import CorpusView, Filters
from assistant.retrieve.hybrid import HybridRetriever
from assistant.retrieve.query import Question, Term, analyse
from assistant.retrieve.translate import is_french, to_english
from assistant.safety.instructions import flags as instruction_flags
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Passage, Stamp

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_QUESTION_START = (r"(?=(?:how|what|where|when|who|which|is|are|do|does|can|will|"
                   r"comment|où|quand|quel|quelle|combien)\b)")
# 'X and how much is it?', 'Any openings now? And if not, where will they be posted?': one part each.
PART_SPLIT_RE = re.compile(
    r"\s*(?:,\s*)?\b(?:and|et)\s+(?:if not,?\s+)?" + _QUESTION_START +
    r"|(?<=\?)\s+(?:(?:and|et)\s+)?(?:if not,?\s+)?" + _QUESTION_START, re.I)
History = list[dict[str, str]]
# Personal names in a previous answer: 'Dr Jane Smith', 'John Doe, Director'.
NAME_RE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof)\.? ([A-Z][a-z]+ [A-Z][a-z]+)|\b([A-Z][a-z]+ [A-Z][a-z]+)(?=,)")


def clean_question(question: object, limit: int) -> str:
    """The question as text, or `BadQuestion` saying what is wrong with it."""
    if not isinstance(question, str):
        raise BadQuestion("The question must be text.")
    # Control characters, lone surrogates and HTML tags carry no meaning for the documents.
    text = TAG_RE.sub(" ", CONTROL_RE.sub(" ", question)).strip()
    if not text:
        raise BadQuestion("The question is empty: type a question about the BIPM documents.")
    if len(text) > limit:
        raise BadQuestion(
            f"The question is {len(text):,} characters long; the limit is {limit:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS). Please ask something shorter."
        )
    return re.sub(r"\s+", " ", text)


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
        self.matcher = TermMatcher(self.embedder, low=settings.term_match - 0.17, high=settings.term_match + 0.13)
        self.answerer = ExtractiveAnswerer(settings, self.matcher)
        self.llm = make_llm_answerer(settings, self.embedder, self.matcher)  # None unless llm_provider is set
        self._lock = threading.Lock()
        self._corpus: CorpusView | None = None
        self._units: dict[str, list[Unit]] = {}
        self._unit_vectors: dict[tuple[str, str, int], np.ndarray] = {}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: object) -> Assistant:
        """Build from ``settings`` (default: environment variables ``ASSISTANT_*`` plus ``overrides``)."""
        return cls(settings or load_settings(**overrides))

    # --- public --------------------------------------------------------------
    def ask(self, question: str, history: History | None = None, filters: Filters | dict | None = None) -> Answer:
        """Answer ``question`` from the documents, using ``history`` for follow-ups."""
        started = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        flt = _filters(filters)
        french = is_french(text)
        condensed = condense(*_in_english(text, _history(history)))
        parts = _parts(condensed)
        timings: dict[str, float] = {}
        drafts = [self._draft(corpus, p, flt, timings) for p in parts] if len(parts) > 1 else []
        draft, passages = self._merge(drafts, parts) if drafts else self._draft(corpus, condensed, flt, timings)
        draft.lang = "fr" if french else "en"
        t0 = time.perf_counter()
        answer_text, citations = compose(draft, corpus, passages, self.settings.who_to_ask)
        timings["compose_ms"] = (time.perf_counter() - t0) * 1000
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            text=answer_text, abstained=draft.abstained, citations=tuple(citations),
            support=_support(draft), support_score=_support_score(draft), stamp=self.stamp(corpus),
            timings=timings, question=text,
        )
        return self.llm.answer(condensed, passages, draft, answer, corpus) if self.llm else answer

    def stream(self, question: str, history: History | None = None,
               filters: Filters | dict | None = None) -> Iterator[str | Answer]:
        """Like `ask`, as a generator: text deltas (``str``) while the LLM writes, then the final `Answer`.

        Deltas are sentences that already passed the grounding check, with their [n] markers; they are
        provisional: show them as they come, then replace them with the final ``Answer.text`` (it differs
        when the LLM fails and the extractive answer is used). Without an LLM there is one delta, the whole
        text. The `Answer` is always the last item; errors (e.g. `BadQuestion`) are raised by the generator.
        """
        return stream_ask(self, question, history, filters)

    def retrieve(self, question: str, history: History | None = None, k: int | None = None,
                 filters: Filters | dict | None = None) -> list[Passage]:
        """Ranked passages for ``question`` (what `ask` reads before answering)."""
        text = clean_question(question, self.settings.max_question_chars)
        corpus = self.corpus()
        condensed = condense(*_in_english(text, _history(history)))
        q = self._question(corpus, condensed)
        return self._passages(corpus, condensed, q, _filters(filters), k)

    def corpus(self) -> CorpusView:
        """The current corpus view, reloaded when an ingest has changed the manifest."""
        with self._lock:
            if self._corpus is None or self._corpus.data_version != self.manifest.data_version():
                self._corpus = CorpusView(self.manifest)
                self._units = {}
            return self._corpus

    def stamp(self, corpus: CorpusView | None = None) -> Stamp:
        corpus = corpus or self.corpus()
        return Stamp(
            index_version=corpus.version, embedding_model=self.embedder.name,
            answerer=self.answerer.name, time=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )

    # --- steps ---------------------------------------------------------------
    def _analyse(self, corpus: CorpusView, text: str) -> Question:
        return analyse(text, corpus.lexical.vocab, corpus.lexical.idf)

    def _question(self, corpus: CorpusView, condensed: Condensed) -> Question:
        """The analysed question; an elliptical follow-up keeps the earlier question's answer type."""
        q = self._analyse(corpus, condensed.text)
        if condensed.mode == "ellipsis":
            q = q.inherit(self._analyse(corpus, condensed.context))
        return q

    def _passages(self, corpus: CorpusView, condensed: Condensed, q: Question, flt: Filters | None,
                  k: int | None = None) -> list[Passage]:
        pronoun = condensed.mode == "pronoun"
        query = f"{condensed.context} {condensed.text}".strip() if pronoun else condensed.text
        vector = self.embedder.embed([query])[0]
        lemmas = q.search_lemmas + (self._analyse(corpus, condensed.context).lemmas if pronoun else [])
        return self.retriever.search(corpus, query, vector, k=k, filters=flt, lexical_query=lemmas,
                                     answer_type=NEED_PATTERNS.get(q.need or ""))

    def _draft(self, corpus: CorpusView, condensed: Condensed, flt: Filters | None,
               timings: dict[str, float]) -> tuple[Draft, list[Passage]]:
        t0 = time.perf_counter()
        q = self._question(corpus, condensed)
        if not corpus.chunks:
            return Draft(abstained=True, reason="empty_index", lang=q.lang), []
        passages = self._passages(corpus, condensed, q, flt)
        t1 = time.perf_counter()
        evidence = self._evidence(corpus, q, passages)
        context = self._context_terms(corpus, condensed)
        draft = self.answerer.draft(q, evidence, context)
        draft.closest = passages[:2]
        timings["retrieve_ms"] = timings.get("retrieve_ms", 0.0) + (t1 - t0) * 1000
        timings["answer_ms"] = timings.get("answer_ms", 0.0) + (time.perf_counter() - t1) * 1000
        return draft, passages

    def _context_terms(self, corpus: CorpusView, condensed: Condensed) -> tuple[Term, ...]:
        """What a pronoun points back to: the earlier question's nouns and the names in the earlier answer."""
        if condensed.mode != "pronoun":
            return ()
        terms = self._analyse(corpus, condensed.context).hard_terms
        names = [a or b for a, b in NAME_RE.findall(condensed.previous_answer[:300])]
        extra = self._analyse(corpus, " ".join(names)).terms if names else ()
        return tuple({t.lemma: t for t in (*terms, *extra)}.values())

    def _evidence(self, corpus: CorpusView, q: Question, passages: list[Passage]) -> Evidence:
        units: list[Unit] = []
        rank: dict[tuple[str, int], int] = {}
        for p in passages:
            for u in self._doc_units(corpus, p.doc_id):
                if u.start < p.chunk.end and p.chunk.start < u.end and (u.doc_id, u.index) not in rank:
                    rank[(u.doc_id, u.index)] = p.rank
                    units.append(u)
        vectors = self._vectors(corpus, units)
        # A document sentence that talks to the assistant is data, never an answer.
        keep = [i for i, f in enumerate(instruction_flags([u.text for u in units], vectors)) if not f]
        units, vectors = [units[i] for i in keep], vectors[keep]
        qv = self.embedder.embed([q.text])[0]
        return Evidence(
            units=units, vectors=vectors, question_vector=qv,
            titles={d: corpus.documents[d].title for d in {u.doc_id for u in units}},
            passage_rank=rank, siblings={d: self._doc_units(corpus, d) for d in {u.doc_id for u in units}},
            acronyms=corpus.acronyms,
        )

    def _doc_units(self, corpus: CorpusView, doc_id: str) -> list[Unit]:
        if doc_id not in self._units:
            self._units[doc_id] = units_of(corpus.documents[doc_id])
        return self._units[doc_id]

    def _vectors(self, corpus: CorpusView, units: list[Unit]) -> np.ndarray:
        keys = [(corpus.version, u.doc_id, u.index) for u in units]
        todo = [(k, u) for k, u in zip(keys, units, strict=True) if k not in self._unit_vectors]
        if todo:
            vectors = self.embedder.embed([f"{u.section}: {u.text}" for _, u in todo])
            self._unit_vectors.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
        if not units:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._unit_vectors[k] for k in keys])

    def _merge(self, drafts: list[tuple[Draft, list[Passage]]], parts: list[Condensed]) -> tuple[Draft, list[Passage]]:
        """Multi-part question: answer the parts the documents cover, say which they don't."""
        answered = [(d, p) for d, p in drafts if not d.abstained]
        if not answered:
            return drafts[0]
        merged = answered[0][0]
        for d, _ in answered[1:]:
            seen = {(u.doc_id, u.index) for u in merged.units}
            for block in d.blocks:
                fresh = tuple(u for u in block.units if (u.doc_id, u.index) not in seen)
                if fresh and (block.style == "sentences" or len(fresh) == len(block.units)):
                    merged.blocks.append(Block(block.style, fresh))
            merged.coverage = min(merged.coverage, d.coverage)
        merged.partial = [p.text.rstrip(" ?") for (d, _), p in zip(drafts, parts, strict=True) if d.abstained]
        return merged, [p for _, ps in answered for p in ps]


def _parts(condensed: Condensed) -> list[Condensed]:
    """'Where is it and how many staff does it have?' → two questions; later parts lean on the first."""
    if condensed.is_followup:
        return [condensed]
    texts = [p.strip() for p in PART_SPLIT_RE.split(condensed.text) if p.strip()]
    first = [Condensed(texts[0])] if texts else []
    rest = [Condensed(t, texts[0], "pronoun") if PRONOUN_RE.search(t) else Condensed(t) for t in texts[1:]]
    return first + rest


def _in_english(text: str, history: History) -> tuple[str, History]:
    """French question and turns → English queries (the answer is framed in French later)."""
    def english(t: str) -> str:
        return to_english(t) if is_french(t) else t

    return english(text), [{**t, "content": english(t["content"])} for t in history]


def _support(draft: Draft) -> str:
    if draft.abstained:
        return "abstained"
    return "partial" if draft.partial or draft.coverage < 0.9 else "supported"


def _support_score(draft: Draft) -> float:
    relevance = float(np.clip(draft.relevance / 0.6, 0.0, 1.0))
    score = 0.7 * draft.coverage + 0.3 * relevance
    return round(score * (0.5 if draft.partial else 1.0) * (0.3 if draft.abstained else 1.0), 4)


def _history(history: History | None) -> History:
    if not history:
        return []
    return [t for t in history if isinstance(t, dict) and isinstance(t.get("content"), str)]


def _filters(filters: Filters | dict | None) -> Filters | None:
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters(**{k: v for k, v in filters.items() if v})
