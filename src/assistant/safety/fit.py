"""Fit the instruction classifier: ``python -m assistant.safety.fit`` → ``data/instruction_model.json``.

Logistic regression over the packaged MiniLM vectors of ``data/instruction_examples.tsv``. The threshold is
the lowest probability at which the cross-validated predictions keep ``MAX_FALSE_POSITIVE_RATE`` of the
ordinary sentences: dropping a real sentence from answers costs more than letting an odd one through to the
grounding checks, which still see it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from assistant.safety.instructions import (
    EXAMPLES_FILE,
    MODEL_FILE,
    examples,
    features,
    has_surface_form,
)

FOLDS = 5
REGULARISATION = 3.0  # sklearn's C
MAX_FALSE_POSITIVE_RATE = 0.01


def fit(out: Path) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from assistant.index.embedder import MODEL_NAME, MiniLMEmbedder

    rows = examples()
    y = np.array([label for label, _ in rows])
    texts = [text for _, text in rows]
    x = features(texts, MiniLMEmbedder("fp32").embed(texts))
    clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    cv = cross_val_predict(clf, x, y, cv=folds, method="predict_proba")[:, 1]
    surface = np.array([float(has_surface_form(t)) for t in texts])
    threshold = _threshold(cv, y)
    clf.fit(x, y)
    result = {
        "what": "P(instruction) = sigmoid(features · coef + intercept), flagged when >= threshold; features = "
                "MiniLM vector then hashed character n-grams (assistant.safety.instructions.features)",
        "embedding_model": MODEL_NAME, "fitted_on": EXAMPLES_FILE, "examples": len(rows),
        "positives": int(y.sum()), "fitted": date.today().isoformat(),
        "cv": {"folds": FOLDS, "classifier": _figures(cv, y, threshold),
               "with_surface_forms": _figures(np.maximum(cv, surface), y, threshold)},
        "threshold": threshold, "intercept": float(clf.intercept_[0]),
        "coef": [round(float(c), 6) for c in clf.coef_[0]],
    }
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def _threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The lowest cut that keeps the false-positive rate of the ordinary sentences at most the allowed one."""
    negatives = np.sort(probs[y == 0])
    allowed = int(MAX_FALSE_POSITIVE_RATE * len(negatives))
    cut = negatives[len(negatives) - 1 - allowed]
    return round(float(max(cut + 1e-3, 0.5)), 4)


def _figures(probs: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    pred = probs >= threshold
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    return {"recall": round(tp / max(int(y.sum()), 1), 3), "false_positives": fp,
            "precision": round(tp / max(tp + fp, 1), 3)}


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "data" / MODEL_FILE
    summary = fit(target)
    print(f"wrote {target}: threshold {summary['threshold']}, cross-validated {summary['cv']}")
