"""The BM25 index is saved once per corpus content and tokenizer, and loaded (not rebuilt) afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.retrieve import lexical
from assistant.retrieve.lexical import LexicalIndex

TEXTS = [
    "The kilogram is defined by fixing the numerical value of the Planck constant.",
    "Secondments: applications are welcome from national metrology institutes.",
    "Le mètre est la longueur du trajet parcouru dans le vide par la lumière.",
    "Key comparisons are piloted by one laboratory.",
]
LANGS = ["en", "en", "fr", "en"]


def test_a_saved_index_is_loaded_without_tokenizing_and_answers_the_same(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    built = LexicalIndex(TEXTS, LANGS, cache_dir=tmp_path)
    monkeypatch.setattr(lexical, "content_lemmas", lambda *a: pytest.fail("a saved index must not be rebuilt"))
    loaded = LexicalIndex(TEXTS, LANGS, cache_dir=tmp_path)
    mask = np.array([True, True, False, True])
    for query in (["kilogram", "planck"], ["application", "secondment"], ["metre"]):
        assert loaded.search(query, 3) == built.search(query, 3)
        assert loaded.search(query, 3, mask) == built.search(query, 3, mask)
    assert loaded.vocab == built.vocab and loaded.size == built.size == 4
    assert loaded.idf("kilogram") == built.idf("kilogram") and loaded.idf("zzz") == built.idf("zzz")
    assert built.search(["kilogram"], 2)[0][0] == 0


def test_other_texts_languages_or_tokenizer_are_another_index(monkeypatch: pytest.MonkeyPatch) -> None:
    key = lexical.corpus_key(TEXTS, LANGS)
    assert lexical.corpus_key(TEXTS, LANGS) == key
    assert lexical.corpus_key([*TEXTS[:-1], TEXTS[-1] + "!"], LANGS) != key
    assert lexical.corpus_key(TEXTS, ["en"] * 4) != key
    assert lexical.corpus_key(TEXTS[1:] + TEXTS[:1], LANGS[1:] + LANGS[:1]) != key
    monkeypatch.setattr(lexical, "tokenizer_fingerprint", lambda: "another tokenizer")
    assert lexical.corpus_key(TEXTS, LANGS) != key


def test_only_the_most_recently_used_indexes_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "CACHE_KEEP", 2)
    for i in range(4):
        LexicalIndex([f"{t} {i}" for t in TEXTS], LANGS, cache_dir=tmp_path)
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


def test_an_unwritable_cache_only_costs_a_rebuild(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    index = LexicalIndex(TEXTS, LANGS, cache_dir=blocker)
    assert index.search(["kilogram"], 1)[0][0] == 0
