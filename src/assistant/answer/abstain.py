"""Abstention as one calibrated probability that the chosen quotes answer the question.

The answerer records named signals on its draft (coverage of the question's terms by the leading quote,
whether a follow-up's referent is there, whether a 'which X' quote names an X, how strong the evidence
scored, …). A logistic model fitted by `python -m evals.fit --model abstain` turns them into a probability;
the threshold is the one chosen on the training folds (stored with the model), never typed here.
"""

from __future__ import annotations

from assistant.answer.draft import Draft
from assistant.fitted import LinearModel

ABSTAIN_FEATURES = (
    "coverage", "missing_share", "missing_weight", "key_terms", "list_answer", "rule_coverage", "rule_missing",
    "context_fail", "unnamed", "primary_score", "best_score", "primary_dense", "best_dense", "best_passage",
    "need_asked", "need_met",
)


def signal_row(draft: Draft, names: tuple[str, ...]) -> list[float]:
    return [float(draft.signals.get(n, 0.0)) for n in names]


def probability(draft: Draft, model: LinearModel) -> float:
    import numpy as np

    return float(model.probability(np.array([signal_row(draft, model.features)]))[0])


def with_confidence(draft: Draft, model: LinearModel) -> Draft:
    """The draft with the model's probability recorded (its abstention left as the rules decided)."""
    if draft.blocks:
        draft.confidence = probability(draft, model)
    return draft


def decide(draft: Draft, model: LinearModel) -> Draft:
    """Answer when the model's probability reaches its fitted threshold; a draft with nothing to quote
    stays abstained. The rules' reason and missing words are kept for the wording of an abstention."""
    if not draft.blocks:
        return draft
    draft.confidence = probability(draft, model)
    answer = draft.confidence >= float(model.meta["threshold"])
    if answer and draft.abstained:
        draft.abstained, draft.reason, draft.missing = False, "", []
    elif not answer and not draft.abstained:
        draft.abstained, draft.reason = True, "low_confidence"
    return draft
