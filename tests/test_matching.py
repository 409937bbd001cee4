"""Matching a question's words to the documents' words: acronym expansions and the synonym file."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.coverage import Profile, TermMatcher, synonyms, vocabulary
from assistant.index.embedder import Embedder
from assistant.retrieve.acronyms import (
    EXPANSION_SEPARATOR,
    contractions,
    find_expansions,
    with_expansions,
)
from assistant.retrieve.lexical import LexicalIndex
from assistant.retrieve.query import Term

TEXTS = [
    "Other links: WHO (World Health Organization), WMO (World Meteorological Organization)",
    "The International Earth Rotation and Reference Systems (IERS) announces leap seconds.",
    "UTC (Coordinated Universal Time) is computed at the BIPM.",
    "The BIPM is a Sector Member of the Radiocommunication Sector of the ITU (ITU-R).",
    "The International Bureau for Weights and Measures (BIPM) was created in 1875.",
]


def test_expansions_come_from_the_documents() -> None:
    found = find_expansions(TEXTS)
    assert found["WHO"] == "World Health Organization"
    assert found["IERS"] == "International Earth Rotation and Reference Systems"
    assert found["UTC"] == "Coordinated Universal Time"
    assert "ITU-R" not in found and "BIPM" not in found  # the words before do not spell them


def test_an_acronym_brings_its_expansion_into_the_text() -> None:
    expansions = find_expansions(TEXTS)
    text = with_expansions("The BIPM has a Memorandum of Understanding with the WHO.", expansions)
    assert "World Health Organization" in text
    assert with_expansions("Who decides?", expansions) == "Who decides?"  # 'Who' is a word, not WHO


def test_a_name_written_out_brings_its_acronym_into_the_search() -> None:
    acronyms = {"GCC": EXPANSION_SEPARATOR.join(["Gadget Calibration Committee", "Comité des gadgets"]),
                "WL": "Widget Laboratory"}
    asked = "Who chairs the gadget calibration committee, and where does it meet?"
    assert contractions(asked, acronyms) == ["GCC"]
    assert contractions("Who chairs the comité des gadgets ?", acronyms) == ["GCC"]  # any of its names
    assert contractions("Who chairs the GCC (Gadget Calibration Committee)?", acronyms) == []  # already there
    assert contractions("Where is the Widget Laboratories' store?", acronyms) == []  # whole words only
    # The documents that write only the acronym are then found by the lexical search.
    texts = ["The committee appointed Dr Bolt as chair of the GCC.",
             "The gadget calibration committee meeting was held in a committee room.",
             "Gadget owners calibrate their gadgets every year."]
    lexical = LexicalIndex(texts, ["en"] * len(texts))
    lemmas = ["chair", "gadget", "calibration", "committee"]
    assert lexical.search(lemmas, k=1)[0][0] == 1
    assert lexical.search(lemmas + [a.lower() for a in contractions(asked, acronyms)], k=1)[0][0] == 0


@pytest.mark.parametrize(("question_word", "text"), [
    ("openings", "At present there are not secondment opportunities."),
    ("links", "BIPM technical liaisons"),
    ("salary", "The BIPM will normally pay an allowance."),
    ("people", "It has an international staff of about 75."),
    ("Norwegian", "The committee admitted Gadgetverket (Norway) as a member."),  # data/places.tsv
    ("Swiss", "A laboratory in Switzerland hosted it."),
    ("requirements", "Gadget experience needed"),  # what is needed is a requirement
])
def test_synonyms_cover_a_question_word(question_word: str, text: str) -> None:
    lemma = question_word.lower() if question_word[:1].isupper() else (
        question_word.rstrip("s") if question_word != "people" else "people")
    assert Profile(text).exact(Term(question_word, lemma, 1.0))


def test_synonym_groups_are_symmetric_and_unrelated_words_are_not_covered() -> None:
    table = synonyms()
    assert all(word in table[other] for word, group in table.items() for other in group)
    assert not Profile("There is a wide range of accommodation available nearby.").exact(Term("visa", "visa", 1.0))


def test_a_hyphenated_question_word_is_covered_by_its_parts() -> None:
    assert Profile("APMP (Asia Pacific Metrology Programme)").exact(Term("Asia-Pacific", "asia-pacific", 1.0))
    # A stop word among the parts is in no text's lemmas: the content parts decide, compared as lemmas.
    assert Profile("Entries left dimmed out for a year are deleted.").exact(Term("dimmed-out", "dimmed-out", 1.0))
    # A word of short parts only is covered by no text that does not write it.
    assert not Profile("The national prototypes of the kilogram.").exact(Term("Xy-Zw", "xy-zw", 1.0))


def test_an_acronym_is_covered_by_the_words_it_abbreviates() -> None:
    text = "Applications are welcome from employees of a national measurement institute."
    assert Profile(text).exact(Term("NMI", "nmi", 1.0))
    assert not Profile(text).exact(Term("NDI", "ndi", 1.0))


def test_a_french_name_spells_its_acronym_past_its_small_words() -> None:
    # 'et' is French 'and': like 'des', it gives the acronym no letter.
    text = "le Comité international des poids et mesures est autorisé à conclure un accord"
    assert Profile(text, "fr").exact(Term("CIPM", "cipm", 1.0))
    assert not Profile(text, "fr").exact(Term("CIPEM", "cipem", 1.0))


def test_a_plural_acronym_is_covered_by_the_words_it_abbreviates() -> None:
    assert Profile("It helps national metrology institutes.").exact(Term("NMIs", "nmis", 1.0))


def test_a_mixed_case_acronym_is_covered_by_the_words_it_abbreviates_small_ones_included() -> None:
    text = "This guide of practice describes how widgets are made."
    for word in ("GoP", "GoP-W", "GoPs"):
        assert Profile(text).exact(Term(word, word.lower(), 1.0)), word
    assert not Profile(text).exact(Term("GaP", "gap", 1.0))
    assert not Profile("A guide to practice.").exact(Term("GoP", "gop", 1.0))  # 'to' is not 'o'


class CountingEmbedder(Embedder):
    """A deterministic stand-in that records each call: only the plumbing is under test here."""

    dim, name = 8, "counting"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.array([[(hash(t) >> k) % 7 + 1.0 for k in range(self.dim)] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_stored_word_vectors_are_used_and_only_unstored_words_are_embedded() -> None:
    text = "The secondment allowance is paid monthly by the BIPM."
    source = CountingEmbedder()
    stored = dict(zip(sorted(vocabulary(text)), source.embed(sorted(vocabulary(text))), strict=True))
    looked_up: list[list[str]] = []

    def lookup(words: list[str]) -> dict[str, np.ndarray]:
        looked_up.append(words)
        return {w: stored[w] for w in words if w in stored}

    embedder = CountingEmbedder()
    matcher = TermMatcher(embedder, low=0.3, high=0.6, stored=lookup)
    matcher.prefetch([Profile(text)], [Term("allowance", "allowance", 1.0)])
    assert embedder.calls == []  # every word, the question's too, is in the store
    matcher.prefetch([Profile(text)], [Term("salary", "salary", 1.0)])
    assert embedder.calls == [["salary"]]  # the question's own word, alone, in one call
    matcher.prefetch([Profile(text)], [Term("salary", "salary", 1.0)])
    assert embedder.calls == [["salary"]] and len(looked_up) == 2  # then cached: neither embedded nor looked up
    cover = matcher.coverage([Term("salary", "salary", 1.0)], Profile(text))
    plain = TermMatcher(CountingEmbedder(), low=0.3, high=0.6).coverage([Term("salary", "salary", 1.0)], Profile(text))
    assert cover == plain  # the stored vectors give what embedding them now gives


def test_a_code_with_a_figure_is_no_derivation_of_a_word() -> None:
    text = Profile("The ABC compared the ABC.X-K3 gizmos with the gadget-2 set in 2018.")
    for asked in ("ABC.X-K4", "gadget-7", "2019"):
        assert not text.exact(Term(asked, asked.lower(), 1.0)), asked
    for asked in ("ABC.X-K3", "gadget-2", "2018"):
        assert text.exact(Term(asked, asked.lower(), 1.0)), asked
    assert Profile("At the 30th ABC meeting.").exact(Term("ABC-30", "abc-30", 1.0))  # a meeting by its number
    assert not Profile("At the 31st ABC meeting.").exact(Term("ABC-30", "abc-30", 1.0))


def test_a_negated_word_derives_from_its_stem() -> None:
    # 'without stabilisation' is written 'unstabilised', 'linearity' is what 'nonlinear' denies; a prefix left
    # with a short rest is part of the word ('uniform' is no negated 'form').
    assert Profile("The value for unstabilised gadget lasers.").exact(Term("stabilisation", "stabilisation", 1.0))
    assert Profile("A nonlinear gadget response.").exact(Term("linearity", "linearity", 1.0))
    assert not Profile("A uniform gadget finish.").exact(Term("formation", "formation", 1.0))


def test_superscript_ordinals_read_as_typed() -> None:
    # Documents mark an ordinal's suffix as superscript ('5^e séance', '2^eRapport'); questions type '5e'.
    from assistant.text import words

    assert words("à sa 5^e séance, le 2^eRapport, le 1^er^ mars") == [
        "à", "sa", "5e", "séance", "le", "2e", "Rapport", "le", "1er", "mars"]
    assert words("10^3 m^2") == ["10", "3", "m", "2"]  # powers are not ordinals


def test_an_acronym_written_with_dots_is_covered_as_typed_without_them() -> None:
    # Older texts write 'A.B.C.D.'; questions type 'ABCD'. Other dotted words keep their dots.
    from assistant.text import words

    assert words("le bureau de l'A.B.C.D., le Comité") == ["le", "bureau", "de", "l", "ABCD", "le", "Comité"]
    assert words("e.g. 1.5 m, www.example.org") == ["e.g", "1.5", "m", "www.example.org"]
    assert Profile("Lettre envoyée à l'A.B.C.D. par son bureau.").exact(Term("ABCD", "abcd", 1.0))


def test_a_nuclide_written_by_symbol_covers_its_name() -> None:
    from assistant.answer.coverage import Profile
    from assistant.retrieve.query import Term

    text = Profile("The transition of the ^133^Cs atom and of ^199Hg^+ ions.")
    for asked in ("caesium-133", "cesium-133", "mercury-199", "caesium", "cs-133", "hg-199"):
        assert text.exact(Term(asked, asked, 1.0)), asked
    assert not text.exact(Term("strontium-87", "strontium-87", 1.0))


def test_a_greek_symbol_is_covered_by_its_letter_name_as_typed() -> None:
    text = Profile("The gadget constant κ_0 was 4π × 10^−7 W/m; the widget line Δν_X; a 5 µm gap.")
    for asked in ("kappa_0", "kappa0", "pi", "deltanu_x", "delta", "mu"):
        assert text.exact(Term(asked, asked, 1.0)), asked
    assert not text.exact(Term("kappa_1", "kappa_1", 1.0))
    assert not text.exact(Term("sigma", "sigma", 1.0))
    assert not Profile("The gadget constant k_0 was fixed.").exact(Term("kappa_0", "kappa_0", 1.0))


def test_a_power_of_ten_is_covered_as_typed_in_e_notation() -> None:
    text = Profile("A gadget drifts by 1 × 10^−6 a day, a widget by 2.3 × 10^−10, and 10^8 gizmos were made.")
    for asked in ("1e-6", "2.3e-10", "1e8"):
        assert text.exact(Term(asked, asked, 1.0)), asked
    for asked in ("1e-7", "2.3e-9", "1e-8"):
        assert not text.exact(Term(asked, asked, 1.0)), asked


def test_a_formula_written_with_subscript_markup_covers_it_as_typed() -> None:
    text = Profile("A gadget filled with CO_2 and N_2, on the T_90 scale.")
    for asked in ("CO2", "N2", "T90"):
        assert text.exact(Term(asked, asked.lower(), 1.0)), asked
    assert not text.exact(Term("H2", "h2", 1.0))
    assert not Profile("A gadget filled with CO 2 gas.").exact(Term("CO2", "co2", 1.0))  # no markup, no formula
    # A nuclide's molecule and a lower-case label, with superscript and subscript markup, as typed.
    line = Profile("A gizmo locked to the ^127I_2 line, component a_9 (or g).")
    for asked in ("127I2", "a9"):
        assert line.exact(Term(asked, asked.lower(), 1.0)), asked
    assert not line.exact(Term("a1", "a1", 1.0))


def test_a_unit_written_by_symbol_after_a_figure_covers_its_name() -> None:
    text = Profile("The widget weighs 1.25(3) × 10^−3 kg and is kept at 293.15 K, under Annex K.")
    for asked in ("kilogram", "kilogramme", "kelvin"):
        assert text.exact(Term(asked, asked, 1.0)), asked
    # A symbol not after a figure names no unit: 'Annex K', a lone 'm' or 'A'.
    assert not Profile("See Annex K and table A for m.").exact(Term("kelvin", "kelvin", 1.0))
    assert not text.exact(Term("metre", "metre", 1.0))


def test_a_calendar_year_covers_the_word_year() -> None:
    """'Which year …', 'the count in the first year': a text that writes a year as a figure names one."""
    year = Term("year", "year", 1.0)
    assert Profile("The depot painted 40 widgets in 1987.").exact(year)
    assert Profile("Le dépôt a peint 40 gadgets en 1987.", "fr").exact(Term("année", "annee", 1.0))
    # A figure that is not a calendar year names none.
    assert not Profile("The depot painted 40 widgets in batches of 250.").exact(year)


@pytest.mark.parametrize(("question_word", "text", "covered"), [
    ("submit", "The deadline for submission of the forms is May.", True),
    ("decide", "The decision of the board was final.", True),
    ("extend", "An extension of the opening hours was granted.", True),
    ("admit", "Admission of new members is yearly.", True),
    ("access", "Members accept the rules.", False),  # 'access' is not 'accept' spelled before -ion
    ("process", "The procedure is short.", False),
])
def test_a_verb_is_covered_by_its_noun_in_ion(question_word: str, text: str, covered: bool) -> None:
    assert Profile(text).exact(Term(question_word, question_word, 1.0)) is covered


@pytest.mark.parametrize(("question_word", "text", "covered"), [
    ("eighth", "The 8th meeting of the ABC (Widgetville) closed on Friday.", True),
    ("fourth", "Recommendation 4: On widget colours", True),
    ("fourth", "4. Gadgets are painted blue.", True),
    ("huitième", "La 8e réunion de l'ABC s'est tenue à Gadgetville.", True),
    ("twenty-sixth", "The ABC held its 26th assembly.", True),
    ("fifth", "Recommendation 4: On widget colours", False),  # another number
    ("fourth", "The ABC painted 4 widgets.", False),  # a count, not a number something is given by
    ("first", "The 1st meeting of the ABC.", False),  # 'first' is as often an adverb ('who first proposed')
    ("second", "Recommendation 2: On widget colours", False),  # 'second' is as often the time unit
])
def test_a_spelled_ordinal_is_covered_by_the_number_a_text_gives_things_by(
        question_word: str, text: str, covered: bool) -> None:
    lang = "fr" if question_word.endswith("ième") else "en"
    assert Profile(text, lang).exact(Term(question_word, question_word, 1.0)) is covered


@pytest.mark.parametrize(("question_word", "text", "covered"), [
    ("11th", "recalling the decision of the Eleventh Widget Assembly", True),
    ("11e", "rappelant le vote de la Onzième Assemblée des gadgets", True),
    ("26th", "The ABC held its twenty-sixth assembly.", True),
    ("12th", "recalling the decision of the Eleventh Widget Assembly", False),  # another number
    ("2nd", "The gadget was calibrated a second time.", False),  # 'second' is as often the time unit
])
def test_an_ordinal_in_digits_is_covered_by_the_ordinal_spelled_out(question_word: str, text: str,
                                                                    covered: bool) -> None:
    lang = "fr" if question_word.endswith("e") else "en"
    assert Profile(text, lang).exact(Term(question_word, question_word, 1.0)) is covered


def test_a_text_is_profiled_once_and_reads_as_a_fresh_profile() -> None:
    from assistant.answer.coverage import profile_of

    text = "National metrology institutes adopted new calibration guidelines (NMI-CG) in 2019."
    shared = profile_of(text, "en")
    assert profile_of(text, "en") is shared  # the next question about this unit reads the same object
    fresh = Profile(text, "en")
    for name in ("lemmas", "stems", "_sorted_stems", "_long_roots", "words", "acronyms", "initials"):
        assert getattr(shared, name) == getattr(fresh, name), name
    assert profile_of(text, "fr") is not shared  # another language is another reading


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_profile_joined_from_parts_equals_the_profile_of_the_joined_text(lang: str) -> None:
    from assistant.answer.coverage import joined_profile_of

    parts = ("The NMI compared ^87Rb and ^171^Yb^+ clocks (CCTF).", "", "Asia-Pacific Metrology Programme",
             "la 11^e réunion du Comité", "International Bureau of Weights and Measures: annual report")
    whole, joined = Profile("\n".join(parts), lang), joined_profile_of(parts, lang)
    for name in ("text", "lemmas", "stems", "_sorted_stems", "_long_roots", "words", "acronyms", "initials",
                 "numbers"):
        assert getattr(joined, name) == getattr(whole, name), name
    assert joined.exact(Term("CCTF", "cctf", 1.0)) and joined.exact(Term("rubidium", "rubidium", 1.0))


def test_derivation_match_equals_comparing_every_stem_and_root() -> None:
    """The sorted-stem and root-prefix lookups answer what comparing the root with each stem and its root does."""
    from assistant.answer.coverage import DERIVATION_MIN
    from assistant.text import derivational_root, stem_root

    profile = Profile("Applications were submitted; the decision extended the measurement of masses in parts.")
    for word in ("apply", "application", "submission", "submit", "decide", "decisive", "extension", "measure",
                 "measurable", "mass", "part", "partial", "party", "unrelated", "ext", "applicant", "decimal"):
        root = derivational_root(word)
        brute = len(root) >= DERIVATION_MIN and any(
            s.startswith(root) or (len(stem_root(s)) >= DERIVATION_MIN and root.startswith(stem_root(s)))
            for s in profile.stems)
        assert profile._derived(root) == brute, word
    assert profile._derived(derivational_root("application"))  # the match still happens


def test_kept_lemmas_are_handed_out_as_new_lists() -> None:
    from assistant.text import content_lemmas

    first = content_lemmas("Laboratories compared their clocks", "en")
    first.append("garbage")
    assert content_lemmas("Laboratories compared their clocks", "en") == ["laboratory", "compare", "clock"]
