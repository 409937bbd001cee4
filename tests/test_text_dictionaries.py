"""simplemma's dictionaries and lemminflect's tables are read from tries built once per machine: the same
lemmas, parts of speech and inflections, no decoding per process."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import simplemma

from assistant import text

WORDS = {
    "en": ["applications", "laboratories", "measured", "was", "kilograms", "better", "secondmnet", "BIPM"],
    "fr": ["mesures", "étalons", "définie", "était", "réunions", "unités", "repoussé", "kilogramme"],
}
PROBE = ("from assistant import text; print(text.dictionary_lemma('mesures', 'fr'), text.is_known('étalons', 'fr'), "
         "sorted(text.english_lemmas('Records')), text.english_inflection('decide', 'VBN'))")
ENGLISH = ["records", "Records", "applies", "left", "better", "data", "metrology", "zzzq", "the", "BIPM", "runs"]


def test_lemmas_and_known_words_are_simplemma_s_own() -> None:
    for lang, words in WORDS.items():
        for word in words:
            assert text.dictionary_lemma(word, lang) == simplemma.lemmatize(word, lang=lang), word
            for other in ("en", "fr"):
                assert text.is_known(word, other) == simplemma.is_known(word, lang=other), (word, other)
    assert text.lemma("Réunions", "fr") == "reunion"


def test_parts_of_speech_are_lemminflect_s_own_table() -> None:
    from lemminflect import config
    from lemminflect.codecs.LemmaLUCodec import LemmaLUCodec
    from lemminflect.core.LexicalUtils import applyCapsStyleToDict, getCapsStyle

    table = LemmaLUCodec.load(config.lemma_lu_fn)
    for word in ENGLISH:
        expected = applyCapsStyleToDict(dict(table.get(word.lower(), {})), getCapsStyle(word))
        assert text.english_lemmas(word) == expected, word
    assert text.english_lemmas("records") == {"NOUN": ("record",), "VERB": ("record",)}


def test_inflections_are_lemminflect_s_own_table() -> None:
    from lemminflect import config
    from lemminflect.codecs.InflectionLUCodec import InflectionLUCodec
    from lemminflect.core.Inflections import Inflections

    assert text.english_inflection("ask", "VBN") == ("asked",)
    assert text.english_inflection("carry", "VBD") == ("carried",)
    assert text.english_inflection("laboratory", "NNS") == ("laboratories",)
    assert text.english_inflection("be", "VBN") == ("been",)  # lemminflect's own hard-coded auxiliaries
    parsed = InflectionLUCodec.load(config.inflection_lu_fn)
    held = Inflections().infl_dict  # what lemminflect now reads: the trie
    assert not isinstance(held, dict) and len(held) == len(parsed)
    for lemma in ("ask", "run", "x-ray", "measure", "datum", "go", "can", "metrology"):
        assert held.get(lemma) == parsed.get(lemma), lemma


def _probe(cache: Path, *prelude: str) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    code = "; ".join([*prelude, PROBE])
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def test_the_tries_are_built_once_in_the_user_cache_then_loaded_without_decoding(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    folder = tmp_path / "bipm-assistant"
    assert (folder / "simplemma" / simplemma.__version__ / "fr.dic").stat().st_size > 100_000
    for table in ("lemma_lu", "inflection_lu"):
        assert (folder / "lemminflect" / version("lemminflect") / f"{table}.marisa").stat().st_size > 100_000
    # A later process must not decode simplemma's dictionary or parse lemminflect's tables again.
    no_decoding = ("import simplemma.strategies.dictionaries.trie_dictionary_factory as t",
                   "t._load_dictionary_from_disk = lambda lang: (_ for _ in ()).throw(AssertionError(lang))",
                   "from lemminflect.codecs.LemmaLUCodec import LemmaLUCodec",
                   "LemmaLUCodec.load = lambda fn: (_ for _ in ()).throw(AssertionError(fn))",
                   "from lemminflect.codecs.InflectionLUCodec import InflectionLUCodec",
                   "InflectionLUCodec.load = lambda fn: (_ for _ in ()).throw(AssertionError(fn))")
    assert _probe(tmp_path, *no_decoding) == first == "mesure True ['NOUN', 'VERB'] ('decided',)"


def test_a_trie_cut_short_is_rebuilt(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    saved = tmp_path / "bipm-assistant" / "lemminflect" / version("lemminflect") / "lemma_lu.marisa"
    saved.write_bytes(saved.read_bytes()[:1000])
    assert _probe(tmp_path) == first
    assert saved.stat().st_size > 100_000
