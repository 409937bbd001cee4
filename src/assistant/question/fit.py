"""Fit the answer-type classifier: ``python -m assistant.question.fit`` → ``data/answer_type_model.json``.

Multinomial logistic regression over the packaged MiniLM vectors (fp32), hashed character n-grams and the
matching question pattern of the example questions of ``data/answer_type_examples.tsv`` (`type_features`),
cross-validated in stratified folds. A type is
claimed only at or above ``min_probability``: the lowest cut at which the cross-validated claims (a type other
than ``none``) are right at least ``MIN_PRECISION`` of the time, since a wrongly claimed type makes the
answerer refuse good quotes that hold no date or figure, while a missed one leaves the ordinary checks.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

from assistant.question.answer_types import (
    EXAMPLES_FILE,
    MODEL_FILE,
    NONE,
    examples,
    examples_text,
    type_features,
)
from assistant.retrieve.query import pattern_type

FOLDS = 5
# sklearn's C: grouped 5-fold accuracy on the examples 0.743 / 0.776 / 0.795 / 0.791 for C = 1 / 3 / 10 / 30.
REGULARISATION = 10.0
# The question patterns alone claim a type with precision 0.888 on the same examples (recall 0.597,
# `pattern_figures`): the classifier must claim at least as precisely.
MIN_PRECISION = 0.9
CUTS = np.round(np.arange(0.30, 0.96, 0.05), 2)  # candidate least probabilities, searched from the lowest


def fit(out: Path) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from assistant.index.embedder import MODEL_NAME, MiniLMEmbedder

    rows = examples()
    labels = [label for label, _ in rows]
    texts = [text for _, text in rows]
    x = type_features(texts, MiniLMEmbedder("fp32").embed(texts))
    clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    cv = cross_val_predict(clf, x, labels, cv=folds, method="predict_proba")
    clf.fit(x, labels)
    types = [str(t) for t in clf.classes_]
    cut = next((float(c) for c in CUTS if _figures(cv, labels, types, float(c))["precision"] >= MIN_PRECISION),
               float(CUTS[-1]))
    result = {
        "what": "P(type) = softmax(features · coef^T + intercept); the best type other than 'none' is claimed "
                "when P >= min_probability; features = MiniLM vector, hashed character n-grams "
                "(assistant.safety.instructions.features), the matching question pattern "
                "(assistant.question.answer_types.type_features)",
        "embedding_model": MODEL_NAME, "fitted_on": EXAMPLES_FILE, "examples_sha256": hashlib.sha256(examples_text().encode()).hexdigest(),
        "examples": dict(sorted(Counter(labels).items())), "fitted": date.today().isoformat(),
        "cv": {"folds": FOLDS, "min_precision": MIN_PRECISION, "at_min_probability": _figures(cv, labels, types, cut),
               "patterns_alone": pattern_figures(rows),
               "curve": {str(c): _figures(cv, labels, types, float(c)) for c in CUTS}},
        "min_probability": cut, "types": types,
        "intercept": [round(float(b), 6) for b in clf.intercept_],
        "coef": [[round(float(w), 6) for w in row] for row in clf.coef_],
    }
    out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return result


def pattern_figures(rows: list[tuple[str, str]]) -> dict[str, float]:
    """The same figures for the question patterns alone (`pattern_type`) on the examples: what the
    classifier must do better than."""
    types = sorted({label for label, _ in rows})
    found = [pattern_type(text) or NONE for _, text in rows]
    probs = np.array([[float(f == t) for t in types] for f in found])
    return _figures(probs, [label for label, _ in rows], types, 1.0)


def _figures(probs: np.ndarray, labels: list[str], types: list[str], cut: float) -> dict[str, float]:
    """Claims at ``cut``: their precision, the share of typed questions claimed right (recall), and the
    share of all questions classified right (a question below the cut counts as ``none``)."""
    best = probs.argmax(axis=1)
    predicted = [types[b] if types[b] != NONE and probs[i, b] >= cut else NONE for i, b in enumerate(best)]
    claims = [(p, y) for p, y in zip(predicted, labels, strict=True) if p != NONE]
    typed = sum(y != NONE for y in labels)
    right = sum(p == y for p, y in claims)
    return {"precision": round(right / max(len(claims), 1), 3), "recall": round(right / max(typed, 1), 3),
            "accuracy": round(sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels), 3)}


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "data" / MODEL_FILE
    summary = fit(target)
    print(f"wrote {target}: min_probability {summary['min_probability']}, "
          f"cross-validated {summary['cv']['at_min_probability']}")
