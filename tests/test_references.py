"""Question references (meeting, year, numbered item) matched to document metadata."""

from __future__ import annotations

from assistant.question import references as r
from assistant.types import Document

BODIES = frozenset({"ABC", "XYZC"})


def doc(title: str, date: str, body: str | None = "ABC") -> Document:
    return Document("d", "s", title, "text", date=date, meta={"body": body} if body else {})


def test_parse_finds_body_ordinal_year_and_item() -> None:
    ref = r.parse("What did Resolution 4 of the 12th ABC (1999) decide?", BODIES)
    assert ref.bodies == {"ABC"} and ref.meeting == 12 and ref.years == {"1999"}
    assert ref.items == {("resolution", "4")}
    assert ref.names_document


def test_parse_french_ordinal_and_item() -> None:
    ref = r.parse("Que dit la Résolution 2 de la 7e réunion de la XYZC ?", BODIES)
    assert ref.bodies == {"XYZC"} and ref.meeting == 7 and ref.items == {("resolution", "2")}


def test_ordinals_spelled_out_number_items_and_meetings_in_both_languages() -> None:
    ref = r.parse("What was the third recommendation of the twelfth ABC about?", BODIES)
    assert ref.meeting == 12 and ref.items == {("recommendation", "3")}
    ref = r.parse("Que dit la deuxième résolution de la septième réunion de la XYZC ?", BODIES)
    assert ref.meeting == 7 and ref.items == {("resolution", "2")}
    # A body's short name counts as what the ordinal numbers ('the first Widget Assembly' is the 1st ABC).
    assert r.parse("What did the first widget assembly adopt?", BODIES, {"widget assembly": "ABC"}).meeting == 1


def test_a_spelled_ordinal_alone_names_nothing() -> None:
    # 'second' is also a unit and 'first' an adverb: neither names a meeting unless a meeting or body follows.
    ref = r.parse("How was the second first defined by the ABC?", BODIES)
    assert ref.meeting is None and not ref.items
    ref = r.parse("What did the 12th ABC say in its second resolution?", BODIES)
    assert ref.meeting == 12 and ref.items == {("resolution", "2")}
    # The same meeting in digits and in words is one meeting; a third meeting would make it ambiguous.
    assert r.parse("The twelfth ABC, also called the 12th ABC, and its third recommendation", BODIES).meeting == 12
    ref = r.parse("What did the third recommendation of the 3rd ABC say?", BODIES)
    assert ref.meeting == 3 and ref.items == {("recommendation", "3")}


def test_an_ordinal_numbering_an_edition_an_anniversary_or_a_day_is_no_meeting() -> None:
    for asked in ("What did the ABC add to its widget guide's 9th edition?",
                  "Which chapters does the 9th Widget Brochure of the ABC add?",
                  "Quels chapitres la 9e édition du guide de l'ABC ajoute-t-elle ?",
                  "How will the ABC mark the widget treaty's 40th anniversary?",
                  "Que change le règlement de l'ABC au 1er mars 2031 ?"):
        assert r.parse(asked, BODIES).meeting is None, asked
    # The meeting beside it is still read.
    assert r.parse("Did the 12th ABC discuss the widget guide's 9th edition?", BODIES).meeting == 12
    assert r.parse("What did the 12th ABC October session decide?", BODIES).meeting == 12


def test_unknown_bodies_and_plain_numbers_are_not_references() -> None:
    ref = r.parse("How many of the 40 staff work in the QRS lab?", BODIES)
    assert not ref and not ref.names_document


def test_document_reference_from_title_and_date() -> None:
    ref = r.of_document(doc("103rd meeting of the ABC (Session I)", "2014-06-12"))
    assert ref.bodies == {"ABC"} and ref.meeting == 103 and ref.years == {"2014"}


def test_a_committees_guide_takes_the_body_its_committee_metadata_names() -> None:
    """A guide's metadata names its committee in full ('Consultative Committee for Widgets'), not by acronym:
    the collection's full names of its bodies (lower case) give the body its records are filed under."""
    guide = Document("g", "s", "Guide to widget calibration", "text", date="2019-05-20",
                     meta={"committee": "Consultative Committee for Widgets"})
    committees = {"consultative committee for widgets": "CCW"}
    assert r.of_document(guide, committees).bodies == {"CCW"} and r.of_document(guide).bodies == frozenset()
    assert r.of_document(guide, committees).years == {"2019"}
    assert r.of_document(doc("12th meeting of the ABC", "1999-10-15"), committees).bodies == {"ABC"}  # its own


