"""The French→English glossary used for query translation: well formed, and reachable through simplemma lemmas."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files

import pytest
import simplemma

from assistant.retrieve.translate import to_english
from assistant.text import words

HEADER = "fr\ten"
# Simple inflections under which simplemma maps a form onto an unreduced key ('payées' -> 'payé').
ENDINGS = ("s", "e", "es", "x")


@cache
def glossary() -> dict[str, list[str]]:
    """French key -> English equivalents, read straight from the packaged TSV."""
    lines = (files("assistant.data") / "fr_en.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    table: dict[str, list[str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        columns = line.split("\t")
        assert len(columns) == 2, f"line {number}: {line!r}"
        assert columns[0] not in table, f"line {number}: duplicate key {columns[0]!r}"
        table[columns[0]] = columns[1].split("|")
    return table


def lemma(word: str) -> str:
    return simplemma.lemmatize(word.lower(), lang="fr")


def lemmas(text: str) -> tuple[str, ...]:
    """Lemma sequence of a French text, tokenized as questions are."""
    return tuple(lemma(w) for w in words(text))


def is_phrase(key: str) -> bool:
    return words(key) != [key]


def test_file_has_many_entries():
    assert len(glossary()) >= 600


def test_keys_are_trimmed_lower_case_nfc():
    for key in glossary():
        assert key and key == key.strip() == key.lower(), key
        assert unicodedata.is_normalized("NFC", key), key
        assert "  " not in key, key


def test_every_entry_has_distinct_non_empty_lower_case_equivalents():
    for key, english in glossary().items():
        assert all(e and e == e.strip() == e.lower() for e in english), key
        assert len(set(english)) == len(english), key


@pytest.mark.parametrize(
    "form",
    [
        "détachées",
        "postulé",
        "indemnités",
        "langues",
        "organisations",
        "versée",
        "trouve",
        "payées",
        "logés",
        "fournis",
        "exigées",
        "candidatures",
        "étalons",
        "horloges",
        "comités",
        "laboratoires",
        "mesures",
        "salaires",
        "secondes",
        "années",
        "dernière",
        "prochaine",
    ],
)
def test_inflected_form_lemmatizes_onto_a_key(form: str):
    assert lemma(form) in glossary(), f"{form} -> {lemma(form)}"


@pytest.mark.parametrize(
    ("key", "first"),
    [
        ("détachement", "secondment"),
        ("personne détachée", "secondee"),
        ("qui", "who"),
        ("où", "where"),
        ("combien", "how many"),
        ("logement", "accommodation"),
        ("stage", "internship"),
        ("indemnité", "allowance"),
        ("étalon", "standard"),
        ("seconde intercalaire", "leap second"),
        ("protocole d'accord", "memorandum of understanding"),
        ("comité mixte", "joint committee"),
        ("convention du mètre", "metre convention"),
        ("état membre", "member state"),
    ],
)
def test_most_common_equivalent_comes_first(key: str, first: str):
    assert glossary()[key][0] == first


@pytest.mark.parametrize(
    ("key", "also"),
    [
        ("offre", "vacancy"),
        ("combien", "how much"),
        ("trouver", "located"),
        ("frais", "costs"),
        ("condition", "terms"),
        ("détaché", "secondee"),
        ("heure", "hour"),
    ],
)
def test_ambiguous_word_keeps_its_other_senses(key: str, also: str):
    assert also in glossary()[key]


def test_single_word_keys_are_simplemma_outputs():
    """A one-word key is a lemma, or what simplemma returns for a plain inflection of it."""
    for key in filter(lambda k: not is_phrase(k), glossary()):
        if lemma(key) == key:
            continue
        bare = unicodedata.normalize("NFD", key[-1])[0]
        stems = (key, key[:-1] + bare)
        reached = {lemma(stem + end) for stem in stems for end in ENDINGS}
        assert key in reached, f"no inflection of {key!r} lemmatizes to it"


def test_phrases_stay_distinct_once_lemmatized():
    seen: dict[tuple[str, ...], str] = {}
    for key in filter(is_phrase, glossary()):
        normal = lemmas(key)
        assert len(normal) >= 2, key
        assert normal not in seen, f"{key!r} and {seen.get(normal)!r} lemmatize alike"
        seen[normal] = key


@pytest.mark.parametrize(
    ("phrase", "key"),
    [
        ("personnes détachées", "personne détachée"),
        ("États membres", "état membre"),
        ("protocoles d'accord", "protocole d'accord"),
        ("se trouvent", "se trouver"),
        ("comités mixtes", "comité mixte"),
        ("groupes de travail", "groupe de travail"),
        ("comparaisons clés", "comparaison clé"),
        ("organisations internationales", "organisation internationale"),
        ("horloges atomiques", "horloge atomique"),
        ("frais de voyage", "frais de voyage"),
        ("années prochaines", "année prochaine"),
    ],
)
def test_inflected_phrase_lemmatizes_like_its_key(phrase: str, key: str):
    assert key in glossary()
    assert lemmas(phrase) == lemmas(key)


@pytest.mark.parametrize(("french", "english"), [
    ("Puis-je faire une demande de bourse ?", "apply"),  # the idiom, not 'make a request'
    ("Dans quel délai faut-il répondre ?", "long"),  # 'within what time': a duration, not a deadline
    ("Quelle formation est demandée aux candidats ?", "asked"),
    ("Quelles sont les organisations liées au BIPM ?", "linked"),
    ("Quels comités ?", "committees"),
])
def test_participles_and_plurals_survive_translation(french: str, english: str) -> None:
    assert english in words(to_english(french))


def test_sentences_keep_their_end_marks() -> None:
    english = to_english("Je travaille en Belgique. Est-ce que je peux postuler ?")
    assert english.count(".") == 1 and english.endswith("?")


def test_an_opening_when_clause_keeps_its_comma_so_the_question_after_it_decides_the_type() -> None:
    from assistant.retrieve.query import analyse

    english = to_english("Quand le musée ferme ses salles, comment les visiteurs sont-ils prévenus ?")
    assert english.startswith("when") and ", how" in english
    assert analyse(english, set(), lambda _t: 1.0).need is None  # asks how, not when
    assert "," not in to_english("Quand le musée ferme-t-il ses salles ?")


def test_an_opening_clause_with_commas_of_its_own_ends_before_the_question_word() -> None:
    from assistant.retrieve.query import analyse

    english = to_english("Lorsque le musée prête la lampe, le vase et le tableau, quels gadgets garde-t-il ?")
    assert english.startswith("when") and ", which" in english
    assert analyse(english, set(), lambda _t: 1.0).need is None  # asks which, not when


def test_que_opening_a_question_asks_what() -> None:
    from assistant.retrieve.query import analyse

    assert to_english("Que faut-il ajouter au gadget ?").startswith("what")
    english = to_english("Quand le musée ferme ses salles, qu'est-il advenu des gadgets ?")
    assert ", what" in english and analyse(english, set(), lambda _t: 1.0).need is None


def test_french_acronyms_of_international_bodies_become_english() -> None:
    assert "ITU" in words(to_english("Le BIPM est-il membre de l'UIT ?"))
    assert "WHO" in words(to_english("Un protocole d'accord avec l'OMS ?"))
    # A sector or part named after the body's acronym keeps its suffix: 'UIT-T' is 'ITU-T'.
    assert "ITU-T" in words(to_english("Le BIPM participe-t-il aux travaux de l'UIT-T ?"))


@pytest.mark.parametrize(("french", "english", "absent"), [
    ("Quel outil le musée a-t-il décidé d'utiliser ?", "to use", "of use"),  # an infinitive after 'de'
    ("Le musée juge-t-il utile de continuer ?", "consider", "juge"),  # the verb before '-t-il'
    ("Que dit le guide au sujet des billets ?", "about the", "subject"),  # a prepositional idiom
    ("Que paie-t-on au titre de l'année ?", "for", "title"),
])
def test_verbs_and_idioms_are_rendered_as_such(french: str, english: str, absent: str) -> None:
    rendered = to_english(french)
    assert english in rendered and absent not in rendered, rendered


def test_a_french_function_word_translates_to_an_english_function_word() -> None:
    # A stop word rendered as a content word ('se' as 'oneself') would become a term every quote must hold.
    from assistant.text import FR_STOP, is_stop

    for key, equivalents in glossary().items():
        if key in FR_STOP:
            assert all(is_stop(w) for w in equivalents[0].split()), (key, equivalents)
