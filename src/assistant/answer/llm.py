"""Optional LLM answerer (Ollama or any OpenAI-compatible server), always grounding-checked.

An `Answerer` (answer/base.py): the extractive answer is written first from the case's draft; the LLM then
writes from the same numbered passages, and `grounding` keeps only the sentences the cited passages support
(when streaming, each is yielded once it is finished and grounded). The extractive answer comes back instead
when the LLM is unavailable (down, slow, garbled: after ``llm_retries`` retries with backoff, with a one-line
note), when none of its sentences holds up, or when what holds up does not cover the question's key terms.
Token counts and latency are logged; the API key never is.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assistant.answer.answer_type import NEED_PATTERNS
from assistant.answer.base import Case
from assistant.answer.compose import FRENCH_LEAD, Citations, written
from assistant.answer.coverage import Profile, TermMatcher
from assistant.answer.draft import Draft
from assistant.answer.grounding import (
    Claim,
    Grounder,
    UnitVectors,
    Verdict,
    finished_claims,
    split_claims,
)
from assistant.answer.prompt import build_messages, number_passages
from assistant.errors import BackendUnavailable, LLMUnavailable, SettingsError
from assistant.retrieve.corpus import CorpusView
from assistant.retrieve.query import analyse
from assistant.settings import Settings
from assistant.types import Answer, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

    from assistant.index.embedder import Embedder

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'bipm-assistant[llm]'"
OLLAMA_URL = "http://localhost:11434"
BACKOFF_SECONDS = 0.5  # first retry waits this long, then twice as long each time …
BACKOFF_MAX = 8.0  # … up to this
NO_LLM_REASONS = ("off_topic", "empty_index")  # nothing relevant was retrieved: asking an LLM cannot help
THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)  # reasoning models' scratchpad is not answer
STATUS_WORDS = {"unsupported": "not supported by the passage cited", "no_citation": "no citation",
                "bad_citation": "cited a passage that was not given", "injection": "echoed an instruction "
                "found inside a document"}


# --- backends ----------------------------------------------------------------------
def make_llm_answerer(settings: Settings, embedder: Embedder, matcher: TermMatcher) -> LLMAnswerer | None:
    """The configured LLM answerer, or None when ``llm_provider`` is "extractive"."""
    if settings.llm_provider == "extractive":
        return None
    name = f"{settings.llm_provider}:{settings.llm_model}"
    return LLMAnswerer(settings, make_chat_model(settings), embedder, matcher, name)


def make_chat_model(settings: Settings) -> BaseChatModel:
    """A LangChain chat model for ``settings.llm_provider``; no request is made here."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if settings.llm_provider == "ollama":
        return _ollama(settings, key)
    if settings.llm_provider == "openai":
        return _openai(settings, key)
    raise SettingsError(f"Bad setting llm_provider: {settings.llm_provider!r} has no chat model.")


def _ollama(settings: Settings, key: str | None) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise BackendUnavailable(f"The 'ollama' LLM backend needs langchain-ollama: {INSTALL_HINT}") from exc
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return ChatOllama(
        model=settings.llm_model, base_url=settings.llm_base_url or OLLAMA_URL, temperature=0,
        client_kwargs={"timeout": settings.llm_timeout, "headers": headers},
    )


def _openai(settings: Settings, key: str | None) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise BackendUnavailable(f"The 'openai' LLM backend needs langchain-openai: {INSTALL_HINT}") from exc
    if not settings.llm_base_url and not key:
        raise SettingsError(
            "ASSISTANT_LLM_PROVIDER=openai needs ASSISTANT_LLM_BASE_URL (an OpenAI-compatible server, e.g. "
            "vLLM at http://localhost:8000/v1) or ASSISTANT_LLM_API_KEY for api.openai.com."
        )
    # Local servers ignore the key, but the client refuses to start without one.
    return ChatOpenAI(
        model=settings.llm_model, base_url=_v1(settings.llm_base_url), api_key=key or "not-needed",
        timeout=settings.llm_timeout, max_retries=0, temperature=0, stream_usage=True, use_responses_api=False,
    )


def _v1(url: str | None) -> str | None:
    """vLLM, llama.cpp and LM Studio serve under /v1: add it when the URL has no path."""
    if url and url.count("/") == 2:
        return f"{url}/v1"
    return url


@dataclass
class _Reply:
    text: str
    usage: dict[str, Any] | None
    attempts: int
    seconds: float


# --- the answerer ----------------------------------------------------------------------
@dataclass
class _Job:
    """One question: what the model is shown, how its sentences are checked, what to fall back on."""

    question: str
    passages: list[Passage]
    corpus: CorpusView
    draft: Draft
    fallback: Answer
    grounder: Grounder

    def writer(self) -> _Writer:
        return _Writer(self.corpus, self.passages, self.grounder)


