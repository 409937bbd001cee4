"""Abstention as one calibrated probability that the chosen quotes answer the question.

The answerer records named signals on its draft (coverage of the question's terms by the leading quote,
whether a follow-up's referent is there, whether a 'which X' quote names an X, how strong the evidence
scored, …). A logistic model fitted by `python -m evals.fit --model abstain` turns them into a probability;
the threshold is the one chosen on the training folds (stored with the model), never typed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from assistant.answer.draft import Draft
from assistant.errors import AssistantError
from assistant.fitted import LinearModel, packaged_model
from assistant.types import Support

ABSTAIN_FEATURES = (
    "coverage", "missing_share", "missing_weight", "key_terms", "list_answer", "rule_coverage", "rule_missing",
    "context_fail", "unnamed", "primary_score", "best_score", "primary_dense", "best_dense", "best_passage",
    "need_asked", "need_met",
)


def signal_row(draft: Draft, names: tuple[str, ...]) -> list[float]:
    return [float(draft.signals.get(n, 0.0)) for n in names]


def probability(draft: Draft, model: LinearModel) -> float:
    return float(model.probability(np.array([signal_row(draft, model.features)]))[0])


def with_confidence(draft: Draft, model: LinearModel) -> Draft:
    """The draft with the model's probability recorded (its abstention left as the rules decided)."""
    if draft.blocks:
        draft.confidence = probability(draft, model)
    return draft


# Abstentions whose cause none of the model's signals reads (the quote only sets the work whose outcome is
# asked, names a change or a text without saying what it was or says, is a record's heading that only restates
# the question, or dates the thing asked with another year): the model's confidence says nothing about them, so
# it does not overturn them.
UNREAD_REASONS = frozenset({"unreported", "unstated", "unstated_content", "restated", "other_year"})


def decide(draft: Draft, model: LinearModel, hybrid: bool = False) -> Draft:
    """Answer when the model's probability reaches its fitted threshold; a draft with nothing to quote
    stays abstained. The rules' reason and missing words are kept for the wording of an abstention.

    ``hybrid``: the rules' decision stands unless the model is confident otherwise — a rule answer is
    withheld below the fitted ``veto`` probability, a rule abstention answered from the fitted ``rescue`` on.
    """
    if not draft.blocks:
        return draft
    draft.confidence = probability(draft, model)
    if draft.abstained and draft.reason in UNREAD_REASONS:
        return draft
    if hybrid:
        bar = float(model.meta["veto"] if not draft.abstained else model.meta["rescue"])
    else:
        bar = float(model.meta["threshold"])
    answer = draft.confidence >= bar
    if answer and draft.abstained:
        draft.abstained, draft.reason, draft.missing = False, "", []
    elif not answer and not draft.abstained:
        draft.abstained, draft.reason = True, "low_confidence"
    return draft


@dataclass(frozen=True)
class SupportWeights:
    """How a draft's support score is made (``meta.support_score`` of assistant/data/evidence-prior.json)."""

    coverage: float  # weight of the quotes' coverage of the question's terms (without an abstention model)
    relevance: float  # weight of the best passage's cosine, counted as full from ``relevance_full`` up
    relevance_full: float
    partial: float  # factor on the score of a partial answer
    abstained: float  # factor on the score of an abstention (without an abstention model)


@cache
def support_weights() -> SupportWeights:
    model = packaged_model("evidence-prior")
    if model is None or "support_score" not in model.meta:
        raise AssistantError("The support-score weights (assistant/data/evidence-prior.json, meta.support_score) "
                             "are missing: reinstall the package.")
    values = model.meta["support_score"]
    return SupportWeights(**{k: float(values[k]) for k in SupportWeights.__dataclass_fields__})


def support(draft: Draft, partial_coverage: float) -> Support:
    """'abstained', 'partial' (a part unanswered, or key terms covered below ``partial_coverage``) or 'supported'."""
    if draft.abstained:
        return "abstained"
    return "partial" if draft.partial or draft.coverage < partial_coverage else "supported"


def support_score(draft: Draft, w: SupportWeights) -> float:
    """The abstention model's calibrated probability that the quotes answer (scaled down for a partial
    answer); without one (before the first fit), a blend of coverage and relevance."""
    if draft.confidence is not None:
        return round(draft.confidence * (w.partial if draft.partial else 1.0), 4)
    relevance = float(np.clip(draft.relevance / w.relevance_full, 0.0, 1.0))
    score = w.coverage * draft.coverage + w.relevance * relevance
    return round(score * (w.partial if draft.partial else 1.0) * (w.abstained if draft.abstained else 1.0), 4)
