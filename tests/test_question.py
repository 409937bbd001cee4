"""Question analysis without a model: answer types, contrasted words and multi-word names."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.answer_type import role_fits, unnamed
from assistant.retrieve.query import analyse

VOCAB = {"secondment", "apply", "application", "organization", "international", "department", "physical",
         "metrology", "institute", "time"}


def _q(text: str):
    return analyse(text, VOCAB, lambda _t: 1.0, today=date(2026, 11, 23))


@pytest.mark.parametrize("text", [
    "Who can apply for a secondment?", "secondment eligibility", "who is elegible for secondmnets",
    "May I still apply for a secondment?", "Do you have to work at an institute to be seconded?",
    "Qui peut postuler pour un détachement ?",
])
def test_who_may_apply_asks_for_eligibility(text: str) -> None:
    q = _q(text)
    assert q.need == "eligibility"
    assert not {"eligibility", "elegible", "apply"} & set(q.lemmas)
    assert {"application", "welcome"} <= set(q.search_lemmas)


@pytest.mark.parametrize("text", [
    "How do I apply for a secondment?", "Can I apply for a secondment right now?",
    "Can I apply for a secondment this year?", "Who is the Director of the department?",
])
def test_other_questions_about_applying_are_not_eligibility(text: str) -> None:
    assert _q(text).need != "eligibility"


def test_contrasted_words_are_not_required() -> None:
    q = _q("I work for an international organization rather than an NMI. May I apply?")
    keys = {t.lemma for t in q.hard_terms}
    assert "organization" in keys and "nmi" not in keys


def test_multi_word_names_keep_their_head() -> None:
    assert _q("Who works in the Physical Metrology Department?").names == (("Physical", "Metrology", "department"),)
    assert _q("What does the Time Department do?").names == ()


def test_the_verb_after_a_class_noun_is_not_required() -> None:
    q = _q("Which regional metrology organization covers Africa?")
    assert "organization" in q.soft
    assert "cover" not in {t.lemma for t in q.hard_terms}


def test_the_phrase_after_what_ends_at_a_function_word() -> None:
    q = _q("What role does GNSS play for the Time Department?")
    assert not q.soft  # 'GNSS' is what it is about, not the kind of answer wanted
    assert {"gnss", "time", "department"} <= {t.lemma for t in q.hard_terms}


@pytest.mark.parametrize(("text", "key"), [("Which experience is needed?", True), ("What comes after that?", False)])
def test_a_word_after_which_or_what(text: str, key: bool) -> None:
    q = _q(text)
    assert q.terms[0].key is key


def test_prepositions_are_never_focus_terms() -> None:
    assert "per" not in _q("How many person days per year?").lemmas


DEPARTMENT = "Please contact the Department Director, Dr Michael Stock, to discuss the project."
LIAISON = "For more information please contact: Andy Henson, Director of the BIPM's International Liaison Department."


@pytest.mark.parametrize(("question", "text", "fits"), [
    ("Who is the Director of the BIPM?", LIAISON, False),
    ("Who is the Director of the BIPM?", DEPARTMENT, False),
    ("Who is the BIPM's Director?", LIAISON, False),
    ("Who is the director of the Physical Metrology Department?", DEPARTMENT, True),
    ("Who is the director of the Physical Metrology Department?", LIAISON, False),
    ("Who is the director of the department of physical metrology?", DEPARTMENT, True),
    ("Who is the director of the International Liaison Department?", LIAISON, True),
    ("Who should I contact?", LIAISON, True),
])
def test_a_role_must_belong_to_the_organization_asked_about(question: str, text: str, fits: bool) -> None:
    assert role_fits(question, text) is fits


def test_a_statement_before_the_question_is_background() -> None:
    q = _q("I work in the mass lab of our national institute. Could I come to the BIPM on a secondment?")
    keys = {t.lemma for t in q.hard_terms}
    assert "secondment" in keys and not {"lab", "mass"} & keys


def test_either_alternative_may_answer() -> None:
    q = _q("Is it a memorandum of understanding or a formal agreement?")
    assert q.either is not None
    left, right = q.either
    assert "memorandum" in left and "agreement" in right


def test_keyword_queries_keep_every_noun() -> None:
    assert "visa" in {t.lemma for t in _q("secondment visa requirements").hard_terms}


def test_idioms_are_not_terms() -> None:
    assert "place" not in _q("Why are leap seconds inserted in the first place?").lemmas


@pytest.mark.parametrize("text", ["Who should I contact about a secondment?", "ok so who could I talk to later?"])
def test_who_to_contact_asks_for_a_person(text: str) -> None:
    assert _q(text).need == "person"


@pytest.mark.parametrize(("text", "need"), [
    ("What is the uncertainty of the capacitor?", "number"),
    ("Is there money to help with the extra cost of living?", None),
    ("How much does it cost?", "number"),
    ("Who chairs the JCGM?", "person"),
])
def test_answer_types(text: str, need: str | None) -> None:
    assert _q(text).need == need


def test_walk_me_through_asks_for_steps() -> None:
    assert _q("I'd like a secondment. Walk me through what I need to do.").wants_steps


def test_nouns_after_a_verb_and_compound_heads_are_key() -> None:
    keys = {t.lemma for t in _q("Does the BIPM reimburse travel costs for secondees?").hard_terms}
    assert {"travel", "cost"} <= keys
    assert "cover" not in {t.lemma for t in _q("Which organization covers Africa?").hard_terms}


@pytest.mark.parametrize(("text", "need"), [
    ("IAG meaning", "expansion"), ("What does JCGM stand for?", "expansion"),
    ("Whats the mail adress of the director?", "email"),
])
def test_more_answer_types(text: str, need: str) -> None:
    assert _q(text).need == need


def test_numbers_with_thousands_separators_are_one_word() -> None:
    assert "3,550" in _q("Is it about 3,550 person days a year?").lemmas


def test_a_figure_being_checked_is_the_answer_sought() -> None:
    q = _q("The BIPM has around 500 employees, right?")
    assert q.need == "number"
    assert {t.lemma for t in q.hard_terms} == {"bipm", "employee"}
    assert _q("The BIPM has 500 employees.").need is None  # a statement, not a check


@pytest.mark.parametrize(("text", "named"), [
    ("There is a public transport network and the international airports are within easy reach.", False),
    ("The balance reaches a relative standard uncertainty of two parts in one hundred million.", True),
    ("The BIPM Time Department maintains UTC.", True),
    ("The nearest airports are Orly and Roissy.", True),
])
def test_a_class_noun_is_named_or_only_mentioned(text: str, named: bool) -> None:
    from assistant.answer.evidence import Unit

    unit = Unit("d", 0, "sent", text, 0, len(text), "", 0)
    found = unnamed(("airport", "uncertainty", "department"), [unit])
    assert (found is None) is named


@pytest.mark.parametrize(("text", "need"), [
    ("What is his e-mail?", "email"), ("Is the first step just to email my CV?", None),
    ("Michael Stock email", "email"),
])
def test_email_as_a_noun_not_a_verb(text: str, need: str | None) -> None:
    assert _q(text).need == need


def test_statements_after_the_question_are_background_too() -> None:
    q = _q("Which institutes can secondees come from? I work in a designated institute in Brazil.")
    assert "brazil" not in {t.lemma for t in q.hard_terms}


def test_meta_words_are_recognised_in_any_form() -> None:
    assert "kind" not in _q("What different kinds of links does the BIPM have?").lemmas


def test_typo_repair_keeps_every_word_difflib_could_choose() -> None:
    import difflib
    import random

    from assistant.retrieve.query import TYPO_CUTOFF, _spelling, correct

    vocab = {"secondment", "measurement", "thermometry", "kilogram", "committee", "metrology", "définition",
             "allowance", "radiometric", "consultative", "uncertainty", "dissemination", "photometry"}
    rng = random.Random(7)
    for _ in range(300):
        word = list(rng.choice(sorted(vocab)))
        i = rng.randrange(len(word))
        word[i : i + rng.randrange(2)] = rng.choice(["", "e", "é", "mm", "x"])
        token = "".join(word)
        near = [v for v in vocab if abs(len(v) - len(token)) <= 2]
        everything = difflib.get_close_matches(token, near, n=len(near), cutoff=TYPO_CUTOFF)
        assert set(everything) <= set(_spelling(vocab).candidates(token, TYPO_CUTOFF)), token
    assert correct("secondmnet", vocab) == "secondment" and correct("weather", vocab) == "weather"
