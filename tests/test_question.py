"""Question analysis without a model: answer types, contrasted words and multi-word names.

The questions are generic ones written for these tests (fellowships, museums, an Optics Division), not
questions of the eval sets: they test the mechanism, not one eval question's outcome.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.answer_type import NEED_PATTERNS, counted, has_need, role_fits, unnamed
from assistant.retrieve.query import (
    Term,
    _demote_do_support_verb,
    analyse,
    french_adverb,
    french_verb_form,
    is_key,
)
from assistant.retrieve.translate import to_english
from assistant.text import words

VOCAB = {"fellowship", "apply", "application", "organization", "international", "department", "applied",
         "optics", "institute", "survey"}


def _q(text: str):
    return analyse(text, VOCAB, lambda _t: 1.0, today=date(2026, 11, 23))


@pytest.mark.parametrize("text", [
    "Who can apply for a fellowship?", "fellowship eligibility", "who is elegible for fellowhsips",
    "May I still apply for a fellowship?", "Do you have to work at a university to be seconded?",
    "Qui peut postuler pour une bourse ?",
])
def test_who_may_apply_asks_for_eligibility(text: str) -> None:
    q = _q(text)
    assert q.need == "eligibility"
    assert not {"eligibility", "elegible", "apply"} & set(q.lemmas)
    assert {"application", "welcome"} <= set(q.search_lemmas)


@pytest.mark.parametrize("text", [
    "How do I apply for a fellowship?", "Can I apply for a fellowship right now?",
    "Can I apply for a fellowship this year?", "Who is the Director of the museum?",
])
def test_other_questions_about_applying_are_not_eligibility(text: str) -> None:
    assert _q(text).need != "eligibility"


def test_contrasted_words_are_not_required() -> None:
    q = _q("I work for an international organization rather than a university. May I apply?")
    keys = {t.lemma for t in q.hard_terms}
    assert "organization" in keys and "university" not in keys


@pytest.mark.parametrize(("text", "kept", "dropped"), [
    # 'Besides X, …' asks for something other than X: a quote need not name X (and rarely does)
    ("Besides the survey, which tools does the department use?", {"tools"}, {"survey"}),
    ("Apart from the survey, which tools does the department use?", {"tools"}, {"survey"}),
    ("En dehors de l'enquête, quels outils le département utilise-t-il ?", {"outils"}, {"enquête", "dehors"}),
    # an example illustrates the rule asked about; the quote that states the rule need not repeat it
    ("May widget sizes be rounded to whole numbers, e.g. 4.5 to 5?", {"widget"}, {"4.5", "5"}),
    ("May widget sizes be rounded, for example a gizmo to its nearest fathom?", {"widget"}, {"gizmo", "fathom"}),
    ("Peut-on arrondir la taille des gadgets, par exemple un bidule à la brasse ?", {"gadgets"},
     {"bidule", "brasse"}),
    # 'like X' and 'such as X' name one example, and only that noun
    ("Can widget sizes like the furlong be printed in tables?", {"widget", "tables"}, {"furlong"}),
    ("Do councils such as the GCC keep widget registers?", {"councils", "widget"}, {"gcc"}),
])
def test_words_set_aside_or_given_as_examples_are_not_required(text: str, kept: set[str], dropped: set[str]) -> None:
    keys = {t.word.lower() for t in _q(text).terms if t.key}
    assert kept <= keys and not keys & dropped


def test_a_question_opening_with_for_instance_keeps_its_words() -> None:
    """'For instance what is …?' gives no example: its words are the question's own."""
    assert {"widget", "tariff"} <= {t.word for t in _q("For instance what is the widget tariff?").terms if t.key}


def test_multi_word_names_keep_their_head() -> None:
    assert _q("Who works in the Applied Optics Department?").names == (("Applied", "Optics", "department"),)
    assert _q("What does the Survey Department do?").names == ()


def test_the_verb_after_a_class_noun_is_not_required() -> None:
    q = _q("Which regional standards organization covers Oceania?")
    assert "organization" in q.soft
    assert "cover" not in {t.lemma for t in q.hard_terms}


def test_a_partitive_which_of_names_the_class_after_it() -> None:
    q = _q("Which of its gadgets did the workshop repair first?")
    assert "gadget" in q.soft and q.wants_list
    assert "gadget" not in {t.lemma for t in q.hard_terms}


def test_the_phrase_after_what_ends_at_a_function_word() -> None:
    q = _q("What role does LIDAR play for the Survey Department?")
    assert not q.soft  # 'LIDAR' is what it is about, not the kind of answer wanted
    assert {"lidar", "survey", "department"} <= {t.lemma for t in q.hard_terms}


@pytest.mark.parametrize(("text", "key"), [("Which experience is needed?", True), ("What comes after that?", False)])
def test_a_word_after_which_or_what(text: str, key: bool) -> None:
    q = _q(text)
    assert q.terms[0].key is key


def test_prepositions_are_never_focus_terms() -> None:
    assert "per" not in _q("How many visitors per year?").lemmas


DIVISION = "Please contact the Division Director, Dr Jane Roe, to discuss the visit."
RELATIONS = "For more information please contact: Ann Smith, Director of the Institute's External Relations Division."


@pytest.mark.parametrize(("question", "text", "fits"), [
    ("Who is the Director of the Institute?", RELATIONS, False),
    ("Who is the Director of the Institute?", DIVISION, False),
    ("Who is the Institute's Director?", RELATIONS, False),
    ("Who is the director of the Applied Optics Division?", DIVISION, True),
    ("Who is the director of the Applied Optics Division?", RELATIONS, False),
    ("Who is the director of the division of applied optics?", DIVISION, True),
    ("Who is the director of the External Relations Division?", RELATIONS, True),
    ("Who should I contact?", RELATIONS, True),
    # the owner named after the role ends where the question's verb begins
    ("When did Dr Roe's time as Director of the Applied Optics Division begin?", DIVISION, True),
    ("Since when has the Director of the External Relations Division been elected?", RELATIONS, True),
    ("Since when has the Director of the Applied Optics Division been elected?", RELATIONS, False),
])
def test_a_role_must_belong_to_the_organization_asked_about(question: str, text: str, fits: bool) -> None:
    assert role_fits(question, text) is fits


def test_a_statement_before_the_question_is_background() -> None:
    q = _q("I work in the chemistry lab of our university. Could I come to the institute on a fellowship?")
    keys = {t.lemma for t in q.hard_terms}
    assert "fellowship" in keys and not {"lab", "chemistry"} & keys


@pytest.mark.parametrize(("text", "kind"), [
    ("What kind of varnish does the gadget guide recommend?", "varnish"),
    ("Quel genre de vernis le guide des gadgets recommande-t-il ?", "vernis"),
])
def test_the_noun_naming_a_kind_asked_for_is_not_required(text: str, kind: str) -> None:
    # the answer describes one of that kind ('a quick-drying lacquer'), seldom in the noun itself
    q = _q(text)
    assert kind not in {t.lemma for t in q.terms if t.key}
    assert "gadget" in {t.lemma for t in q.terms if t.key}