class LLMAnswerer:
    """Writes an answer with an LLM from the retrieved passages and keeps only its grounded sentences."""

    def __init__(self, settings: Settings, chat: BaseChatModel, embedder: Embedder, matcher: TermMatcher,
                 name: str) -> None:
        self.settings = settings
        self.chat = chat
        self.matcher = matcher
        self.name = name
        self.vectors = UnitVectors(embedder)

    def answer(self, case: Case, *, stream: bool = False) -> Iterator[str | Answer]:
        """The `Answerer` method: with ``stream``, each sentence of the reply once it is finished and grounded;
        then the grounded LLM answer, or the extractive answer (written from the same passages and draft)
        when the LLM is unavailable or its answer does not hold up."""
        fallback = written(case, self.settings)
        if case.draft.reason in NO_LLM_REASONS or not case.passages:
            yield fallback
            return
        started = time.perf_counter()
        condensed, passages, corpus = case.question, case.passages, case.corpus
        asked = condensed.text
        if condensed.mode == "pronoun":  # "What is his e-mail?" needs the question it points back to
            asked += f"\n(This follows the earlier question: {condensed.context})"
        sources = number_passages(passages, corpus)
        grounder = Grounder(corpus, sources, asked, self.vectors)
        job = _Job(condensed.text, passages, corpus, case.draft, fallback, grounder)
        messages = build_messages(asked, sources, self.settings.max_answer_sentences)
        try:
            reply = yield from self._call(messages, stream, job.writer())
        except LLMUnavailable as exc:
            log.warning("LLM %s unavailable: %s (%d attempts)", self.name, exc.what, exc.attempts)
            note = (f"Note: the language model ({self.name}) was unavailable: {exc.what} ({exc.attempts} "
                    f"attempt{'s' if exc.attempts > 1 else ''}); this is the extractive answer.")
            yield _timed(replace(fallback, text=f"{fallback.text}\n\n{note}", notes=(*fallback.notes, note)),
                         started)
            return
        _log_reply(self.name, reply)
        yield _timed(self._grounded(job, reply.text), started)

    # --- calling the model ---------------------------------------------------------
    def _call(self, messages: list[BaseMessage], stream: bool, writer: _Writer) -> Generator[str, None, _Reply]:
        """One reply (yielding its grounded sentences when ``stream``), retried with exponential backoff;
        streamed text is never retried (it was shown)."""
        attempts = self.settings.llm_retries + 1
        for attempt in range(1, attempts + 1):
            t0 = time.perf_counter()
            try:
                if stream:
                    text, usage = yield from self._stream(messages, writer)
                else:
                    text, usage = self._invoke(messages)
                return _Reply(text, usage, attempt, time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 - any client failure means "unavailable"
                what, retry = _describe(exc, self.settings)
                log.info("LLM %s attempt %d/%d failed: %s", self.name, attempt, attempts, what)
                log.debug("LLM %s failure", self.name, exc_info=True)
                if not retry or attempt == attempts or writer.written:
                    raise LLMUnavailable(what, attempt) from exc
                writer.seen = 0  # nothing was shown: the next attempt starts from its first sentence
                time.sleep(min(BACKOFF_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX))
        raise AssertionError("unreachable")

    def _invoke(self, messages: list[BaseMessage]) -> tuple[str, dict[str, Any] | None]:
        message = self.chat.invoke(messages)
        if not isinstance(message.content, str):
            raise TypeError(f"the reply content is {type(message.content).__name__}, not text")
        return message.content, _usage(message)

    def _stream(self, messages: list[BaseMessage], writer: _Writer) -> Generator[str, None, tuple[str, dict | None]]:
        """Stream the reply, yielding each sentence as a delta once it is finished and grounded; returns the
        whole reply. Closing the generator (the reader stopped) closes the model's stream."""
        total = None
        text = ""
        for chunk in self.chat.stream(messages):
            total = chunk if total is None else total + chunk
            if not isinstance(chunk.content, str):
                raise TypeError(f"a streamed chunk is {type(chunk.content).__name__}, not text")
            text += chunk.content
            yield from writer.feed(finished_claims(_visible(text)))
        yield from writer.feed(split_claims(_visible(text)))  # the last sentence is finished now
        return text, _usage(total) if total is not None else None

    # --- grounding -------------------------------------------------------------------
    def _grounded(self, job: _Job, text: str) -> Answer:
        """The reply's supported sentences as an `Answer`, or the fallback with a note saying why not."""
        verdicts = job.grounder.check_all(split_claims(_visible(text)))
        kept = [v for v in verdicts if v.kept]
        supported = [v for v in kept if v.status == "supported"]
        dropped = [v for v in verdicts if v.dropped]
        _log_verdicts(self.name, verdicts)
        why = self._rejected(job, supported, kept)
        if why:
            note = f"The answer of {self.name} was not used: {why}; this is the extractive answer."
            return replace(job.fallback, notes=(*job.fallback.notes, note))
        writer = job.writer()
        body = "".join(writer.render(v) for v in kept)
        if job.draft.lang == "fr":
            body = FRENCH_LEAD + body
        notes = (f"{len(dropped)} of {len(verdicts)} sentences of {self.name} were left out: "
                 + "; ".join(f"{STATUS_WORDS[v.status]} ({v.reason})" for v in dropped),) if dropped else ()
        partial = bool(dropped or job.draft.partial or len(kept) > len(supported))
        score = sum(v.score for v in supported) / (len(supported) + len(dropped))  # dropped ones count as 0
        fallback = job.fallback
        return Answer(
            text=body, abstained=False, citations=tuple(writer.cites.items),
            support="partial" if partial else "supported", support_score=round(score, 4),
            stamp=replace(fallback.stamp, answerer=self.name) if fallback.stamp else None,
            timings=dict(fallback.timings), question=fallback.question, notes=(*fallback.notes, *notes),
        )

    def _rejected(self, job: _Job, supported: list[Verdict], kept: list[Verdict]) -> str:
        """Why the grounded sentences cannot stand as the answer ('' when they can)."""
        if not supported:
            return "it said the passages do not answer" if kept else "none of its sentences was supported"
        # The extractive answerer's own rule: the quoted evidence must cover the question's key terms.
        q = analyse(job.question, job.corpus.lexical.vocab, job.corpus.lexical.idf)
        terms = [t for t in q.hard_terms if not any(t.word in part for part in job.draft.partial)]
        context = "\n".join(f"{x.unit.text}\n{x.unit.section}\n{x.source.title}" for v in supported for x in v.quotes)
        cover = self.matcher.coverage(terms, Profile(context))
        missing = [t.word for t in terms if cover[t.lemma] < 0.5]
        if missing:
            return "the passages it quotes do not mention " + ", ".join(f"“{m}”" for m in missing[:3])
        if q.need and not NEED_PATTERNS[q.need].search(context):
            return f"the passages it quotes give no {q.need}"
        return ""


class _Writer:
    """Renders kept claims with citation numbers of their own; also feeds streaming deltas."""

    def __init__(self, corpus: CorpusView, passages: list[Passage], grounder: Grounder) -> None:
        self.cites = Citations(corpus, passages)
        self.grounder = grounder
        self.seen = 0  # claims already judged while streaming
        self.written = False
        self._ordered = 0

    def feed(self, claims: list[Claim]) -> Iterator[str]:
        """Deltas for the claims finished since the last call that are grounded."""
        new, self.seen = claims[self.seen:], max(self.seen, len(claims))
        for verdict in self.grounder.check_all(new):
            if verdict.kept:
                yield self.render(verdict)

    def render(self, verdict: Verdict) -> str:
        claim = verdict.claim
        numbers = dict.fromkeys(self.cites.cite([q.unit], q.score) for q in verdict.quotes)
        marks = "".join(f"[{n}]" for n in numbers)
        self._ordered = self._ordered + 1 if claim.bullet == "1." else 0
        bullet = {"-": "- ", "1.": f"{self._ordered}. "}.get(claim.bullet, "")
        sep = (claim.sep if claim.sep != " " or not bullet else "\n") if self.written else ""
        self.written = True
        return f"{sep}{bullet}{claim.text}" + (f" {marks}" if marks else "")


def _visible(text: str) -> str:
    return THINK_RE.sub("", text)


def _usage(message: Any) -> dict[str, Any] | None:
    usage = getattr(message, "usage_metadata", None)
    return dict(usage) if usage else None


def _describe(exc: Exception, settings: Settings) -> tuple[str, bool]:
    """A short account of a failed call for people, and whether retrying can help."""
    names = {c.__name__ for c in type(exc).__mro__}
    if isinstance(exc, TimeoutError) or any("Timeout" in n for n in names):
        return f"it did not answer within {settings.llm_timeout:g} s", True
    if names & {"ConnectError", "APIConnectionError", "ConnectionError"}:
        return f"it could not be reached at {settings.llm_base_url or 'its default address'}", True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
        return (f"it refused the request (HTTP {status}; check ASSISTANT_LLM_MODEL and "
                "ASSISTANT_LLM_API_KEY)"), False
    if isinstance(status, int):
        return f"it failed with HTTP {status}", True
    return f"its reply could not be read ({type(exc).__name__})", True


def _timed(answer: Answer, started: float) -> Answer:
    """The answer with the time spent on the LLM (``total_ms`` is the `Assistant`'s to set)."""
    return replace(answer, timings={**answer.timings, "llm_ms": (time.perf_counter() - started) * 1000})


def _log_reply(name: str, reply: _Reply) -> None:
    usage = reply.usage or {}
    log.info("LLM %s replied in %.2f s (attempt %d): %s prompt + %s completion tokens", name, reply.seconds,
             reply.attempts, usage.get("input_tokens", "?"), usage.get("output_tokens", "?"))


def _log_verdicts(name: str, verdicts: list[Verdict]) -> None:
    kept = sum(v.kept for v in verdicts)
    log.info("grounding %s: kept %d of %d sentences", name, kept, len(verdicts))
    for v in verdicts:
        if v.dropped:
            log.debug("dropped (%s: %s): %s", v.status, v.reason, v.claim.text)
