"""What kind of answer a question asks for, read by a classifier fitted on example questions (opt-in:
``ASSISTANT_ANSWER_TYPES=model|both``; by default the question patterns of `NEEDS` alone decide).

The types (an e-mail address, a phone number, a figure, a date, a duration, the expansion of an acronym, who
may apply, a person's name; ``none`` for every other question) live in one registry: the generic example
questions of ``data/answer_type_examples.tsv``, written for the purpose. A multinomial logistic regression
over the question's MiniLM vector, its hashed character n-grams (`assistant.safety.instructions.features`,
which carry 'how many', 'when', 'combien' across paraphrases) and the question patterns of `NEEDS` as
detectors of surface forms (which one matches) is fitted on them by
``python -m assistant.question.fit``; its weights, cross-validated figures and the least probability at which
a type is claimed (chosen on the folds for a stated precision) live in ``data/answer_type_model.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np

from assistant.retrieve.query import NEEDS, SUBORDINATE_RE, pattern_type
from assistant.safety.instructions import features

EXAMPLES_FILE = "answer_type_examples.tsv"
MODEL_FILE = "answer_type_model.json"
NONE = "none"  # the type of a question that asks for no particular kind of answer
PATTERN_TYPES = tuple(dict.fromkeys(name for name, _ in NEEDS))  # a type with a weaker pattern later is one type


@lru_cache(maxsize=1)
def model() -> dict[str, Any]:
    """The fitted classifier: ``types``, ``coef`` (types × features), ``intercept``, ``min_probability``."""
    return json.loads((files("assistant.data") / MODEL_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _weights() -> tuple[tuple[str, ...], np.ndarray, np.ndarray, float]:
    m = model()
    return (tuple(m["types"]), np.asarray(m["coef"], dtype=np.float32).T,
            np.asarray(m["intercept"], dtype=np.float32), float(m["min_probability"]))


def type_features(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    """The classifier's inputs: each question's MiniLM vector and hashed character n-grams, then which
    question pattern of `NEEDS` matches it (one column per type the patterns name, in `PATTERN_TYPES` order)."""
    found = [pattern_type(t) for t in texts]
    patterns = np.array([[float(f == name) for name in PATTERN_TYPES] for f in found], dtype=np.float32)
    return np.hstack([features(texts, vectors), patterns.reshape(len(texts), len(PATTERN_TYPES))])


def probabilities(text: str, vector: np.ndarray) -> dict[str, float]:
    """Each type's probability for the question ``text`` with its MiniLM ``vector``."""
    types, coef, intercept, _ = _weights()
    logits = type_features([text], np.asarray(vector)[None, :]) @ coef + intercept
    exp = np.exp(logits[0] - logits[0].max())
    return dict(zip(types, (exp / exp.sum()).tolist(), strict=True))


def answer_type(text: str, vector: np.ndarray) -> str | None:
    """The kind of answer ``text`` asks for, or None: its most probable type when that is not ``none`` and
    its probability reaches the fitted ``min_probability``."""
    probs = probabilities(text, vector)
    best = max(probs, key=probs.__getitem__)
    return best if best != NONE and probs[best] >= _weights()[3] else None


def examples_text() -> str:
    """The packaged example file as written (what `examples` parses and the model's ``examples_sha256`` names)."""
    return (files("assistant.data") / EXAMPLES_FILE).read_text(encoding="utf-8")


def examples() -> list[tuple[str, str]]:
    """The labelled example questions (type, question) the classifier is fitted on, each as `analyse` gives
    it to the classifier: its main clause, without an opening 'When …,' or 'If …,' clause."""
    rows = []
    for line in examples_text().splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label.strip(), SUBORDINATE_RE.sub("", text.strip())))
    return rows[1:]  # the first row is the header (type, question)