def test_either_alternative_may_answer() -> None:
    q = _q("Is it a lease or a purchase agreement?")
    assert q.either is not None
    left, right = q.either
    assert "lease" in left and "agreement" in right


def test_keyword_queries_keep_every_noun() -> None:
    assert "visa" in {t.lemma for t in _q("fellowship visa requirements").hard_terms}


def test_idioms_are_not_terms() -> None:
    assert "place" not in _q("Why are bridges painted red in the first place?").lemmas


@pytest.mark.parametrize(("text", "idiom", "kept"), [
    ("In which town did the gadget fair take place?", "place", "fair"),
    ("Was the widget auction held in person?", "person", "auction"),
    ("Which office carries out the bridge survey?", "carry", "survey"),
    ("Who signed the charter in the capacity of treasurer?", "capacity", "treasurer"),
    ("Is the paint rule in line with the gadget code?", "line", "code"),
    ("Quelles couleurs le comité a-t-il alors choisies pour les widgets ?", "alors", "couleur"),
    ("Quels widgets le comité a-t-il vendus malgré le budget ?", "malgre", "budget"),
    ("Qu'a décidé le comité en matière de peinture des widgets ?", "matiere", "peinture"),
    ("Qui est à la tête du comité des widgets ?", "tete", "comite"),
    ("Faute de budget, quels widgets le comité a-t-il vendus ?", "faute", "budget"),
])
def test_set_phrases_and_function_words_are_not_terms(text: str, idiom: str, kept: str) -> None:
    """A set phrase's noun or verb ('took place', 'in person', 'carry out', 'en matière de', 'faute de') and a
    French adverb or preposition ('alors', 'malgré') are ways of saying, not something the documents must mention;
    the nouns around them still are."""
    lemmas = _q(text).lemmas
    assert idiom not in lemmas and kept in lemmas


@pytest.mark.parametrize(("french", "english"), [
    ("Qui est à la tête du comité des widgets ?", "in charge of"),
    ("Faute de budget, quels widgets le comité a-t-il vendus ?", "without"),
    ("Quels défauts le contrôle des widgets a-t-il mis en évidence ?", "show"),
])
def test_french_set_phrases_are_translated_as_phrases(french: str, english: str) -> None:
    assert english in to_english(french)


@pytest.mark.parametrize("text", ["Who should I contact about a library card?", "fine, who could I write to afterwards?"])
def test_who_to_contact_asks_for_a_person(text: str) -> None:
    assert _q(text).need == "person"


def test_who_holds_a_role_asks_for_one_person_whatever_the_plurals() -> None:
    # The plural nouns name the body, not the answer: one person convened it.
    assert _q("Who convened the task force on gadget exports and widget repairs?").need == "person"
    assert _q("Who are the gadget inspectors?").need is None  # a list of people


