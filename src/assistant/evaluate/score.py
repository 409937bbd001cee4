"""Run questions through an assistant object and aggregate the metrics.

``score(bot, items)`` only needs ``bot.ask(question, history=...)`` (and,
optionally, ``bot.retrieve(question, history=...)``); answers are read with
``getattr`` defaults so a partially built product still scores.
"""
from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from assistant.evaluate import metrics as m
from assistant.evaluate.questions import GoldItem

RETRIEVE_K = 5          # hit@5: the depth the project's floors files were set at
ANSWER_DEPTH = 6        # hit@6: the passages the answerer reads (Settings.top_k default)
RETRIEVE_DEPTH = 20     # hit@20 and MRR: how deep bot.retrieve is asked to rank
SUPPORT_LABELS: tuple[str, ...] = ("supported", "partial", "abstained")
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"false_abstention_rate", "latency_p50_ms", "latency_p95_ms", "errors"})


@dataclass
class QuestionResult:
    """Outcome and per-question metrics for one gold item."""

    id: str
    category: str
    question: str
    answerable: bool
    facts: list[list[str]]
    answer: str = ""
    abstained: bool = False
    support: str = ""
    support_score: float | None = None
    correct: bool = False
    fact_recall: float | None = None
    missing_facts: list[list[str]] = field(default_factory=list)
    citation_support: bool | None = None
    citation_precision: float | None = None
    n_citations: int = 0
    retrieval_rank: int | None = None
    retrieved: bool = False
    latency_ms: float | None = None
    words: int = 0
    error: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class EvalRun:
    """All per-question results plus the provenance stamp of the first answer."""

    results: list[QuestionResult]
    stamp: dict = field(default_factory=dict)


def obj_to_dict(obj: object) -> dict:
    """Best-effort plain dict of a stamp-like object (pydantic, dataclass or plain)."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return {k: str(v) if not isinstance(v, (int, float, bool, type(None))) else v for k, v in obj.items()}
    for dumper in ("to_dict", "model_dump", "dict"):
        fn = getattr(obj, dumper, None)
        if callable(fn):
            try:
                return obj_to_dict(fn())
            except TypeError:
                pass
    keys = ("index_version", "embedding_model", "answerer")
    found = {k: getattr(obj, k, None) for k in keys}
    extra = {k: v for k, v in vars(obj).items() if not k.startswith("_")} if hasattr(obj, "__dict__") else {}
    return obj_to_dict({**found, **extra})


def _answer_fields(ans: object) -> tuple[str, bool, str, float | None, list]:
    text = getattr(ans, "text", None)
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    abstained = bool(getattr(ans, "abstained", False))
    support = str(getattr(ans, "support", "") or "")
    score = getattr(ans, "support_score", None)
    score = float(score) if isinstance(score, (int, float)) else None
    citations = list(getattr(ans, "citations", None) or [])
    return text, abstained, support, score, citations


def _fill_answer(res: QuestionResult, item: GoldItem, ans: object) -> None:
    text, abstained, support, score, citations = _answer_fields(ans)
    res.answer, res.abstained, res.support, res.support_score = text, abstained, support, score
    res.words, res.n_citations = m.word_count(text), len(citations)
    res.correct = m.is_correct(item.answerable, item.facts, text, abstained)
    if not item.answerable:
        return
    present = m.facts_present(item.facts, text)
    res.fact_recall = 0.0 if abstained else sum(present) / len(present)
    res.missing_facts = [g for g, ok in zip(item.facts, present, strict=True) if abstained or not ok]
    if not abstained and item.quotes:  # a question file without quotes has no citation metrics
        res.citation_support = m.any_citation_supports(citations, item.quotes)
        res.citation_precision = m.citation_precision(citations, item.quotes, item.facts)


def _takes_k(fn: Callable) -> bool:
    try:
        return "k" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def passage_source(bot: object, passage: object) -> str:
    """The source path of a passage's document ("" when the bot cannot say)."""
    source = getattr(passage, "source", None)
    if isinstance(source, str):
        return source
    doc_id = getattr(passage, "doc_id", None)
    try:
        doc = bot.corpus().documents.get(doc_id)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a bot without a corpus view just has no sources
        return ""
    # The file it was read from (what a question's ``doc`` names); a document's ``source`` may be its URL.
    meta = getattr(doc, "meta", None) or {}
    return str(meta.get("path") or getattr(doc, "source", "") or "")


