"""Answer-unit vectors composed from each unit's text and its section heading (assistant.index.compose)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.evidence import Unit
from assistant.index import compose

DIM = 8


def unit(index: int, text: str, section: str) -> Unit:
    return Unit("d", index, "sent", text, 0, len(text), section, 0)


UNITS = [
    unit(0, "Applicants write to the director.", "How to apply"),
    unit(1, "The stay lasts three months.", "How to apply"),
    unit(2, "Applicants write to the director.", "Other heading"),  # same text under another heading
    unit(3, "A sentence before any heading.", ""),
]


class Counting:
    """A deterministic embedder that records every text it is given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        rows = [np.random.default_rng(sum(map(ord, t))).standard_normal(DIM) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)


def test_each_distinct_text_and_heading_is_embedded_once() -> None:
    embed = Counting()
    compose.unit_matrix(UNITS, embed, DIM)
    assert sorted(embed.seen) == sorted(set(embed.seen))
    assert set(embed.seen) == {u.text for u in UNITS} | {"How to apply", "Other heading"}


def test_a_unit_vector_is_its_text_plus_the_weighted_heading_normalized() -> None:
    embed = Counting()
    m = compose.unit_matrix(UNITS, embed, DIM, weight=0.5)
    text, head = embed([UNITS[0].text, UNITS[0].section])
    expected = (text + 0.5 * head) / np.linalg.norm(text + 0.5 * head)
    assert np.allclose(m[0], expected, atol=1e-6)
    assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-6)
    assert np.allclose(m[3], embed([UNITS[3].text])[0], atol=1e-6)  # no heading: the text's own vector
    assert not np.allclose(m[0], m[2])  # the heading tells two copies of a sentence apart


def test_weight_zero_gives_the_bare_text_vectors() -> None:
    embed = Counting()
    m = compose.unit_matrix(UNITS, embed, DIM, weight=0.0)
    assert np.allclose(m, embed([u.text for u in UNITS]), atol=1e-6)


def test_no_units_embed_nothing() -> None:
    embed = Counting()
    assert compose.unit_matrix([], embed, DIM).shape == (0, DIM)
    assert embed.seen == []


def test_the_digest_names_units_sections_recipe_and_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = compose.units_digest(UNITS)
    assert digest == compose.units_digest(list(UNITS))
    assert digest != compose.units_digest(UNITS[:3])
    moved = [UNITS[0], UNITS[1], unit(2, UNITS[2].text, "How to apply"), UNITS[3]]
    assert digest != compose.units_digest(moved)  # same texts, another heading: other vectors
    monkeypatch.setattr(compose, "section_weight", lambda: 0.25)
    assert digest != compose.units_digest(UNITS)  # a refitted weight invalidates stored vectors


def test_the_packaged_weight_is_fitted_and_in_range() -> None:
    assert 0.0 <= compose.section_weight() <= 2.0


def test_the_packaged_weight_beats_embedding_the_heading_into_every_unit_on_held_out_folds() -> None:
    """compose.json's own figures: the cross-validated unit ranking is at least the "section: text" baseline's,
    and the file records what it was fitted on."""
    import json
    from importlib import resources

    meta = json.loads((resources.files("assistant.data") / "compose.json").read_text(encoding="utf-8"))["meta"]
    cv, baseline = meta["cv"], meta["fit"]["baseline"]
    assert cv["hit_at_1"] + cv["hit_at_3"] >= baseline["hit_at_1"] + baseline["hit_at_3"]
    assert meta["fit"]["questions"] >= 500 and set(meta["sets"]) >= {"gold", "holdout", "dev"}