@pytest.mark.parametrize(("text", "need"), [
    ("What is the uncertainty of the thermometer?", "number"),
    # one word may qualify the asked quantity ('the measured weight', 'the yearly fee')
    ("What was the measured weight of the widget?", "number"), ("What was the yearly fee?", "number"),
    ("What is the gadget's purpose?", None),
    ("And what's the exact weight of the widget?", "number"), ("What’s the fee?", "number"),  # contracted
    ("Is there money to help with the cost of childcare?", None),
    ("How much does it cost?", "number"),
    ("Who chairs the steering committee?", "person"),
    ("Which person chaired the steering committee in 2019?", "person"),
])
def test_answer_types(text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize(("need", "text", "holds"), [
    ("person", "The Optics Division: Dr J.-K. Roe.", True),  # a title, then initials
    ("person", "It agreed that the institute will continue.", False),
    ("duration", "The visit was expected to last two full days.", True),
    ("duration", "The visit lasted 3 weeks.", True),
    ("duration", "On a given day the visit starts.", False),  # 'a' counts no span of time
    ("duration", "In 1960 the year began.", False),  # nor a year before another word
    ("duration", "Curing the varnish takes days to weeks.", True),  # a span between two units
    ("duration", "Prices are listed per day or in euros.", False),
])
def test_what_a_text_holds_of_the_kind_asked(need: str, text: str, holds: bool) -> None:
    assert bool(NEED_PATTERNS[need].search(text)) is holds


def test_walk_me_through_asks_for_steps() -> None:
    assert _q("I'd like a library card. Walk me through what I need to do.").wants_steps


def test_nouns_after_a_verb_and_compound_heads_are_key() -> None:
    keys = {t.lemma for t in _q("Does the museum reimburse travel costs for volunteers?").hard_terms}
    assert {"travel", "cost"} <= keys
    assert "cover" not in {t.lemma for t in _q("Which organization covers Oceania?").hard_terms}


def test_a_topic_or_title_asked_for_is_the_answer_not_a_word_to_find() -> None:
    # 'the topic of Resolution 2' is answered by the resolution's heading, which names its topic without the word
    lemmas = {t.lemma for t in _q("What was the topic of the gadget board's resolution 2 from 2010?").terms}
    assert "topic" not in lemmas and {"gadget", "resolution"} <= lemmas
    assert "title" not in {t.lemma for t in _q("Gadget board 2005, resolution 1: title?").terms}


def test_a_word_about_the_asking_written_as_a_name_is_a_term() -> None:
    # 'state' asks what a text says; 'States' inside a sentence names countries, which the quote must name.
    key = {t.lemma for t in _q("How many States signed the gadget treaty?").terms if t.key}
    assert "state" in key and "gadget" in key
    assert "state" not in {t.lemma for t in _q("What does the gadget charter state about fees?").terms}
    # A capital that opens a sentence says nothing: the statement before the question has its own opener.
    assert "according" not in {t.word.lower() for t in _q("Our lab is new. According to the board, may we join?").terms}


def test_a_list_something_was_added_to_is_not_a_list_asked_for() -> None:
    assert not _q("When the board added the red gadget to its approved gadget list, what price was set?").wants_list
    assert _q("What is on the approved gadget list?").wants_list
    assert _q("List the gadgets the board approved.").wants_list


def test_the_number_of_a_word_about_the_asking_is_no_term() -> None:
    # 'page number' asks for the page ('p. 12' names no number); the number of a thing is still one.
    assert "number" not in {t.lemma for t in _q("Quoting the gadget rule, which page number goes in the citation?").terms}
    assert "number" in {t.lemma for t in _q("What serial number should the gadget carry?").terms}


@pytest.mark.parametrize(("text", "head"), [
    ("Which law firm drafted the gadget contract?", "firm"),  # 'firm' can be a verb or an adjective too
    ("Which national gadget institute hosted the fair?", "institute"),
    ("Which gadget institutes currently lend experts to the fair?", "institute"),
    ("Which organization covers Oceania?", "organization"),  # 'covers' is the verb: not the head
    ("Which time scales does the office publish?", "scale"),
])
def test_the_noun_right_before_the_verb_heads_a_which_phrase(text: str, head: str) -> None:
    q = _q(text)
    assert head in q.soft and any(t.lemma == head and t.key for t in q.terms)


def test_a_preposition_is_not_a_key_term() -> None:
    keys = {t.lemma for t in _q("Which coating stays on gadgets despite washing, via the standard rinse?").hard_terms}
    assert not keys & {"despite", "via"} and "rinse" in keys
    # nor one that can also be a noun or an adjective: 'behind', 'outside', 'within'
    keys = {t.lemma for t in _q("What is the theory behind gadgets made outside the workshop within a week?").hard_terms}
    assert not keys & {"behind", "outside", "within"} and {"theory", "gadget", "workshop"} <= keys


def test_a_verb_before_a_question_word_is_not_a_key_noun() -> None:
    keys = {t.lemma for t in _q("Quick check: a bushel equals how many pecks?").hard_terms}
    assert "equal" not in keys and {"bushel", "peck"} <= keys


@pytest.mark.parametrize(("text", "need"), [
    ("OECD meaning", "expansion"), ("What does IUPAC stand for?", "expansion"),
    # the date named as what is asked, in English and as French reads in English
    ("What was the date of the gadget fair?", "date"), ("which be the date of the gadget fair?", "date"),
    ("What was the date format on the gadget form?", None),
    ("A gadget rests for what period of time?", "duration"),
    # a reason is asked, whatever kind of answer the words name
    ("Why is the abbreviation ab confusing?", None), ("Pourquoi la date de la foire a-t-elle changé ?", None),
    ("According to the gadget report, why can the value of a gadget differ?", None),
    # the word for an acronym yields to an asking word; alone, it asks for the expansion
    ("In which year was the abbreviation of the gadget unit adopted?", "date"),
    ("How many acronyms does the gadget glossary list?", "number"), ("The acronym GDU?", "expansion"),
    ("Whats the mail adress of the librarian?", "email"),
    ("What is the OECD?", "expansion"), ("what's UNIDO", "expansion"),  # a bare acronym asked about
    ("Who was president of the museum board in 2001?", "person"),  # a role without an article
    ("Who was there in 2001?", None),
    # the question proper after a statement and a dash
    ("The museum has a new wing — who is the curator running it?", "person"),
    # not a bare acronym: the budget is asked, a figure (not the acronym's expansion)
    ("What is the OECD budget?", "number"), ("What is a fellowship?", None),
    ("Tell me the amount of money raised.", "number"),
    # 'amount of substance' names a quantity (the mole's); it does not ask for an amount
    ("How is an amount of substance computed from a count of molecules?", None),
    # a figure noun after an owner, or right after 'what' before the verb; 'value' and 'number' are not enough
    ("What is the gadget board's entry fee?", "number"), ("What exchange rate had the gadget fund used?", "number"),
    ("What expanded uncertainty has the new gadget reached?", "number"),
    ("What was the vote count on the gadget motion?", "number"),  # a count is a figure
    # the figure noun with what it is of or for before the verb
    ("What purchase price for one gadget did the shop quote in 2001?", "number"),
    ("What rate of interest had the gadget fund used?", "number"), ("What role for the gadget did the board see?", None),
    # up to two words qualify the noun ('net monthly salary'), a function word does not ('sort of', 'range of');
    # what it is given in may follow it ('sums in francs'); 'subscription' is a sum paid; 'what did X cost'
    ("What net monthly salary does a gadget keeper earn?", "number"), ("What sort of fee does a gadget club ask?", None),
    ("What range of prices do gadget shops quote?", None),
    ("What sums in francs were the gadget fees?", "number"),
    ("What yearly subscription does a gadget club charge?", "number"),
    ("What did each gadget cost?", "number"),
    # one of two nouns asked in the alternative is a figure noun
    ("What allowance or salary does a gadget keeper get?", "number"), ("What monthly fee or rate do gadget clubs ask?", "number"),
    ("What shape or colour does a gadget have?", None),
    # 'what number of' is 'how many' in other words
    ("By May, what number of gadget shops had entered the register?", "number"),
    ("What value is printed in the gadget table for steel?", None), ("What reference number was the gadget report given?", None),
    # a person's name asked without 'who'; the name of a thing is not a person's
    ("What is the name of the gadget board's secretary?", "person"), ("Name the person who chaired it.", "person"),
    ("What is the name of the new gadget programme?", None),
    # no acronym asked about (the one in the source phrase is where to look): no expansion to find
    ("What does the § mark stand for, according to the ABC guide?", None),
    ("Que signifie la marque §, d'après le guide de l'ABC ?", None), ("Que signifie XYZ ?", "expansion"),
    ("xyz full form", "expansion"),  # an acronym typed in lower case is still the one asked about
])
def test_more_answer_types(text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize(("text", "acronym"), [
    ("Le sigle XYZ désigne quoi ?", "XYZ"), ("L'abréviation QRS-12, on la lit comment ?", "QRS-12"),
    ("I found ABC-KL in an old gadget catalogue: what is the acronym short for?", "ABC-KL"),
    ("What does QRS-12 stand for?", "QRS-12"),
])
def test_an_acronym_asked_about_is_the_only_key_term_of_its_expansion(text: str, acronym: str) -> None:
    # French names the acronym 'sigle' or 'abréviation'; a hyphenated part belongs to the acronym, and the words
    # saying where the asker met it are no part of what a glossary entry names.
    q = _q(text)
    assert q.need == "expansion"
    assert [t.word for t in q.hard_terms] == [acronym]


def test_a_figure_stays_a_key_term_of_an_expansion_question() -> None:
    q = _q("Which XYZ prefix stands for 10^9?")
    assert q.need == "expansion" and {"XYZ", "10"} <= {t.word for t in q.terms if t.key}


@pytest.mark.parametrize("text", [
    # The opening 'When …,' clause is not the question, though it holds a comma of its own or the question
    # proper opens with a modal ('may', 'must').
    "When a fee is paid in cash, as most visitors do, must I keep the receipt?",
    "When I lend two paintings to the museum, may I insure them myself?",
])
def test_an_opening_when_clause_does_not_ask_for_a_date(text: str) -> None:
    assert _q(text).need is None
    assert _q(text.split(", ")[0] + ", when must I keep the receipt?").need == "date"


def test_numbers_with_thousands_separators_are_one_word() -> None:
    assert "4,200" in _q("Is it about 4,200 visitors a year?").lemmas


def test_a_figure_being_checked_is_the_answer_sought() -> None:
    q = _q("The museum has around 40 curators, right?")
    assert q.need == "number"
    assert {t.lemma for t in q.hard_terms} == {"museum", "curator"}
    assert _q("The museum has 40 curators.").need is None  # a statement, not a check


@pytest.mark.parametrize(("text", "named"), [
    ("There is a public transport network and the international airports are within easy reach.", False),
    ("The balance reaches a relative standard uncertainty of two parts in one hundred million.", True),
    ("The BIPM Time Department maintains UTC.", True),
    ("The nearest airports are Orly and Roissy.", True),
    # An example's 'e.g.,' does not end the clause that names one.
    ("Travellers use an airport close to the city (e.g., Orly, at 14 km).", True),
    ("Travellers use an airport close to the city (e.g. at night).", False),
    # An acronym in brackets before the noun names it: 'the Gadget Training (GT) department'.
    ("It runs the Gadget Training (GT) department.", True),
    # A plural or an indefinite article mentions a kind; the definite singular with its modifiers is the one
    # thing asked about.
    ("The board closed the accounts of the 2019 audit period.", True),
    ("The accounts of all audit periods are kept.", False),
    ("The lab worked with a local widget vendor.", False),
    ("The lab worked with the widget vendor of the region.", True),
    ("It helps NMIs compare their standards.", False),  # an acronym's plural, whose lemma keeps its 's'
    # Quotation marks right after the noun name it, in either language's marks.
    ("Locals call the two airports \"north\" and \"south\".", True),
    ("On appelle les airports « nord » et « sud ».", True),
    ("Locals call the two airports by their old names.", False),
])
def test_a_class_noun_is_named_or_only_mentioned(text: str, named: bool) -> None:
    from assistant.answer.evidence import Unit

    unit = Unit("d", 0, "sent", text, 0, len(text), "", 0)
    found = unnamed(("airport", "uncertainty", "department", "period", "vendor", "nmis"), [unit])
    assert (found is None) is named


@pytest.mark.parametrize(("text", "cls", "named"), [
    # Names the question gives set the scene; they are not the answer ('Which ABC museums …?').
    ("The ABC invites its member museums to join the XYZ network.", "museum", False),
    ("The ABC invites its member museums, such as the Louvre, to join.", "museum", True),
    ("The museums of the ABC lend gadgets to Orly Museum.", "museum", True),
    # An 'of' phrase with no determiner says which kind ('measurements of widget frequencies'); one with a
    # determiner says whose ('measurements of the museum').
    ("The index is found from measurements of widget resonance frequencies.", "measurement", True),
    ("The index is found from measurements of the museum.", "measurement", False),
    ("The index is found from several measurements.", "measurement", False),
])
def test_a_class_noun_is_named_by_what_the_question_does_not_give(text: str, cls: str, named: bool) -> None:
    from assistant.answer.evidence import Unit

    unit = Unit("d", 0, "sent", text, 0, len(text), "", 0)
    given = frozenset("which abc museums lend gadgets to the xyz network".split())
    assert (unnamed((cls,), [unit], given) is None) is named


@pytest.mark.parametrize(("text", "need"), [
    ("What is his e-mail?", "email"), ("Is the first step just to email my transcript?", None),
    ("Jane Roe email", "email"),
])
def test_email_as_a_noun_not_a_verb(text: str, need: str | None) -> None:
    assert _q(text).need == need


def test_statements_after_the_question_are_background_too() -> None:
    q = _q("Which schools can trainees come from? I work in a private school in Chile.")
    assert "chile" not in {t.lemma for t in q.hard_terms}


def test_meta_words_are_recognised_in_any_form() -> None:
    assert "kind" not in _q("What different kinds of grants does the foundation offer?").lemmas


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


def test_a_hyphenated_compound_of_known_words_is_not_corrected_as_a_typo() -> None:
    from assistant.retrieve.query import correct

    vocab = {"timeline", "time", "link", "widget"}
    assert correct("time-link", vocab) == "time-link"
    # A part that is no word keeps the compound a typo to repair.
    assert correct("cross-refrence", {"cross-reference", "cross", "reference"}) == "cross-reference"


def test_a_typo_is_repaired_to_a_word_of_the_questions_language() -> None:
    from assistant.retrieve.query import correct

    vocab = {"projet", "project", "widget"}  # a bilingual collection: the French word is the nearer one
    assert correct("projcet", vocab, "en") == "project"
    assert correct("projcet", vocab, "fr") == "projet"


@pytest.mark.parametrize("word, verb", [
    ("envoyé", True), ("acceptée", True), ("décidés", True), ("transmis", True), ("remise", True),
    ("unité", False), ("comité", False), ("membres", False), ("secondes", False), ("mesures", False),
    ("lumière", False), ("utiliser", True), ("fournir", True), ("laser", False), ("papier", False),
    ("désir", False), ("premier", False),
    # Verbs some of whose forms are nouns ('étalons'), and the -re and -oir conjugations; nouns that end alike.
    ("étaler", True), ("entendre", True), ("admettre", True), ("recevoir", True), ("lettre", False),
    ("centre", False), ("paramètre", False), ("miroir", False), ("laboratoire", False),
])
def test_french_verb_forms_are_told_from_nouns(word: str, verb: bool) -> None:
    assert french_verb_form(word) is verb


@pytest.mark.parametrize("word, adverb", [
    ("respectivement", True), ("exactement", True), ("historiquement", True), ("précisément", True),
    ("gouvernement", False), ("règlement", False), ("paiement", False), ("moment", False), ("ciment", False),
])
def test_french_adverbs_in_ment_are_told_from_nouns(word: str, adverb: bool) -> None:
    assert french_adverb(word) is adverb


def test_a_french_adverb_is_not_a_key_term() -> None:
    terms = analyse("Comment le musée et la galerie nomment-ils respectivement leurs gadgets ?", set(),
                    lambda _t: 1.0).terms
    key = {t.word for t in terms if t.key}
    assert "respectivement" not in key and {"musée", "galerie", "gadgets"} <= key
    # An English word in -ment that the tagger does not know is no French adverb ('secondly').
    assert is_key("respectivement", "and") is False and is_key("secondment", "a") is True


def test_an_untranslated_french_participle_is_not_a_key_term() -> None:
    # A French question rendered word by word keeps the participles the glossary lacks: verbs, not nouns,
    # even where the corpus (with its French documents) uses them.
    assert is_key("envoyé", "was", known=True) is False
    assert is_key("catalogue", "the", known=True) is True
    assert is_key("unité", "the", known=True) is True


@pytest.mark.parametrize("text, need", [
    ("When the museum reopened in 2010, what exhibition did it show first?", None),
    ("If the fellowship is extended, how long does it last?", "duration"),
    ("When a loan is overdue, to whom does the museum write?", None),  # a preposition before the question word
    ("When the museum reopened in 2010, under which rule did it lend paintings?", None),
    ("When did the museum reopen?", "date"),
    ("When did the museum reopen, and what did it show?", "date"),
    # a preposition and an adverb before the question word
    ("When painting the gadgets in the workshop, to roughly what thickness is the varnish applied?", None),
    # other prepositions open the question proper too ('over', 'between', 'sur' …)
    ("When the gizmo runs on its spare battery, over what span can its speed be set?", None),
    ("Quand le musée prête un tableau, sur quelle base fixe-t-il le prix ?", None),
])
def test_an_opening_clause_does_not_set_the_answer_type(text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize("text, need", [
    ("Which gizmo kept a set numerical value until the reform?", None),  # the gadget is asked, not a figure
    ("Which office chose a deadline on widget orders?", None),
    ("Which gadget fair reported the number of visitors?", None),
    ("Which year saw the gadget fair open?", "date"),  # the noun asked is the year
    ("Which gadgets, and how many of them, did the museum lend?", "number"),  # a second question word
    ("Which is the date of the gadget fair?", "date"),
    ("Quelle est la date limite des commandes ?", "date"),
])
def test_a_figure_a_which_question_mentions_after_its_noun_is_not_asked(text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize("text, need", [
    ("Would you know when the widget depot closes?", "date"),
    ("Can you tell me how long the fellowship lasts?", "duration"),
    ("Could you please tell me when the gadget fair ends?", "date"),
    ("Would you know the gadget museum?", None),  # no question inside: nothing is asked for
])
def test_a_question_asked_inside_a_frame_takes_its_answer_type_from_the_question_inside(text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize(("text", "verb", "nouns"), [
    ("Did the museum board regard the parking as a service?", "regard", {"museum", "board", "service"}),
    ("What did the annual survey concern?", "concern", {"survey"}),
    ("How does the ticket office work?", "work", {"ticket", "office"}),
    ("Which group did the 1993 report on clock comparison address?", "address", {"group", "clock", "comparison"}),
    ("Does the isotope mix change the colour?", "change", {"isotope", "mix", "colour"}),
    # A possessive ('the museum's'), split into its own 's' token, opens the subject's noun phrase.
    ("When did the museum's finance office review the loans?", "review", {"museum", "office", "loan"}),
])
def test_the_verb_after_do_and_its_subject_is_not_a_key_noun(text: str, verb: str, nouns: set[str]) -> None:
    vocab = {w.lower() for w in text.rstrip("?").split()}  # every word a corpus word: read by its grammar
    with_do = {t.lemma for t in analyse(text, vocab, lambda _t: 1.0).terms if t.key}
    assert verb not in with_do and nouns <= with_do
    # The rule alone, on terms that all start as key: it demotes the verb and nothing else.
    tokens = words(text)
    terms = tuple(Term(w, w.lower(), 1.0) for w in tokens)
    demoted = {t.word for t in _demote_do_support_verb(tokens, terms) if not t.key}
    assert demoted == {verb}


def test_a_verb_that_is_never_a_noun_ends_the_do_support_search() -> None:
    tokens = words("Does the museum reimburse travel costs?")
    terms = tuple(Term(w, w.lower(), 1.0) for w in tokens)
    assert _demote_do_support_verb(tokens, terms) == terms  # not 'travel': 'reimburse' is the verb


def test_a_word_after_a_plural_subject_is_its_verb() -> None:
    text = "How many museums and laboratories feed into the national survey?"
    vocab = {w.lower() for w in words(text)} | {"museum", "laboratory"}
    key = {t.lemma for t in analyse(text, vocab, lambda _t: 1.0).terms if t.key}
    assert "feed" not in key and {"museum", "laboratory", "survey"} <= key
    # After a singular noun the same word may head a compound: 'the cattle feed supplier'.
    assert is_key("feed", "cattle", following="supplier", known=True) is True


@pytest.mark.parametrize(("text", "holds"), [
    ("The survey of 2019 counted 41 museums.", True),
    ("The survey was published on 14 October 2019.", False),  # a date is not the figure asked for
    ("The 2019 survey covered museums in twelve regions.", True),
    ("The 2019 survey covered museums.", False),  # the question's own year
])
def test_a_figure_asked_for_is_new_and_not_a_date(text: str, holds: bool) -> None:
    q = _q("How many museums did the 2019 survey count?")
    assert q.need == "number"
    assert has_need(q, text) is holds


@pytest.mark.parametrize(("text", "need"), [
    ("Number of museums in the 2019 survey?", "number"),
    ("Total number of museums surveyed in 2019?", "number"),
    ("The 2019 museum survey: number of regions covered?", "number"),
    ("2019 museum survey — number of regions?", "number"),
    ("Which survey raised the number of museums?", None),  # 'number of' inside the question asks for no figure
    ("The survey listed a number of museums. Which ones?", None),
])
def test_a_number_of_phrase_opening_the_question_or_its_part_after_a_colon_asks_for_a_figure(
        text: str, need: str | None) -> None:
    assert _q(text).need == need


@pytest.mark.parametrize(("text", "noun"), [
    ("How many museums did the 2019 survey count?", "museum"),
    ("How many regional museum directors attended?", "director"),  # the last noun of the phrase is counted
    ("How many times did the survey team meet?", None),  # 'how many times' counts no noun
    ("What is the number of museums?", None),  # a figure asked for, not a 'how many' count
    ("Who counted the museums?", None),
])
def test_the_noun_a_count_question_counts(text: str, noun: str | None) -> None:
    assert counted(_q(text)) == noun


@pytest.mark.parametrize(("text", "holds"), [
    ("The survey of 2019 counted 41 museums in the north.", True),
    ("In the north, museums were counted: 41 of them.", True),  # the noun may come before the figure
    ("The survey of 2019 took 41 days to plan; afterwards its team visited the museums of the north.",
     False),  # a figure counting something else, the noun far from it
    ("The office is to list the museums that closed 5 or more years ago.", False),  # a span of time, no count
    ("Grants to museums rose by 5.3 % that year.", False),  # a share, no count
    ("The museums received 12 per cent more visitors.", False),
])
def test_a_count_is_a_figure_beside_the_noun_counted(text: str, holds: bool) -> None:
    q = _q("How many museums did the 2019 survey count?")

    def counts(stretch: str) -> bool:
        return "museum" in stretch.lower()

    assert has_need(q, text, counts) is holds
    assert has_need(q, text) is True  # without a judge of the noun, any new figure is one


def test_a_span_of_time_counts_when_the_question_counts_that_time() -> None:
    q = _q("How many years did the museums of the north stay closed?")
    assert has_need(q, "The museums of the north stayed closed for 5 years.", lambda stretch: "year" in stretch)


def test_a_share_counts_when_the_question_asks_for_a_percentage() -> None:
    q = _q("How many museums, as a percentage of all, closed in 2019?")
    assert has_need(q, "In 2019, 12 % of the museums closed.", lambda stretch: "museum" in stretch)


def test_an_ellipsis_naming_another_meeting_replaces_the_ordinal_too() -> None:
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    assert condense("And for the 13th Assembly?", history).text == "What did the 13th Assembly decide about widgets?"
    # Without an ordinal of its own the phrase swaps the name only.
    assert condense("And the General Assembly?", history).text == (
        "What did the 12th General Assembly decide about widgets?")


@pytest.mark.parametrize(("text", "holds"), [
    ("The survey is published around 1 December of each year.", True),
    ("La notification est publiée autour du 1^er décembre.", True),
    ("Les candidatures sont closes le 15 mars.", True),
    ("The survey is published every year.", False),
])
def test_a_date_asked_for_is_found_in_english_and_french(text: str, holds: bool) -> None:
    q = _q("On what date is the survey published?")
    assert q.need == "date"
    assert has_need(q, text) is holds


@pytest.mark.parametrize(("text", "holds"), [
    ("The group comprises Jane Smith (convenor), Ann Lee and Tom Park.", True),
    ("P. Wong (convenor) and K. Ito will draft the paper.", True),
    ("The task group comprises Ann Lee (convener), Tom Park and Jane Smith.", True),
    ("Dr Smith led the group.", True),
    ("The group met in Paris to draft the paper.", False),
    ("The Secretary and A. Henson will review the paper.", False),
])
def test_who_led_asks_for_a_person_named_by_title_or_with_the_role(text: str, holds: bool) -> None:
    for asked in ("Who convened the drafting group?", "Who chaired the drafting group?", "Who chairs the drafting group?"):
        q = _q(asked)
        assert q.need == "person"
        assert has_need(q, text) is holds


def test_a_year_counted_from_now_is_resolved_but_not_one_counted_from_a_period() -> None:
    from datetime import date

    from assistant.retrieve.query import _resolve_relative_years

    today = date(2026, 12, 1)
    assert _resolve_relative_years("What was decided last year?", today) == "What was decided 2025?"
    assert _resolve_relative_years("What is planned for next year?", today) == "What is planned for 2027?"
    asked = "How many widgets were made in the last year before the reform?"
    assert _resolve_relative_years(asked, today) == asked


@pytest.mark.parametrize(("text", "holds"), [
    ("Members get a 1-year grace period.", True),
    ("Members get a one-year grace period.", True),
    ("Members get 2 years of grace.", True),
    ("Members get a grace period.", False),
])
def test_a_duration_may_be_written_with_a_hyphen(text: str, holds: bool) -> None:
    q = _q("How long do members get as a grace period?")
    assert q.need == "duration"
    assert has_need(q, text) is holds


def test_an_adjective_before_a_number_is_not_a_key_noun() -> None:
    # 'the old 1990 handbook': 'old' modifies what the year qualifies; 'the old' alone would be a noun phrase.
    assert is_key("old", "the", following="1990") is False
    assert is_key("old", "the", following="rule") is False
    keys = {t.lemma: t.key for t in _q("What did the old 1990 handbook of the club say?").terms}
    assert keys["old"] is False and keys["handbook"] is True


@pytest.mark.parametrize(("text", "word", "previous", "following", "noun"), [
    # a gerund that goes on after a preposition is a verb ('for moving from …'); after a determiner, or ending the
    # question, a noun ('is there parking', 'charge for parking?')
    ("What does the gadget manual tell staff about moving from the old register?", "moving", "about", "from", "register"),
    # a word that may be an adjective, before an adjective, is one of the noun's modifiers ('a spare electric motor')
    ("Can the gadget be fitted with a spare electric motor?", "spare", "a", "electric", "motor"),
])
def test_a_verb_or_a_modifier_by_its_neighbours_is_not_a_key_noun(text: str, word: str, previous: str, following: str,
                                                                  noun: str) -> None:
    assert is_key(word, previous, following=following) is False
    keys = {t.word.lower(): t.key for t in _q(text).terms}
    assert keys[word] is False and keys[noun] is True
    assert is_key("parking", "there", following="") is True
    assert is_key("parking", "for", following="") is True  # 'What does the shop charge for parking?'


@pytest.mark.parametrize(("text", "adverb", "nouns"), [
    ("Thinking back to the 2010 museum exhibition, which painter won the prize?", "back", {"museum", "exhibition", "prize"}),
    ("Did the club change its rules back in 1990?", "back", {"club", "rule"}),
    ("Which lamps did the museum want put back on the wall?", "back", {"museum", "wall"}),
])
def test_an_adverb_before_a_preposition_is_not_a_key_noun(text: str, adverb: str, nouns: set[str]) -> None:
    vocab = {w.lower() for w in words(text)}
    key = {t.lemma for t in analyse(text, vocab, lambda _t: 1.0).terms if t.key}
    assert adverb not in key and nouns <= key
    assert is_key("back", "the", following="of", known=True) is True  # 'the back of the card': a noun


@pytest.mark.parametrize(("text", "verb", "nouns"), [
    ("How many pages of the museum brochure make up its guide?", "make", {"museum", "brochure", "guide"}),
    ("By which date should the museum notification go out?", "go", {"museum", "notification"}),
])
def test_a_word_before_a_phrasal_verbs_particle_is_the_verb(text: str, verb: str, nouns: set[str]) -> None:
    vocab = {w.lower() for w in words(text)}
    key = {t.lemma for t in analyse(text, vocab, lambda _t: 1.0).terms if t.key}
    assert verb not in key and nouns <= key
    # The same word before a noun is still read by its neighbours: 'the make of the car'.
    assert is_key("make", "the", following="of", known=True) is True


@pytest.mark.parametrize("asked", [
    "And what exactly did it decide?",  # short, but a question of its own that points back
    "And at what hour of the day were the widget inspections at the depot carried out?",  # long, no pronoun
    "Et à quelle heure de la journée se tenaient les inspections des gadgets au grand dépôt central de la ville ?",
])
def test_a_question_going_on_from_the_last_keeps_it_as_context(asked: str) -> None:
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    condensed = condense(asked, history)
    assert condensed.mode == "pronoun" and condensed.text == asked
    assert condensed.context == "What did the 12th Assembly decide about widgets?"
    # A bare noun phrase with no name of the earlier question to swap is elliptical: it keeps that question as
    # context (searched with it, like a pronoun follow-up) and, in `analysed`, its answer type.
    bare = condense("And the gadgets?", history)
    assert (bare.mode, bare.elliptical, bare.context) == ("pronoun", True, history[0]["content"])


def test_an_elliptical_follow_up_keeps_the_earlier_answer_type() -> None:
    from assistant.question.read import analysed
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "How many widgets did the depot paint in 2020?"},
               {"role": "assistant", "content": "It painted 40 widgets."}]
    bare = condense("And gadgets?", history)
    assert bare.elliptical and bare.mode == "pronoun"
    assert analysed(bare, _q).need == "number"


@pytest.mark.parametrize("elliptical", [False, True])
def test_a_noun_a_follow_up_points_back_with_is_not_required(elliptical: bool) -> None:
    """'that report', 'the corresponding fee': the earlier turn named the thing; the quote may name it otherwise,
    and has no reason to say 'corresponding'. So too in an elliptical follow-up ('And the … for X?')."""
    from assistant.question.read import analysed
    from assistant.retrieve.condense import Condensed

    context = "What did the 12th Assembly decide about widgets?"
    for asked, pointed, kept in [
        ("Who signed that report at the depot?", {"report"}, {"depot"}),
        ("And what was the corresponding fee for the gadgets?", {"corresponding", "fee"}, {"gadgets"}),
    ]:
        follow_up = analysed(Condensed(asked, context, "pronoun", elliptical=elliptical), _q)
        keys = {t.word for t in follow_up.terms if t.key}
        assert kept <= keys and not pointed & keys
        alone = {t.word for t in analysed(Condensed(asked), _q).terms if t.key}  # a question on its own
        assert pointed <= alone
    # A year between the pointing words and the noun says which one was meant: the noun still points back.
    asked = "How does that same 2019 handbook describe the gadgets?"
    keys = {t.word for t in analysed(Condensed(asked, context, "pronoun", elliptical=elliptical), _q).terms if t.key}
    assert "gadgets" in keys and "handbook" not in keys


def test_a_rewritten_follow_up_keeps_its_pointing_words_key() -> None:
    """An ellipsis follow-up is answered as the earlier question rewritten: its words are not the asker's."""
    from assistant.question.read import analysed
    from assistant.retrieve.condense import Condensed

    rewritten = Condensed("What was the corresponding fee for the gadgets?", "What was the fee for the widgets?",
                          "ellipsis")
    assert {"corresponding", "fee"} <= {t.word for t in analysed(rewritten, _q).terms if t.key}


@pytest.mark.parametrize(("asked", "mode"), [
    # long, but 'that inspection' / 'the same rule' point back at the earlier question
    ("Which of the depot's gadget inspectors were on duty during that inspection, and who signed the report?",
     "pronoun"),
    ("Did the painters' union and the depot's workshop managers agree to follow the same rule the year after?",
     "pronoun"),
    # a 'that' opening a clause points at nothing
    ("Did the painters' union and the depot's workshop managers ever agree that the widgets should be green?", ""),
])
def test_a_long_question_with_a_demonstrative_before_a_noun_points_back(asked: str, mode: str) -> None:
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    assert condense(asked, history).mode == mode


@pytest.mark.parametrize(("asked", "mode"), [
    ("What other widget colours are described there?", "pronoun"),  # the place named before
    ("Which is the other gadget depot?", "pronoun"),  # one of two named before
    ("Is there a gadget depot in Lyon?", ""),  # existential 'there' points at nothing
    ("Which other widget colours does the 13th Assembly allow?", ""),
])
def test_there_and_the_other_point_back(asked: str, mode: str) -> None:
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    assert condense(asked, history).mode == mode


@pytest.mark.parametrize(("asked", "rest"), [
    ("ok and the gadgets?", "and the gadgets?"),
    ("Okay, and what about the gadgets?", "and what about the gadgets?"),
    ("Right — and when did it decide that?", "and when did it decide that?"),
    ("Fine. And the gadgets?", "And the gadgets?"),
    ("Alors, et les gadgets ?", "et les gadgets ?"),
])
def test_an_acknowledgement_before_a_follow_up_is_read_past(asked: str, rest: str) -> None:
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    assert condense(asked, history) == condense(rest, history)
    assert condense(asked, history).is_followup
    # 'fine' without punctuation after it is a word of the question, which is then not a follow-up
    assert condense("Fine print on gadgets: where is the small text kept?", history).context == ""


def test_every_later_part_of_a_question_leans_on_the_first() -> None:
    from assistant.question.read import read

    _, parts = read("How many widget fairs are held each year, and when is the date of the second decided?", None)
    assert [p.text for p in parts] == ["How many widget fairs are held each year",
                                       "when is the date of the second decided?"]
    # No pronoun in the second part, yet it is about the same fairs: it is searched with the first as context.
    assert parts[0].mode != "pronoun"
    assert parts[1].mode == "pronoun" and parts[1].context == parts[0].text


def test_a_follow_ups_parts_each_go_on_from_the_earlier_turn() -> None:
    from assistant.question.read import read

    history = [{"role": "user", "content": "What did the 12th Assembly decide about widget fairs?"},
               {"role": "assistant", "content": "It decided to hold one fair each year."}]
    _, parts = read("Who proposed it first, and since when?", history)
    assert [p.text for p in parts] == ["Who proposed it first", "since when?"]
    earlier = history[0]["content"]
    assert parts[0].context == earlier
    # The later part may point at the first ('since when' the proposal) as well as at the earlier turn.
    assert parts[1].context == f"{earlier} Who proposed it first" and parts[1].mode == "pronoun"
    # A follow-up that asks one thing stays whole.
    assert len(read("Who proposed it first?", history)[1]) == 1


@pytest.mark.parametrize("asked", [
    "Which colour did the widget board choose for the 2020 fair, and why?",
    "Quelle couleur le comité des gadgets a-t-il choisie pour la foire de 2020, et pourquoi ?",
])
def test_a_trailing_why_is_a_part_of_its_own(asked: str) -> None:
    from assistant.question.read import read

    _, parts = read(asked, None)
    assert len(parts) == 2 and parts[1].text.lower().startswith("why")
    assert parts[1].mode == "pronoun" and parts[1].context == parts[0].text  # why the first part's choice


@pytest.mark.parametrize(("asked", "second"), [
    ("Which clubs did the board admit in 2020, and with what status?", "with what status?"),
    ("When was the widget fair first held, and in which town?", "in which town?"),
    ("Who chaired the fair committee, and to whom did she report?", "to whom did she report?"),
    ("Who judged the 2019 fair, and was the verdict appealed?", "was the verdict appealed?"),
    ("Did the club meet in 2019, and if so where did it meet?", "where did it meet?"),
    ("Did the club meet in 2019? If so, where did it meet?", "where did it meet?"),
    ("When was the widget fair first held, and approximately how many stalls were there?", "how many stalls were there?"),
    ("Who chaired the fair committee, and also where did it meet?", "where did it meet?"),
])
def test_a_later_part_opens_with_a_question_word_its_preposition_or_an_auxiliary(asked: str, second: str) -> None:
    from assistant.question.read import read

    _, parts = read(asked, None)
    assert [p.text for p in parts][1:] == [second]


@pytest.mark.parametrize(("asked", "parts"), [
    ("When and where was the 12th widget fair held?",
     ["When was the 12th widget fair held?", "where was the 12th widget fair held?"]),
    ("Where and on what dates was the fair held?", ["Where was the fair held?", "on what dates was the fair held?"]),
    ("Where, when and why did the club meet, and who led it?",
     ["Where did the club meet", "when did the club meet", "why did the club meet", "who led it?"]),
    # A question word with its preposition and noun, closed by a comma, shares the clause too.
    ("On which day, and in what town, did the club sign the widget charter?",
     ["On which day did the club sign the widget charter?", "in what town, did the club sign the widget charter?"]),
    ("Which gadget, and what paint colour, does the 2019 handbook specify for the fair?",
     ["Which gadget does the 2019 handbook specify for the fair?",
      "what paint colour, does the 2019 handbook specify for the fair?"]),
    # A part with a verb of its own is a question of its own.
    ("What happened at the fair, and when did it start?", ["What happened at the fair", "when did it start?"]),
    ("What happened, and when did the fair start?", ["What happened", "when did the fair start?"]),
    # French is read in English words first ('Quand et où …' → 'when and where …').
    ("Quand et où la foire a-t-elle eu lieu ?", ["when the foire have take place?", "where the foire have take place?"]),
])
def test_question_words_joined_by_and_each_ask_about_the_clause_after_them(asked: str, parts: list[str]) -> None:
    from assistant.question.read import read

    read_parts = read(asked, None)[1]
    assert [p.text for p in read_parts] == parts
    assert all(p.mode == "pronoun" and p.context == parts[0] for p in read_parts[1:])


def test_a_question_word_or_auxiliary_inside_one_clause_does_not_split_it() -> None:
    from assistant.question.read import read

    assert len(read("In which town was the fair held?", None)[1]) == 1  # no 'and' before it
    # Without a comma, a past or modal auxiliary after 'and' goes on the clause.
    assert len(read("When the board cannot agree and has to vote, what majority is needed?", None)[1]) == 1


def test_a_label_before_a_colon_frames_the_question_in_words_the_collection_never_uses() -> None:
    keys = {t.lemma for t in _q("Garden club homework: which department runs the optics survey?").hard_terms}
    assert not keys & {"garden", "club", "homework"} and {"optics", "survey"} <= keys
    # A label in the collection's words names the topic ('Applied optics fellowship: who may apply?').
    keys = {t.lemma for t in _q("Optics fellowship, 2020: which department ran it?").hard_terms}
    assert {"optics", "fellowship"} <= keys
    # Without a colon the words are the question's own: no quote covering them, no answer.
    assert "homework" in {t.lemma for t in _q("Which department runs the homework survey?").hard_terms}


@pytest.mark.parametrize(("text", "source"), [
    ("In the museum's visitor guide, which entrance do wheelchair users take?", {"museum", "visitor", "guide"}),
    ("Under the 1998 lending rules, how long may a painting leave the museum?", {"1998", "lend", "rule"}),
    ("How long may a painting leave the museum, according to the lending rules?", {"lend", "rule"}),
    ("Which entrance do wheelchair users take (visitor guide)?", {"visitor", "guide"}),
    ("In which year did the museum open?", set()),
    # a question word after the preposition opens the question; 'according to' names a text without a comma
    ("In which year did the museum open, according to the visitor guide?", {"visitor", "guide"}),
    ("How long may a painting leave the museum according to the lending rules?", {"lend", "rule"}),
    ("How tall is the museum's tower, in the visitor guide?", {"visitor", "guide"}),
    ("How tall is the museum's tower, in metres?", set()),  # the unit asked for, not a text
    ("In 1998 the museum changed its lending rules: how long may a painting leave?", set()),
    # 'For the …' names the example or text to look in; 'For a …' names a case ('For a painting on loan, …')
    ("For the lending example in the 1998 museum guide, what loan period applies to a painting?", {"lend", "example", "1998", "museum", "guide"}),
    ("For a painting on loan, what loan period applies?", set()),
])
def test_the_phrase_naming_where_to_look_is_the_questions_source(text: str, source: set[str]) -> None:
    assert set(_q(text).source) == source


@pytest.mark.parametrize("text", [
    "Did anyone from the museum attend the widget fair?",
    "Was someone else named curator later?",
    "Did the board ask whether the fair would go ahead?",
])
def test_indefinite_pronouns_and_whether_are_not_terms(text: str) -> None:
    assert not {t.lemma for t in _q(text).terms} & {"anyone", "someone", "whether"}


def test_the_latin_abbreviations_that_introduce_examples_are_no_terms() -> None:
    q = _q("Can the optics survey be moved, i.e. is it portable, e.g. by the institute?")
    assert not {"i.e", "e.g"} & {t.word.lower() for t in q.terms}
    assert {"survey", "institute"} <= {t.lemma for t in q.terms}


@pytest.mark.parametrize(("text", "word"), [
    ("Is anything specific on optics planned in the survey?", "specific"),
    ("Is anything still pending in the survey?", "still"),
    ("Did the institute ask for anything extra in the survey?", "extra"),
    ("Is there something better than the survey?", "better"),
])
def test_a_word_right_after_an_indefinite_pronoun_is_not_a_key_noun(text: str, word: str) -> None:
    keys = {t.word.lower() for t in _q(text).terms if t.key}
    assert word not in keys and "survey" in keys


@pytest.mark.parametrize("text", [
    "Is the widget museum still open on Sundays?", "Has the widget museum already moved?",
    "Was the gadget ever shown in the widget museum?", "Is the widget museum just a storehouse?",
])
def test_adverbs_of_time_and_degree_are_not_terms(text: str) -> None:
    # 'Is it still open?' is answered by 'It is open on Sundays': the statement of the fact leaves them out.
    lemmas = {t.lemma for t in _q(text).terms}
    assert not lemmas & {"still", "already", "ever", "just"} and "museum" in lemmas


@pytest.mark.parametrize(("text", "word"), [
    ("How is a widget calibrated in practice?", "practice"),
    ("How many gadgets, at minimum, must the widget museum keep?", "minimum"),
])
def test_hedges_on_the_asking_are_not_terms(text: str, word: str) -> None:
    lemmas = {t.lemma for t in _q(text).terms}
    assert word not in lemmas and "widget" in lemmas


def test_another_is_a_determiner_not_a_term() -> None:
    # 'another international body' asks for a body; no quote says 'another' of it.
    text = "Which agreement between the club and another international body did the museum welcome?"
    vocab = {w.lower() for w in words(text)}
    terms = {t.lemma: t.key for t in analyse(text, vocab, lambda _t: 1.0).terms}
    assert "another" not in terms and terms["body"] and terms["museum"]