def _fill_retrieval(res: QuestionResult, item: GoldItem, bot: object) -> None:
    retrieve = getattr(bot, "retrieve", None)
    if not item.answerable or not callable(retrieve) or not (item.quotes or item.doc):
        return
    kwargs = {"k": RETRIEVE_DEPTH} if _takes_k(retrieve) else {}
    passages = list(retrieve(item.question, history=item.history or None, **kwargs) or [])
    sources = [passage_source(bot, p) for p in passages] if item.doc else None
    res.retrieval_rank = m.first_hit_rank(passages, item.quotes, item.doc, sources)
    res.retrieved = True


def score_item(bot: object, item: GoldItem, retrieve: bool = True) -> tuple[QuestionResult, object]:
    """Ask one question (and retrieve), returning its result and the raw answer."""
    res = QuestionResult(id=item.id, category=item.category, question=item.question,
                         answerable=item.answerable, facts=item.facts)
    ans = None
    try:
        start = time.perf_counter()
        ans = bot.ask(item.question, history=list(item.history))
        res.latency_ms = (time.perf_counter() - start) * 1000.0
        _fill_answer(res, item, ans)
        if retrieve:
            _fill_retrieval(res, item, bot)
    except Exception as exc:  # noqa: BLE001 - a failing question must not stop the run
        res.error = f"{type(exc).__name__}: {exc}"
        res.correct = False
        if item.answerable:
            res.fact_recall, res.missing_facts = 0.0, list(item.facts)
    return res, ans


def score(bot: object, items: Sequence[GoldItem], retrieve: bool = True,
          progress: Callable[[QuestionResult], None] | None = None) -> EvalRun:
    """Score every item; the stamp comes from the first answer that has one."""
    run = EvalRun(results=[])
    for item in items:
        res, ans = score_item(bot, item, retrieve=retrieve)
        run.results.append(res)
        if not run.stamp and ans is not None:
            run.stamp = obj_to_dict(getattr(ans, "stamp", None))
        if progress:
            progress(res)
    return run


def summarize(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """Overall metrics for a set of results (None where undefined)."""
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    answered = [r for r in ans if not r.abstained and r.error is None]
    ranks = [r.retrieval_rank for r in ans if r.retrieved]
    lat = [r.latency_ms for r in results if r.latency_ms is not None]
    return {
        "n": len(results), "n_answerable": len(ans), "n_unanswerable": len(unans),
        "answer_accuracy": m.mean(r.correct for r in results),
        "fact_recall": m.mean(r.fact_recall for r in ans),
        "citation_support": m.mean(r.citation_support for r in answered),
        "citation_precision": m.mean(r.citation_precision for r in answered),
        "abstention_accuracy": m.mean(r.abstained and r.error is None for r in unans),
        "false_abstention_rate": m.mean(r.abstained for r in ans),
        "hit_at_1": m.hit_at_k(ranks, 1), "hit_at_5": m.hit_at_k(ranks, RETRIEVE_K),
        "hit_at_6": m.hit_at_k(ranks, ANSWER_DEPTH), "hit_at_20": m.hit_at_k(ranks, RETRIEVE_DEPTH),
        "mrr": m.mrr(ranks),
        "mean_answer_words": m.mean(r.words for r in results if r.error is None),
        "latency_p50_ms": m.percentile(lat, 50), "latency_p95_ms": m.percentile(lat, 95),
        "errors": sum(1 for r in results if r.error),
    }


def per_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | int | None]]:
    """``summarize`` for each category, in first-seen order."""
    cats: dict[str, list[QuestionResult]] = {}
    for r in results:
        cats.setdefault(r.category, []).append(r)
    return {c: summarize(rs) for c, rs in cats.items()}


def confusion(results: Sequence[QuestionResult]) -> dict[str, dict[str, int]]:
    """Counts of support label x answer correctness."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        label = r.support or ("error" if r.error else "(none)")
        row = table.setdefault(label, {"correct": 0, "incorrect": 0})
        row["correct" if r.correct else "incorrect"] += 1
    order = {lab: i for i, lab in enumerate(SUPPORT_LABELS)}
    return dict(sorted(table.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
