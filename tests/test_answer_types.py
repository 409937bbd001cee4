"""The answer-type registry: generic example questions, the classifier fitted on them, and how the
assistant reads a question's answer type with it (``ASSISTANT_ANSWER_TYPES``).

The questions here are written for these tests (hotels, rowing clubs, a museum), not taken from an eval set.
"""

from __future__ import annotations

import hashlib
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.assistant import Assistant
from assistant.question.answer_types import (
    NONE,
    answer_type,
    examples,
    examples_text,
    model,
    probabilities,
)
from assistant.question.fit import MIN_PRECISION, pattern_figures
from assistant.retrieve.query import analyse
from assistant.settings import Settings


def test_the_packaged_model_was_fitted_on_the_packaged_examples() -> None:
    digest = hashlib.sha256(examples_text().encode()).hexdigest()
    assert model()["examples_sha256"] == digest, "run python -m assistant.question.fit"
    assert set(model()["types"]) == {label for label, _ in examples()} and NONE in model()["types"]


def test_the_classifier_claims_at_least_as_precisely_and_finds_more_than_the_patterns_alone() -> None:
    fitted = model()["cv"]["at_min_probability"]  # cross-validated, at the packaged least probability
    patterns = pattern_figures(examples())
    assert fitted["precision"] >= max(MIN_PRECISION, patterns["precision"])
    assert fitted["recall"] > patterns["recall"]


def test_analysis_takes_the_answer_type_from_the_reader_it_is_given() -> None:
    seen: list[str] = []

    def reader(text: str) -> str | None:
        seen.append(text)
        return "date"

    q = analyse("If the museum reopens, what will it show first?", set(), lambda _t: 1.0,
                today=date(2026, 11, 23), answer_type=reader)
    assert q.need == "date"
    assert seen == ["what will it show first?"]  # the main clause, without the opening one


@pytest.mark.parametrize(("mode", "pattern_hit", "expected"), [
    ("patterns", False, None), ("model", True, "person"), ("both", True, "number"), ("both", False, "person"),
])
def test_each_mode_reads_the_answer_type_its_own_way(mode: str, pattern_hit: bool, expected: str | None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.assistant as module

    monkeypatch.setattr(module, "pattern_type", lambda _t: "number" if pattern_hit else None)
    monkeypatch.setattr(module, "answer_type", lambda _t, _v: "person")
    fake = SimpleNamespace(settings=Settings(answer_types=mode), _embed_question=lambda _t: np.zeros(3))
    assert Assistant._answer_type(fake, "Anything?") == expected


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [
    ("How many rooms does the hotel have?", "number"),
    ("Who presides over the rowing club?", "person"),
    ("Why did the museum close early?", None),
])
def test_the_packaged_classifier_on_questions_it_was_not_fitted_on(text: str, expected: str | None,
                                                                   embedder) -> None:
    vector = embedder.embed([text])[0]
    assert answer_type(text, vector) == expected
    assert sum(probabilities(text, vector).values()) == pytest.approx(1.0)