def test_document_match_requires_agreement_on_every_named_part() -> None:
    d = r.of_document(doc("12th meeting of the ABC", "1999-10-15"))
    assert r.document_match(r.parse("12th ABC", BODIES), d) == 1.0
    assert r.document_match(r.parse("ABC 1999 decisions", BODIES), d) == 1.0
    assert r.document_match(r.parse("13th ABC", BODIES), d) == 0.0
    assert r.document_match(r.parse("XYZC 1999", BODIES), d) == 0.0
    assert r.document_match(r.parse("ABC 2001", BODIES), d) == 0.0
    assert r.document_match(r.parse("the 1999 resolution", BODIES), d) == 0.0  # no body: not specific


def test_section_items_read_headings() -> None:
    assert r.section_items("Resolution 4: On the dotation of the budget") == {("resolution", "4")}
    assert r.section_items("Decision ABC/105-13") == {("decision", "105-13")}
    assert r.section_items("Terms and conditions") == frozenset()


def test_full_names_are_the_longest_frequent_runs_before_a_bodys_acronym() -> None:
    texts = [
        *["The Advisory Board for Colour (ABC) met. "] * 3,
        *["- Advisory Board for Colour (ABC)\n"] * 2,
        *["President of the Advisory Board for Colour (ABC). "] * 2,  # too rare to be a name of its own
        *["Le Conseil consultatif de la couleur (ABC) a siégé. "] * 5,
        *["Resolution 2 of the 7th Widget Assembly (XYZC) says. "] * 6,  # the citation is not a name; its end is
        *["The Unknown Body (UB) met. "] * 6,  # not a body of the collection
    ]
    names = r.full_names(texts, BODIES)
    assert names == {"ABC": ("Conseil consultatif de la couleur", "Advisory Board for Colour"),
                     "XYZC": ("Widget Assembly",)}
    text = r.named_as(doc("12th meeting of the ABC", "1999-10-15"), r.of_document(doc("12th meeting of the ABC",
                      "1999-10-15")), {}, names)
    assert "Advisory Board for Colour" in text and "Conseil consultatif de la couleur" in text


def test_a_body_whose_name_does_not_spell_its_acronym_expands_to_its_full_names() -> None:
    from assistant.retrieve.corpus import CorpusView
    from assistant.types import Chunk

    texts = ["The Comité pour la Couleur (CCQC) met. The World Weather Watch (WWW) reported."] * 5
    docs = [Document(f"d{i}", "s", "12th meeting of the CCQC", t, meta={"body": "CCQC"}) for i, t in enumerate(texts)]
    view = CorpusView.__new__(CorpusView)  # only what the acronym table reads: documents and chunks
    view.documents = {d.doc_id: d for d in docs}
    view.chunks = [Chunk(f"c{i}", d.doc_id, d.text, 0, len(d.text)) for i, d in enumerate(docs)]
    assert view.acronyms["CCQC"] == "Comité pour la Couleur"  # its letters do not spell it: a body's full name
    assert view.acronyms["WWW"] == "World Weather Watch"  # spelled out: as before
    # An acronym spelled out in two languages keeps both names.
    both = [*texts, *["La Veille météorologique mondiale (WWW) publie."] * 5]
    docs = [Document(f"e{i}", "s", "Weather notes", t) for i, t in enumerate(both)]
    view = CorpusView.__new__(CorpusView)
    view.documents = {d.doc_id: d for d in docs}
    view.chunks = [Chunk(f"c{i}", d.doc_id, d.text, 0, len(d.text)) for i, d in enumerate(docs)]
    assert view.acronyms["WWW"].split("; ") == ["World Weather Watch", "Veille météorologique mondiale"]


def test_a_record_is_held_when_a_document_matches_or_its_body_has_the_year_named() -> None:
    docs = [r.of_document(doc("12th meeting of the ABC", "1999-10-15")),
            r.of_document(doc("103rd meeting of the XYZC", "2024-03-10", body="XYZC"))]
    assert r.recorded(r.parse("What did the 12th ABC decide?", BODIES), docs)
    assert r.recorded(r.parse("How many staff does the ABC have?", BODIES), docs)  # names no record
    assert not r.recorded(r.parse("What did the 13th ABC decide?", BODIES), docs)
    assert not r.recorded(r.parse("What did the ABC decide in 2005?", BODIES), docs)
    # A later meeting planned in a record of the year the question names: that record holds it.
    assert r.recorded(r.parse("When will the 30th ABC meet, per the XYZC in 2024?", BODIES), docs)
    # A year named without a meeting may be what the next year's meeting decided on (the 1998 accounts).
    assert r.recorded(r.parse("What did the ABC do with the 1998 accounts?", BODIES), docs)
    assert not r.recorded(r.parse("What did the 11th ABC do with the 1998 accounts?", BODIES), docs)
    assert r.unrecorded_words("Quand aura lieu la 13e réunion de la ABC ?",
                              r.parse("Quand aura lieu la 13e réunion de la ABC ?", BODIES)) == ["13e ABC"]


def test_a_year_that_dates_what_was_decided_on_also_names_the_bodys_records_of_the_next_year() -> None:
    docs = {"m11": r.of_document(doc("11th meeting of the ABC", "2011-06-01")),
            "m12": r.of_document(doc("12th meeting of the ABC", "2012-06-01")),
            "x12": r.of_document(doc("5th meeting of the XYZC", "2012-06-01", body="XYZC"))}
    # 'the 2011 accounts' are approved at the ABC's 2012 meeting: both years' records are the ones named.
    assert r.records_of(r.parse("What did the ABC decide about its 2011 accounts?", BODIES), docs) == {"m11", "m12"}
    # A year written as when the body met names that meeting only.
    for asked in ("What did the ABC decide in 2011 about its accounts?", "At its June 2011 session, what did "
                  "the ABC decide?"):
        ref = r.parse(asked, BODIES)
        assert ref.dated == {"2011"} and r.records_of(ref, docs) == {"m11"}
    # So does a meeting named by its ordinal.
    assert r.records_of(r.parse("What did the 11th ABC decide about its 2011 accounts?", BODIES), docs) == {"m11"}


def test_a_bodys_acronym_followed_by_a_small_number_names_its_meeting() -> None:
    assert r.with_ordinals("What did ABC 12 (1999) decide?", BODIES) == "What did 12th ABC (1999) decide?"
    ref = r.parse("What did ABC 12 (1999) decide about widgets?", BODIES)
    assert ref.meeting == 12 and ref.bodies == {"ABC"} and ref.years == {"1999"}
    assert r.parse("Which widgets did ABC 2011 list?", BODIES).meeting is None  # a year, not a number
    assert r.parse("What does Decision ABC/12-3 say?", BODIES).meeting is None  # a decision's number
    assert r.parse("What did QRS 12 decide?", BODIES).meeting is None  # not a body of the collection
    assert r.with_ordinals("at ABC 1 and XYZC 23", BODIES) == "at 1st ABC and 23rd XYZC"


def test_a_committee_is_named_by_its_full_name_and_by_each_word_of_its_subject() -> None:
    full = {"ABC": ("Advisory Committee for Paint and Varnish",), "XYZC": ("Standing Committee on Varnish Testing",),
            "DEF": ("Council of the Gadget Makers",)}
    names = r.question_names({"advisory committee": "ABC"}, full)
    ref = r.parse("What did the varnish and paint committee decide at its 12th session?", frozenset(full), names)
    assert ref.bodies == {"ABC"} and ref.meeting == 12 and ref.names_document
    assert r.parse("Did the Standing Committee on Varnish Testing meet in 1999?", frozenset(full), names).bodies == {"XYZC"}
    # 'varnish' is a word of two bodies' names: it names neither; a council is not named for a subject
    assert "varnish committee" not in names and "gadget committee" not in names
    assert names["advisory committee"] == "ABC" and names["testing committee"] == "XYZC"


def test_an_item_the_named_meetings_records_do_not_hold_is_unlisted() -> None:
    from types import SimpleNamespace

    from assistant.assistant import _unlisted

    sections = {"m12": ["Recommendation 1: On widgets", "Recommendation 2: On gadgets", ""]}
    corpus = SimpleNamespace(units=lambda d: [SimpleNamespace(section=s) for s in sections[d]])
    asked, text = frozenset({("recommendation", "3")}), "Tell me about the 12th ABC's Recommendation 3."
    assert _unlisted(corpus, text, asked, frozenset({"m12"})) == ("Recommendation 3",)
    assert _unlisted(corpus, text, frozenset({("recommendation", "2")}), frozenset({"m12"})) == ()
    # No record named, or records without items of that kind: nothing to tell
    assert _unlisted(corpus, text, asked, frozenset()) == ()
    assert _unlisted(corpus, text, frozenset({("resolution", "3")}), frozenset({"m12"})) == ()
    # Another meeting's item, numbered with its meeting ('Recommendation 3/1' of the 3rd meeting)
    assert _unlisted(corpus, "Did the 12th ABC amend Recommendation 3/1?", asked, frozenset({"m12"})) == ()
