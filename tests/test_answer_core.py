"""The extractive answerer on hand-built evidence over a tiny inline corpus.

No model: a hashing bag-of-words embedder stands in for MiniLM, so what is tested is the answerer's own
mechanism (coverage of the question's terms, references checked against document metadata), not embeddings.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.answer import answer_type
from assistant.answer.compose import compose
from assistant.answer.coverage import TermMatcher, profile_of
from assistant.answer.draft import Block, Draft
from assistant.answer.evidence import Unit, units_of
from assistant.answer.extractive import (
    Evidence,
    ExtractiveAnswerer,
    Scored,
    _as_tables,
    _context_parts,
    _from_named_source,
    _is_header,
    _main_units,
    _whole_when_several,
    _with_antecedent,
    _with_continuation,
    _with_date_field,
    _with_examples,
    _with_following,
    _with_leads,
    _with_operative,
    _with_table_below,
)
from assistant.question import references as refs
from assistant.retrieve.acronyms import find_expansions
from assistant.retrieve.lexical import LexicalIndex
from assistant.retrieve.query import Question, analyse
from assistant.settings import load_settings
from assistant.types import Document, Section

DIM = 256


class HashEmbedder:
    """Deterministic bag-of-words vectors: equal words agree, different words are near-orthogonal."""

    name = "hash"
    dim = DIM

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.strip(".,:;?").encode()).hexdigest(), 16) % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def meeting(doc_id: str, ordinal: str, year: str, heading: str, body_text: str) -> Document:
    """A meeting record the way ingest cleans one: the title names the meeting, the date its year."""
    head = f"{heading}\n\n"
    text = head + body_text
    return Document(doc_id, f"https://example.org/{doc_id}", f"{ordinal} meeting of the ABC", text,
                    sections=(Section(heading, 0, len(text)),), date=f"{year}-10-01",
                    meta={"body": "ABC", "date": f"{year}-10-01"})


DOCS = [
    meeting("m12", "12th", "1999", "Resolution 3: On widgets",
            "The Assembly of Bureaux and Committees (ABC), considering the needs of users, "
            "decides that widgets shall be painted blue from 2001 onwards."),
    meeting("m13", "13th", "2003", "Resolution 1: On gadgets",
            "The ABC decides that gadgets are to be calibrated every two years by the Gadget Laboratory."),
]


@pytest.fixture()
def answerer() -> tuple[ExtractiveAnswerer, HashEmbedder]:
    settings = load_settings()
    emb = HashEmbedder()
    matcher = TermMatcher(emb, low=settings.term_match - 0.17, high=settings.term_match + 0.13)
    return ExtractiveAnswerer(settings, matcher), emb


def evidence(question: str, emb: HashEmbedder, named: dict[str, str], docs: list[Document] = DOCS) -> Evidence:
    units = [u for d in docs for u in units_of(d)]
    vectors = emb.embed([f"{u.section}: {u.text}" for u in units])
    return Evidence(
        units=units, vectors=vectors, question_vector=emb.embed([question])[0],
        titles={d.doc_id: d.title for d in docs}, named=named,
        passage_rank={(u.doc_id, u.index): 1 for u in units},
        siblings={d.doc_id: units_of(d) for d in docs},
        acronyms=find_expansions(d.text for d in docs),
    )


def named_as(docs: list[Document] = DOCS) -> dict[str, str]:
    return {d.doc_id: refs.named_as(d, refs.of_document(d), {}) for d in docs}


def question(text: str, docs: list[Document] = DOCS):
    lexical = LexicalIndex([d.text for d in docs], ["en"] * len(docs))
    return analyse(text, lexical.vocab, lexical.idf)


@pytest.mark.parametrize("asked", [
    "What did the 12th ABC decide about widgets?",
    "What did the ABC decide in 1999 about widgets?",
])
def test_a_meeting_named_by_ordinal_or_year_is_checked_against_the_documents_metadata(answerer, asked) -> None:
    bot, emb = answerer
    draft = bot.draft(question(asked), evidence(asked, emb, named_as()))
    assert not draft.abstained
    assert "painted blue" in draft.blocks[0].units[0].text
    # The same quote without its document's metadata: the year (in no word of the record) is not covered.
    bare = bot.draft(question(asked), evidence(asked, emb, {}))
    if "1999" in asked:
        assert bare.abstained and bare.reason == "missing_terms"


def test_a_quote_may_leave_out_one_of_many_key_nouns_but_not_a_figure_a_name_or_a_yes_no_question(answerer) -> None:
    bot, emb = answerer

    def drafted(asked: str, **update) -> Draft:
        answering = ExtractiveAnswerer(bot.settings.model_copy(update=update), bot.matcher) if update else bot
        return answering.draft(question(asked), evidence(asked, emb, named_as()))

    # Six key nouns, the quote covers all but 'members': answered, and the answer names what it leaves out.
    asked = "What did the 12th ABC decide in 1999 about painting the widgets of its members?"
    draft = drafted(asked)
    assert not draft.abstained and draft.partial == ["members"]
    assert "painted blue" in draft.blocks[0].units[0].text
    corpus = SimpleNamespace(documents={d.doc_id: d for d in DOCS}, references={})
    assert compose(draft, corpus, [], "")[0].endswith("\n\nNot answered by these quotes: members")
    assert drafted(asked, tolerate_missing=0).abstained  # 0: every key noun must be covered
    assert drafted(asked, keys_per_missing=7).abstained  # too few key nouns for one to be left out
    # Not when the question asks yes or no, nor when what is left out is a figure or a name.
    for other in ("Did the 12th ABC decide in 1999 to paint the widgets of its members?",
                  "What did the 12th ABC decide in 1999 about painting the widgets of its Members?",
                  "What did the 12th ABC decide in 1999 about painting the widgets of its 40 members?"):
        assert drafted(other).abstained, other
    # A question asking for a date is answered the same way by the unit holding one: no unit holding a date
    # covers every key noun, so the one leaving out one of many leads, named as partial.
    dated = drafted("In which year did the 12th ABC want the widgets of its members painted blue?")
    assert not dated.abstained and dated.partial == ["members"] and "2001" in dated.blocks[0].units[0].text
    # Not one asking for a figure, which nearly every unit holds: a count of something else is no answer.
    docs = [*DOCS, meeting("m14", "14th", "2007", "Resolution 2: On gizmos",
                           "The ABC notes that 40 gizmos of its members were painted green by the Gizmo Laboratory.")]
    counted = "How many gizmos of the 14th ABC's widgets were painted green by the Gizmo Laboratory?"
    draft = bot.draft(question(counted, docs), evidence(counted, emb, named_as(docs), docs))
    assert draft.abstained and draft.reason == "missing_need"
    # What the question asks for is never left out: the words after 'what' / 'which' / 'how many'.
    from assistant.answer.extractive import _specific

    q = question("What was the yearly fee for the widgets the ABC painted?")
    by_word = {t.word: t for t in q.terms}
    assert _specific(q, by_word["fee"]) and not _specific(q, by_word["widgets"])
    assert _specific(q, by_word["ABC"])
    # The role a 'who' question asks for, and what a keyword question names after its colon.
    q = question("Widget committee of the ABC, 1999: who was its treasurer?")
    by_word = {t.word: t for t in q.terms}
    assert _specific(q, by_word["treasurer"]) and not _specific(q, by_word["committee"])
    q = question("What was the yearly fee for widgets whose handles the ABC painted?")  # a relative clause
    by_word = {t.word: t for t in q.terms}
    assert _specific(q, by_word["fee"]) and not _specific(q, by_word["handles"])
    q = question("Widget painting by the ABC in 1999: vote count?")
    by_word = {t.word: t for t in q.terms}
    assert _specific(q, by_word["vote"]) and not _specific(q, by_word["painting"])


def test_a_name_nearly_every_passage_uses_is_not_one_a_quote_may_never_leave_out() -> None:
    """'the ABC's widget fee', where the ABC publishes every document: a decision on 'the fee' need not name it.
    A rarer name (a laboratory) and a figure stay specific whatever their weight."""
    from assistant.answer.extractive import _specific
    from assistant.retrieve.query import Term

    q = question("What widget fee did the ABC ask the Gizmo Lab to pay in 1999?")
    common = Term("ABC", "abc", 0.5, known=True)
    rare, year = Term("Gizmo", "gizmo", 6.0, known=True), Term("1999", "1999", 0.5, known=True)
    assert not _specific(q, common, common_weight=2.0) and _specific(q, common)  # 0: every name is specific
    assert _specific(q, rare, common_weight=2.0) and _specific(q, year, common_weight=2.0)
    # A name the collection never uses is specific: its weight says nothing of how often it is used.
    assert _specific(q, Term("XYZ", "xyz", 0.5), common_weight=2.0)


def test_only_the_noun_a_list_question_asks_for_must_be_named_not_its_other_plural_nouns() -> None:
    from assistant.answer.extractive import _asked_classes

    # Every plural noun of a list question is soft, but the quote must name only what is asked: colours.
    q = question("Which colours does the ABC allow for widgets whose handles are painted?")
    assert set(q.soft) == {"colour", "widget", "handle"}
    assert set(_asked_classes(q, q.soft)) == {"colour"}
    # With no 'which' / 'what' to read the asked noun from, every class noun stays.
    q = question("List the widgets and gadgets the ABC decided on.")
    assert set(_asked_classes(q, q.soft)) == {"widget", "gadget"}


def test_a_meeting_asked_about_is_answered_from_its_own_record_not_from_a_later_recall(answerer) -> None:
    bot, emb = answerer
    later = meeting("m20", "20th", "2015", "Resolution 2: On widgets again",
                    "The ABC, recalling that in 1999 the ABC decided about widgets, decides that widgets need no paint.")
    docs = [*DOCS, later]
    asked = "What did the ABC decide in 1999 about widgets?"
    ev = evidence(asked, emb, named_as(docs), docs)
    first = bot.draft(question(asked, docs), ev)
    assert not first.abstained and "recalling" in first.blocks[0].units[0].text  # the later text's words match best
    # The records of the meeting the question names answer it, when they cover it.
    draft = bot.draft(question(asked, docs), replace(ev, referenced=frozenset({"m12"})))
    assert not draft.abstained and "painted blue" in draft.blocks[0].units[0].text
    # A record that does not cover the question does not displace what does.
    other = bot.draft(question(asked, docs), replace(ev, referenced=frozenset({"m13"})))
    assert "recalling" in other.blocks[0].units[0].text


def kept_for_the_12th(answerer, asked: str, docs: list[Document], **update) -> set[str]:
    """The documents whose units `_of_record` keeps for ``asked`` when the 12th ABC's record is the one named."""
    from assistant.answer.extractive import _of_record

    bot, emb = answerer
    ev = replace(evidence(asked, emb, named_as(docs), docs), referenced=frozenset({"m12"}), **update)
    q = question(asked, docs)
    return {s.unit.doc_id for s in _of_record(q, bot._score(q, ev), ev)}


def test_an_earlier_record_that_names_the_meeting_asked_about_may_answer_what_was_planned_for_it(answerer) -> None:
    before = meeting("m11", "11th", "1995", "Resolution 4: On the next meeting",
                     "The 12th meeting of the ABC will be hosted by the Gadget Laboratory in Lyon.")
    after = meeting("m14", "14th", "2007", "Resolution 2: On history",
                    "The 12th meeting of the ABC was hosted by a laboratory of the host country.")
    docs = [*DOCS, before, after]
    asked = "Which laboratory was to host the 12th ABC meeting?"
    dates = {d.doc_id: d.date for d in docs}
    # The record of the 12th covers the question's names (ABC, 12th, meeting), so texts that do not name the
    # meeting are set aside; the earlier record that names it says what was planned, a later one only recalls.
    assert kept_for_the_12th(answerer, asked, docs, dates=dates) == {"m12", "m11"}
    # Without the documents' dates, no text outside the record is read as planning the meeting.
    assert kept_for_the_12th(answerer, asked, docs) == {"m12"}


def test_a_text_that_does_not_name_the_meeting_asked_about_does_not_lead_over_its_record(answerer) -> None:
    other = meeting("m14", "14th", "2007", "Resolution 5: On widget fees",
                    "The ABC decides that widget owners pay an annual widget fee of 3 %.")
    recalling = meeting("m21", "21st", "2020", "Resolution 1: On gadgets",
                        "The ABC, noting that in 1999 the 12th ABC set widget fees, decides to keep them.")
    docs = [*DOCS, other, recalling]
    # No unit of the record covers the question ('fee' is not in it), so the others are not all set aside...
    kept = kept_for_the_12th(answerer, "What annual widget fee did the 12th ABC (1999) set for new owners?", docs)
    assert "m12" in kept and "m21" in kept  # a later text that names the meeting may still answer
    # ... but one that does not name the meeting (the 14th's fee) cannot answer what the 12th set.
    assert "m14" not in kept


def test_a_later_text_that_names_the_meeting_may_give_the_kind_of_answer_its_record_does_not(answerer) -> None:
    record = meeting("m12", "12th", "1999", "Resolution 3: On widgets", "The ABC decides that widgets shall be painted blue.")
    later = meeting("m21", "21st", "2020", "Resolution 1: On history",
                    "In October 1999 the 12th ABC decided that 40 widgets shall be painted blue.")
    docs = [record, DOCS[1], later]
    dates = {d.doc_id: d.date for d in docs}
    # The record covers the question but gives no date: the later text that names the meeting and dates it stays.
    assert "m21" in kept_for_the_12th(answerer, "In which month did the 12th ABC decide that widgets shall be painted blue?",
                                      docs, dates=dates)
    # Asked for no kind of answer, or for a figure (which nearly every text holds), the record alone answers.
    assert kept_for_the_12th(answerer, "What did the 12th ABC decide about painting widgets blue?", docs,
                             dates=dates) == {"m12"}
    assert kept_for_the_12th(answerer, "How many widgets did the 12th ABC decide to paint blue?", docs,
                             dates=dates) == {"m12"}


def _two_recommendations() -> Document:
    """One record holding two numbered items, each under its own heading."""
    first = "Recommendation 1: On widgets\n\nThe 12th ABC recommends that widgets be stored dry.\n\n"
    second = "Recommendation 3: On gadgets and widgets\n\nThe ABC recommends that widgets be painted green."
    text = first + second
    return Document("r12", "https://example.org/r12", "12th meeting of the ABC", text,
                    sections=(Section("Recommendation 1: On widgets", 0, len(first)),
                              Section("Recommendation 3: On gadgets and widgets", len(first), len(text))),
                    date="1999-10-01", meta={"body": "ABC", "date": "1999-10-01"})


def _plain(doc_id: str, title: str, text: str) -> Document:
    return Document(doc_id, f"https://example.org/{doc_id}", title, text, sections=(Section(title, 0, len(text)),))


def test_units_of_the_document_a_question_names_as_its_source_go_first(answerer) -> None:
    _, emb = answerer
    handbook = _plain("hb", "The gizmo handbook", "Gizmos leave the works in a dark blue finish.")
    guide = _plain("wg", "Widget guide", "Gizmos are painted red by most widget makers.")
    docs = [guide, handbook]

    def first(asked: str, order: list[str]) -> str:
        q, ev = question(asked, docs), evidence(asked, emb, named_as(docs), docs)
        by_doc = {u.doc_id: u for u in ev.units}
        scored = [Scored(by_doc[d], 1.0 - n / 10, 0.5, {}, False) for n, d in enumerate(order)]
        return _from_named_source(q, scored, ev)[0].unit.doc_id

    # The guide's sentence says more of the question's words, but the question names the handbook.
    assert first("According to the gizmo handbook, what colour are gizmos painted?", ["wg", "hb"]) == "hb"
    assert first("What colour are gizmos painted?", ["wg", "hb"]) == "wg"  # no source named
    assert first("According to the gizmo catalogue, what colour are gizmos painted?", ["wg", "hb"]) == "wg"


def test_a_figure_asked_for_may_leave_the_source_named_to_its_document(answerer) -> None:
    # The date is in one sentence; the body the question names the note by ('the XYZ note') is said only in
    # another sentence of the note: the words naming where to look are the document's to say, for the unit
    # with the figure as for the check.
    bot, emb = answerer
    note = _plain("nt", "Gadget note", "In 2004 the ABC approved the gadget rules.\n\nGadgets are sold in blue.\n\n"
                                       "This note was prepared by the XYZ for gadget owners.")
    docs = [note, _plain("wg", "Widget guide", "Widgets are painted red by most widget makers.")]
    asked = "In which year did the ABC approve its rules, according to the XYZ note?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert not draft.abstained and "In 2004" in draft.blocks[0].units[0].text
    # A year in that phrase names the record itself: a note that only mentions the year elsewhere is not it.
    dated = _plain("nt", "Gadget note", "In 2004 the ABC approved the gadget rules.\n\nGadgets are sold in blue.\n\n"
                                        "This note was prepared by the XYZ for gadget owners.\n\nIt will be revised in 2009.")
    docs = [dated, docs[1]]
    asked = "In which year did the ABC approve its rules, according to the XYZ note of 2009?"
    assert bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs)).abstained


def test_a_numbered_item_asked_about_is_answered_from_that_item_not_from_another_of_its_kind(answerer) -> None:
    bot, emb = answerer
    docs = [_two_recommendations()]
    asked = "What did Recommendation 3 of the 12th ABC recommend about widgets?"
    ev = evidence(asked, emb, named_as(docs), docs)
    q = question(asked, docs)
    # Read without the item, the other recommendation's sentence matches more of the question's words.
    assert "stored dry" in bot.draft(q, ev).blocks[0].units[0].text
    draft = bot.draft(q, replace(ev, items=refs.parse(asked, frozenset({"ABC"})).items))
    assert not draft.abstained and "painted green" in draft.blocks[0].units[0].text
    assert all("stored dry" not in u.text for u in draft.units)


def test_a_unit_of_another_item_that_names_the_item_asked_about_still_answers(answerer) -> None:
    from assistant.answer.extractive import _of_item

    bot, emb = answerer
    text = ("Decision 7: On widgets\n\nThe ABC asks for widgets.\n\n"
            "Decision 8: On delays\n\nThe ABC defers action on Decision 7 until 2001.")
    cut = text.index("Decision 8")
    doc = Document("d12", "https://example.org/d12", "12th meeting of the ABC", text,
                   sections=(Section("Decision 7: On widgets", 0, cut), Section("Decision 8: On delays", cut, len(text))),
                   date="1999-10-01", meta={"body": "ABC", "date": "1999-10-01"})
    asked = "Until when did the ABC defer action on Decision 7?"
    ev = replace(evidence(asked, emb, named_as([doc]), [doc]), items=frozenset({("decision", "7")}))
    q = question(asked, [doc])
    kept = {s.unit.text for s in _of_item(bot._score(q, ev), ev)}
    assert "The ABC defers action on Decision 7 until 2001." in kept  # names the item in its own words
    assert "Decision 8: On delays" not in kept  # another item's heading


def test_a_pronoun_follow_up_names_the_meeting_of_the_question_it_follows() -> None:
    from assistant.assistant import Assistant
    from assistant.retrieve.condense import condense

    records = {12: frozenset({"m12"}), 13: frozenset({"m13"})}
    corpus = SimpleNamespace(bodies=frozenset({"ABC"}), body_names={}, question_names={},
                             referenced=lambda ref: records.get(ref.meeting, frozenset()))
    history = [{"role": "user", "content": "What did the 12th ABC decide about widgets?"},
               {"role": "assistant", "content": "They are painted blue."}]
    follow = condense("Who chaired that session?", history)
    assert follow.mode == "pronoun"
    assert Assistant._referenced(corpus, follow.text, follow) == {"m12"}
    assert Assistant._referenced(corpus, follow.text) == frozenset()  # read alone it names no meeting
    # A follow-up naming a meeting of its own keeps it.
    own = condense("Who chaired it at the 13th ABC?", history)
    assert Assistant._referenced(corpus, own.text, own) == {"m13"}


def test_a_pronoun_follow_up_is_searched_with_the_start_of_the_answer_it_follows() -> None:
    from assistant.assistant import _embedded
    from assistant.retrieve.condense import condense

    history = [{"role": "user", "content": "Which gadget does the workshop lend out?"},
               {"role": "assistant", "content": "The brass torque meter [1], kept in room 4 [2]."}]
    follow = condense("What does that one do?", history)
    text = _embedded(follow, answer_words=4)
    assert "brass torque meter" in text and "Which gadget" in text and "that one do" in text
    assert "[1]" not in text and "room" not in text  # citation marks dropped; only the leading words
    assert _embedded(follow, answer_words=0) == f"{follow.context} {follow.text}"
    alone = condense("What does the workshop lend out?", [])
    assert _embedded(alone, answer_words=4) == alone.text


def test_named_as_gives_dated_title_body_names_and_both_ordinal_forms() -> None:
    doc = DOCS[0]
    text = refs.named_as(doc, refs.of_document(doc), {"assembly of": "ABC", "other name": "XYZ"})
    assert text == "12th meeting of the ABC (1999) · assembly of · 12th 12e · October octobre"
    assert refs.ordinal_forms(1) == "1st 1er 1re" and refs.ordinal_forms(22) == "22nd 22e"
    assert refs.ordinal_forms(113) == "113th 113e"


def test_an_acronym_asked_is_covered_by_the_expansion_the_documents_give(answerer) -> None:
    bot, emb = answerer
    asked = "What did the ABC decide about calibrating gadgets at the GL?"
    docs_with_expansion = "The Gadget Laboratory (GL) keeps the reference gadgets."
    ev = evidence(asked, emb, named_as())
    ev = Evidence(**{**ev.__dict__, "acronyms": {**ev.acronyms, **find_expansions([docs_with_expansion])}})
    draft = bot.draft(question(asked), ev)
    assert not draft.abstained
    assert "every two years" in draft.blocks[0].units[0].text


def test_the_off_topic_gate_reads_the_first_stage_relevance_when_given(answerer) -> None:
    bot, emb = answerer
    asked = "What did the 12th ABC decide about widgets?"
    ev = evidence(asked, emb, named_as())
    assert not bot.draft(question(asked), ev).abstained  # its units are close enough to the question
    # The same units after a second stage, when hybrid search alone found nothing near the question.
    gated = bot.draft(question(asked), replace(ev, relevance=bot.settings.min_relevance - 0.01))
    assert gated.abstained and gated.reason == "off_topic"
    assert not bot.draft(question(asked), replace(ev, relevance=bot.settings.min_relevance)).abstained
    # A question whose best passage only shares a word or two with it (cosine 0.15) is off topic: answerable
    # questions' best passages are at 0.24 or more.
    gated = bot.draft(question(asked), replace(ev, relevance=0.15))
    assert gated.abstained and gated.reason == "off_topic"


@pytest.mark.parametrize("text, expected", [
    ("Why didn't the board adopt it?", ["board", "adopt"]),
    ("Pourquoi le comité n'est-il pas réuni, a-t-elle demandé ?", ["comite", "reunir", "demander"]),
    ("an X-ray source", ["x-ray", "source"]),
    # 'vs' sets two things side by side, as 'or' does: a quote need not write it
    ("Widgets vs gadgets: which is heavier?", ["widget", "gadget", "heavy"]),
])
def test_pieces_of_stop_words_are_not_content_words(text: str, expected: list[str]) -> None:
    from assistant.text import content_lemmas

    assert content_lemmas(text, "fr" if "Pourquoi" in text else "en") == expected


def test_a_french_question_is_checked_in_its_own_words_against_a_french_quote(answerer) -> None:
    """The glossary's English ('retirement') is not in a French quote; the French word it came from is."""
    from dataclasses import replace

    from assistant.question.read import in_own_words, read

    bot, emb = answerer
    asked = "Que dit le comité sur la caisse de retraite ?"
    doc = Document("fr", "https://example.org/fr", "Séance du comité", "Décision du comité : la caisse de "
                   "retraite sera auditée chaque année.", language="fr", meta={"date": "2009-10-01"})
    english = read(asked, None)[0].text
    lexical = LexicalIndex([doc.text], ["fr"])
    q = analyse(english, lexical.vocab, lexical.idf)
    assert "retirement" in q.lemmas  # what the French question becomes for retrieval
    units = units_of(doc)
    ev = Evidence(units=units, vectors=emb.embed([u.text for u in units]), question_vector=emb.embed([asked])[0],
                  titles={"fr": doc.title}, passage_rank={("fr", u.index): 1 for u in units},
                  siblings={"fr": units}, languages={"fr": "fr"})
    own = in_own_words(q, asked)
    assert {"retraite", "caisse"} <= {t.lemma for t in own.own.terms}
    assert ev.asked(own, units[0]).terms == own.own.terms  # a French document: the French words
    draft = bot.draft(own, ev)
    assert not draft.abstained and "auditée" in draft.blocks[0].units[0].text
    # An English document is still checked in the English words (which its French passages' glossary
    # rendering may cover: see the test of an English question against a French passage).
    assert replace(ev, languages={"fr": "en"}).asked(own, units[0]).terms == q.terms


@pytest.mark.parametrize("language, lead", [("fr", "D'après les documents :"), ("en", "(cités en anglais")])
def test_a_french_answer_says_the_quotes_are_english_only_when_they_are(language: str, lead: str) -> None:
    doc = Document("d", "https://example.org/d", "Séance", "Le comité se réunit chaque année.", language=language)
    units = units_of(doc)
    draft = Draft(blocks=[Block("sentences", (units[0],))], lang="fr")
    text, citations = compose(draft, SimpleNamespace(documents={"d": doc}, references={}), [], "")
    assert text.startswith("D'après les documents") and lead in text.split("\n")[0]
    assert citations[0].quote == "Le comité se réunit chaque année."


def test_an_abstention_says_where_to_ask_in_the_language_of_the_question() -> None:
    from assistant.answer.compose import who_to_ask

    settings = load_settings()
    assert who_to_ask(settings, "fr").startswith("Pour toute question") and who_to_ask(settings, "en").startswith("For")
    # A deployment that sets only the English line gets it in both languages.
    english_only = settings.model_copy(update={"who_to_ask": "Write to us.", "who_to_ask_fr": ""})
    assert who_to_ask(english_only, "fr") == "Write to us."


def test_a_french_answer_quoting_both_languages_says_some_quotes_are_english() -> None:
    fr = Document("f", "https://example.org/f", "Séance", "Le comité se réunit chaque année.", language="fr")
    en = Document("e", "https://example.org/e", "Session", "The committee meets every year.", language="en")
    draft = Draft(blocks=[Block("sentences", (units_of(fr)[0], units_of(en)[0]))], lang="fr")
    text, _ = compose(draft, SimpleNamespace(documents={"f": fr, "e": en}, references={}), [], "")
    assert text.split("\n")[0] == "D'après les documents (en partie cités en anglais, langue de la source) :"


@pytest.mark.parametrize("text, need, found", [
    ("Le groupe compte douze experts.", "number", True),
    ("The panel has twelve experts.", "number", True),
    ("Le rapport est attendu dans trois semaines.", "duration", True),
    ("A report is due within five years.", "duration", True),
    ("The scale must stay continuous for at least a century.", "duration", True),
    ("Le mandat dure seize mois.", "duration", True),
    ("The archive holds seventeen volumes.", "number", True),
    ("Le rapport sera publié plus tard.", "number", False),
    ("Comments are due by June 7.", "date", True),  # month then day, as a US text writes it
    ("The files go online on 2nd April.", "date", True),
    ("Le texte entre en vigueur le 1^er juillet.", "date", True),
    ("The flask held May 4.5 litres.", "date", False),  # a decimal is not a day
    ("The panel met in the spring.", "date", False),
])
def test_numbers_durations_and_dates_are_detected_in_both_languages(text: str, need: str, found: bool) -> None:
    from assistant.answer.answer_type import NEED_PATTERNS

    assert bool(NEED_PATTERNS[need].search(text)) is found


@pytest.mark.parametrize("text, found", [
    ("XYZ: Xylophone Union", True),  # a glossary entry
    ("The Xylophone Union (XYZ) met.", True),
    ("XYZ (Xylophone Union) met.", True),
    ("ABC: Agency for Better Clocks", False),  # another acronym's entry
    ("The XYZ met in Paris.", False),
    ("Send the report to the XYZ (XYZ-12/3).", False),  # a document number, not a name
    ("The 6th meeting of the XYZ (Paris, France) opened.", False),  # a place, not a name of the XYZ
    ("XYZ (Xenon Yttrium Zirconium) met.", True),
    ("The delegate Mr Mussio (XYZ) spoke.", False),  # a delegate of the XYZ, not its name
    ("(XYZ).", False),  # the name was left in the sentence before
    ("(see the annex) the Xylophone Union (XYZ) met.", True),  # the name runs from the bracket before it
    ("In 2020 (XYZ) met.", False),
])
def test_an_expansion_is_found_in_a_glossary_entry_and_in_brackets(text: str, found: bool) -> None:
    from assistant.answer.answer_type import has_need

    q = SimpleNamespace(need="expansion", text="What does XYZ stand for?")
    assert has_need(q, text) is found


@pytest.mark.parametrize("text, found", [
    ("XYZ-76: Xylophone Yard Zone of 1976", True),
    ("… replaces the Xylophone Yard Zone of 1976 (XYZ-76).", True),
    ("… replaces the Xylophone Yard Zone (XYZ).", False),  # the acronym without its part is another name
    ("XYZ-90: Xylophone Yard Zone of 1990", False),
])
def test_an_acronym_with_a_hyphenated_part_is_spelled_out_whole(text: str, found: bool) -> None:
    from assistant.answer.answer_type import has_need

    q = SimpleNamespace(need="expansion", text="What does XYZ-76 stand for?")
    assert has_need(q, text) is found


def test_a_body_asked_by_acronym_is_covered_by_its_short_name_in_the_documents(answerer) -> None:
    bot, emb = answerer
    asked = "What did the ABC decide about calibrating gadgets at the WXQ?"
    ev = evidence(asked, emb, named_as())
    assert bot.draft(question(asked), ev).abstained  # nothing says 'WXQ'
    # The collection's metadata names the body WXQ, and its documents call it 'the Gadget Laboratory'.
    draft = bot.draft(question(asked), replace(ev, body_names={"WXQ": ("gadget laboratory",)}))
    assert not draft.abstained
    assert "every two years" in draft.blocks[0].units[0].text


def test_named_as_includes_the_publication_a_file_belongs_to() -> None:
    part = Document("h2", "https://example.org/h2", "Widget Handbook — Painting", "Paint widgets blue.",
                    date="2020-01-01", meta={"document": "Widget Handbook 3rd edition"})
    assert "Widget Handbook 3rd edition" in refs.named_as(part, refs.of_document(part), {})


def _quoted_premise(doc_id: str, body: str, premise: str) -> tuple[list, SimpleNamespace, Block]:
    """A resolution's units, its evidence and a quote of its opening with the premise starting ``premise``."""
    units = units_of(meeting(doc_id, "14th", "2005", "Resolution 5: On gizmos", body))
    lead = next(u for u in units if u.text.startswith("The ABC"))
    first = next(u for u in units if u.text.startswith(premise))
    return units, SimpleNamespace(siblings={doc_id: units}), Block("list", (lead, first))


def test_quoted_premises_go_on_with_the_operative_clauses_that_follow() -> None:
    units, ev, quoted = _quoted_premise(
        "m14", "The ABC,\n\n- considering that gizmos vary in size,\n- recalling its earlier advice,\n\n"
        "decides that gizmos shall be measured in widgets.\n\nrequests the Laboratory to keep a "
        "gizmo.\n\ninvites members to report.\n", "considering")
    lead, premise = quoted.units
    blocks = _with_operative([quoted], ev, 2)
    assert [b.style for b in blocks] == ["list", "sentences"]
    assert [u.text.split()[0] for u in blocks[1].units] == ["decides", "requests"]  # in order, up to the limit
    # A block that already says what was decided is left as it is; 0 turns the extension off.
    decides = next(u for u in units if u.text.startswith("decides"))
    assert _with_operative([Block("sentences", (decides,))], ev, 2) == [Block("sentences", (decides,))]
    assert _with_operative([Block("list", (lead, premise))], ev, 0) == [Block("list", (lead, premise))]
    # A unit is quoted once: an operative clause already picked later moves up, it is not repeated.
    again = _with_operative([Block("list", (lead, premise)), Block("sentences", (decides,))], ev, 2)
    assert sum(u is decides for b in again for u in b.units) == 1


def test_an_operative_clause_that_leads_a_list_comes_with_all_its_items() -> None:
    _, ev, quoted = _quoted_premise(
        "m15", "The ABC,\n\n- noting that gadgets have improved,\n\nremarks that this improvement\n\n"
        "- saves paint,\n- speeds up the depot,\n- pleases the inspectors,\n\n"
        "requests the Laboratory to count gadgets.\n\ninvites members to report.\n", "noting")
    blocks = _with_operative([quoted], ev, 2)
    # 'remarks that …' and its three items count as one clause; the second clause follows, the third does not.
    assert [b.style for b in blocks] == ["list", "list", "sentences"]
    assert [u.text.split()[0] for u in blocks[1].units] == ["remarks", "saves", "speeds", "pleases"]
    assert [u.text.split()[0] for u in blocks[2].units] == ["requests"]


def test_a_record_heading_with_its_fields_and_premises_goes_on_with_what_was_declared() -> None:
    units = units_of(meeting("m17", "17e", "2011", "Déclaration 2 : Sur les gadgets",
                             "- Date: 2011-10-01\n- DOI: 10.1/abc\n- Vu la décision de 2003 sur les gadgets ;\n"
                             "- Considérant la nécessité de les peindre ;\n\ndéclare que les gadgets sont bleus.\n"))
    ev = SimpleNamespace(siblings={"m17": units})
    heading = next(u for u in units if u.kind == "heading")
    listed = Block("list", (heading, *(u for u in units if u.kind == "item")))
    blocks = _with_operative([listed], ev, 3)
    # The fields are neither premise nor decision, and 'Vu …' opens a premise as 'Considérant …' does.
    assert [u.text.split()[0] for u in blocks[-1].units] == ["déclare"]


def test_a_quoted_line_that_announces_what_follows_goes_on_with_it() -> None:
    units = units_of(meeting("m15", "15th", "2007", "Decision 15-2: On gizmos",
                             "- Date: 2007-10-01\n- URL: https://example.org/m15\n\n"
                             "noted the subjects of the three draft resolutions:\n\nA On gizmos B On widgets\n\n"
                             "appointed the following members:\n\n- Gizmo board: Dr Blue (Chair)\n"
                             "- Widget board: Dr Green\n\nrecommends that\n\nmembers paint their gizmos.\n"))
    ev = SimpleNamespace(siblings={"m15": units})
    unit = {u.text.split()[0]: u for u in units}
    # A line ending with a colon goes on with its next paragraph; a list's lead with its items.
    blocks = _with_continuation([Block("sentences", (unit["noted"],))], ev, 10, 3)
    assert [u.text.split()[0] for b in blocks for u in b.units] == ["noted", "A"]
    blocks = _with_continuation([Block("sentences", (unit["appointed"],))], ev, 10, 3)
    assert [b.style for b in blocks] == ["list"]
    assert [u.text.split()[0] for u in blocks[0].units] == ["appointed", "Gizmo", "Widget"]
    # A short introducing line ('recommends that') with what it introduces.
    blocks = _with_continuation([Block("sentences", (unit["recommends"],))], ev, 10, 3)
    assert [u.text.split()[0] for b in blocks for u in b.units] == ["recommends", "members"]
    # A record's heading with its fields only goes on with the clauses of its section.
    heading = next(u for u in units if u.kind == "heading")
    blocks = _with_continuation([Block("list", (heading, unit["Date:"], unit["URL:"]))], ev, 10, 3)
    assert blocks[1].units[0] is unit["noted"] and blocks[1].units[-1] is unit["members"]
    # ... but a list whose items look like fields ('Gizmo board: Dr Blue') under a sentence is a list.
    listed = [Block("list", (unit["appointed"], unit["Gizmo"], unit["Widget"]))]
    assert _with_continuation(listed, ev, 10, 3) == listed
    # A complete sentence is left alone, and a unit is quoted once.
    done = [Block("sentences", (unit["members"],))]
    assert _with_continuation(done, ev, 10, 3) == done
    both = _with_continuation([Block("sentences", (unit["recommends"], unit["members"]))], ev, 10, 3)
    assert both == [Block("sentences", (unit["recommends"], unit["members"]))]


def _laid_out(doc_id: str, ordinal: str, year: str, title: str, body: str) -> tuple[list[Unit], SimpleNamespace,
                                                                               dict[str, Unit]]:
    """A meeting record's units, the evidence holding them, and each unit by its first word (the last one wins)."""
    units = units_of(meeting(doc_id, ordinal, year, title, body))
    return units, SimpleNamespace(siblings={doc_id: units}), {u.text.split()[0]: u for u in units}


def _first_words(blocks: list[Block]) -> list[str]:
    return [u.text.split()[0] for b in blocks for u in b.units]


def test_a_numbered_entry_title_goes_on_with_the_paragraph_after_it() -> None:
    """'1.2. Gizmo molecule B, line 5-1.' names an entry of a numbered list; its values are the next paragraph,
    which a runner-up from another entry must not stand in for."""
    units, ev, _ = _laid_out("m24", "24th", "2019", "Recommendation 2: Gizmo radiations",
                             "1.1. Gizmo molecule A, line 4-0, component b_2.\n\n"
                             "The values f = 100 MHz apply to the radiation of a red gizmo laser.\n\n"
                             "1.2. Gizmo molecule B, line 5-1, component c_7.\n\n"
                             "The values f = 200 MHz apply to the radiation of a blue gizmo laser.\n\n"
                             "Gizmo lamps are not listed.\n\nTheir values are kept by the office.\n")
    title = next(u for u in units if u.text.startswith("Gizmo molecule B"))
    shown = _with_continuation([Block("sentences", (title,))], ev, 10, 3)
    assert [u.text[:19] for b in shown for u in b.units] == ["Gizmo molecule B, l", "The values f = 200 "]
    plain = next(u for u in units if u.text.startswith("Gizmo lamps"))  # no number: a sentence like any other
    assert _first_words(_with_continuation([Block("sentences", (plain,))], ev, 10, 3)) == ["Gizmo"]


def test_a_clause_cut_off_at_its_conjunction_goes_on_with_what_follows() -> None:
    _, ev, unit = _laid_out("m21", "21st", "2014", "Resolution 2: On gadgets",
                            "The Conference,\n\n- notes the long-standing request for gadget status, and\n\n"
                            "asks members to support it.\n\n- welcomes the widget report,\n\nthanks the board.\n")
    assert _first_words(_with_continuation([Block("sentences", (unit["notes"],))], ev, 10, 3)) == ["notes", "asks"]
    # A clause ending with a comma only announces nothing.
    done = [Block("sentences", (unit["welcomes"],))]
    assert _with_continuation(done, ev, 10, 3) == done


def test_a_sentence_stopping_before_its_closing_punctuation_goes_on_with_the_formula_after_it() -> None:
    _, ev, unit = _laid_out("m24", "24th", "2018", "Decision 24-1: On the gizmo constant",
                            "The gizmo constant is given in the 2018 listing as\n\ng_0 = 1.25 (3) × 10^−4 s,\n\n"
                            "where 3 is the uncertainty of the last digits.\n\n- gizmo boards in 2019\n"
                            "- widget boards in 2020\n")
    given = [Block("sentences", (unit["The"],))]
    assert _first_words(_with_continuation(given, ev, 10, 3)) == ["The", "g_0"]
    # A complete sentence, and a list item that has no closing punctuation, announce nothing.
    for alone in ([Block("sentences", (unit["where"],))], [Block("sentences", (unit["gizmo"],))]):
        assert _with_continuation(alone, ev, 10, 3) == alone


def test_a_sentence_pointing_to_a_table_below_goes_on_with_the_table() -> None:
    _, ev, unit = _laid_out("m25", "25th", "2019", "Decision 25-1: On gizmo sizes",
                            "The sizes tabulated below were agreed for three gizmos.\n\n"
                            "Their sources are given in the annex.\n\n**Gizmo sizes**\n\n"
                            "| Gizmo | Size / mm |\n|---|---|\n| G-1 | 12.5 |\n\nWidgets are not measured.\n")
    table = next(u for u in ev.siblings["m25"] if u.text.startswith("|"))
    rows = [u for u in ev.siblings["m25"] if u.kind == "row"]
    assert [u.text for u in rows] == ["| Gizmo | Size / mm |", "| G-1 | 12.5 |"]  # the rule row is no unit
    # The whole table: its rows, the one naming the columns first.
    assert _with_table_below([Block("sentences", (unit["The"],))], ev, 10) == [
        Block("sentences", (unit["The"],)), Block("table", tuple(rows))]
    assert _with_table_below([Block("sentences", (unit["The"],))], ev, 2) == [Block("sentences", (unit["The"],))]
    # A sentence that points nowhere, or a table already quoted, adds nothing.
    for quoted in ([Block("sentences", (unit["Their"],))], [Block("sentences", (unit["The"], table))]):
        assert _with_table_below(quoted, ev, 10) == quoted


GIZMO_TABLE = ("The sizes agreed for each gizmo:\n\n| Gizmo | Size / mm | Colour |\n|---|---|---|\n"
               "| G-1 | 12.5 | red |\n| G-2 | 14.0 | blue |\n| G-3 | 15.5 | green |\n| G-4 | 17.0 | amber |\n"
               "| G-5 | 18.5 | grey |\n\nWidgets are not measured.\n")


def test_a_table_row_is_read_under_the_caption_and_the_row_naming_the_columns() -> None:
    units, ev, _ = _laid_out("m26", "26th", "2020", "Decision 26-2: On gizmo sizes", GIZMO_TABLE)
    ev = SimpleNamespace(**vars(ev), acronyms={}, titles={})
    row = next(u for u in units if u.text.startswith("| G-3"))
    text, previous, _, lead, _ = _context_parts(row, ev)
    # Not the row before it (another gizmo's words), but what says what its cells are.
    assert text == "| G-3 | 15.5 | green |" and previous == ""
    assert lead == "The sizes agreed for each gizmo:\n| Gizmo | Size / mm | Colour |"


def test_a_quoted_table_row_is_shown_under_the_first_row_and_a_short_table_whole() -> None:
    units, ev, _ = _laid_out("m26", "26th", "2020", "Decision 26-2: On gizmo sizes", GIZMO_TABLE)
    rows = [u for u in units if u.kind == "row"]
    caption = next(u for u in units if u.text.startswith("The sizes"))
    shown = _as_tables(_with_leads([rows[3]], ev), ev, 4)
    assert shown == [Block("table", (rows[0], rows[3]))]  # five gizmos: only the one asked, with the columns
    assert _as_tables(_with_leads([rows[4], rows[2]], ev), ev, 4) == [Block("table", (rows[0], rows[2], rows[4]))]
    # The first row alone names the columns, not an entry; a table of at most ``short`` rows is one answer.
    assert _as_tables(_with_leads([rows[0]], ev), ev, 4) == [Block("table", tuple(rows))]
    assert _as_tables(_with_leads([rows[3]], ev), ev, 5) == [Block("table", tuple(rows))]
    # Rows quoted among sentences (a whole section, a caption's continuation) become their table, shown once.
    mixed = [Block("sentences", (caption, rows[2], rows[3])), Block("sentences", (rows[5],))]
    assert _as_tables(mixed, ev, 4) == [Block("sentences", (caption,)),
                                        Block("table", (rows[0], rows[2], rows[3], rows[5]))]
    # Written out, the rows stand line by line; rows next to each other are one quote, with the rule between.
    doc = meeting("m26", "26th", "2020", "Decision 26-2: On gizmo sizes", GIZMO_TABLE)
    text, citations = compose(Draft(blocks=shown), SimpleNamespace(documents={"m26": doc}, references={}), [], "")
    assert text.startswith("| Gizmo | Size / mm | Colour | [1]\n| G-3 | 15.5 | green | [2]")
    whole, cited = compose(Draft(blocks=[Block("table", tuple(rows[:3]))]),
                           SimpleNamespace(documents={"m26": doc}, references={}), [], "")
    assert whole.startswith("| Gizmo | Size / mm | Colour |\n| G-1 | 12.5 | red |\n| G-2 | 14.0 | blue | [1]")
    assert [c.quote for c in cited] == ["| Gizmo | Size / mm | Colour |\n|---|---|---|\n| G-1 | 12.5 | red |\n"
                                        "| G-2 | 14.0 | blue |"]


def test_a_sentence_goes_on_with_the_equation_displayed_after_it() -> None:
    _, ev, unit = _laid_out("m28", "28th", "2022", "Decision 28-4: On gadget sizes",
                            "The revised gadget size, S_new, follows from eq-2.\n\nS_new = 2 sqrt{(S/2)^2 + d^2}\n\n"
                            "Older gadgets keep their size.\n\nA gadget width, w = 3 cm in most cases, is "
                            "set by the maker.\n")
    led = [Block("sentences", (unit["The"],))]
    assert _first_words(_with_continuation(led, ev, 10, 3)) == ["The", "S_new"]
    # A sentence with an equals sign in it is prose, not a displayed equation: the sentence before it stays alone.
    older = [Block("sentences", (unit["Older"],))]
    assert _with_continuation(older, ev, 10, 3) == older
    assert unit["A"].text.startswith("A gadget width, w = 3 cm")


def test_an_item_ending_with_a_colon_goes_on_with_the_items_after_it() -> None:
    _, ev, unit = _laid_out("m22", "22nd", "2016", "Resolution 3: On the gadget fee",
                            "decides that\n\n- the gadget fee shall be:\n- 30 euros in 2020\n- 31 euros in 2021\n"
                            "- 32 euros in 2022\n\nthanks the board.\n")
    fee = [Block("sentences", (unit["the"],))]
    assert _first_words(_with_continuation(fee, ev, 10, 3)) == ["the", "30", "31", "32"]
    assert _first_words(_with_continuation(fee, ev, 2, 3)) == ["the", "30", "31"]
    # An item without a colon announces nothing.
    assert _first_words(_with_continuation([Block("sentences", (unit["30"],))], ev, 10, 3)) == ["30"]


def test_a_quoted_sentence_goes_on_with_the_example_after_it() -> None:
    _, ev, unit = _laid_out("m23", "23rd", "2017", "Decision 23-1: On gadget colours",
                            "Gadgets may be painted. For example, a red gadget is allowed. Widgets may not.\n\n"
                            "Gizmos are grey.\n\nPar exemple, un gizmo gris.")
    painted = [Block("sentences", (unit["Gadgets"], unit["Gizmos"]))]
    assert _first_words(_with_examples(painted, ev)) == ["Gadgets", "For", "Gizmos"]
    # Not across a paragraph, nor twice, nor for a sentence that is no example, nor in a list.
    for alone in ([Block("sentences", (unit["Gizmos"],))],
                  [Block("sentences", (unit["Gadgets"],)), Block("sentences", (unit["For"],))],
                  [Block("sentences", (unit["For"],))], [Block("list", (unit["Gadgets"],))]):
        assert _with_examples(alone, ev) == alone


def test_a_leading_sentence_is_quoted_with_what_follows_it_in_its_paragraph() -> None:
    _, ev, unit = _laid_out("m16", "16th", "2009", "Decision 16-1: On gizmo fees",
                            "A gizmo fee is charged each year. It is 30 euros for members. Others pay 45 euros.\n\n"
                            "Fees are reviewed by the board.")
    led = [Block("sentences", (unit["A"], unit["Fees"]))]
    words = _first_words
    assert words(_with_following(led, ev, 1)) == ["A", "It", "Fees"]
    assert words(_with_following(led, ev, 2)) == ["A", "It", "Others", "Fees"]
    assert _with_following(led, ev, 0) == led
    # Not past its paragraph, and a unit is quoted once.
    last = [Block("sentences", (unit["Others"],))]
    assert _with_following(last, ev, 2) == last
    shown = [Block("sentences", (unit["A"],)), Block("sentences", (unit["It"],))]
    assert _with_following(shown, ev, 1) == shown
    # A list, steps or a section is shown as it is.
    listed = [Block("list", (unit["A"],))]
    assert _with_following(listed, ev, 1) == listed


def test_a_leading_sentence_that_points_back_is_quoted_after_what_it_points_to() -> None:
    _, ev, unit = _laid_out("m18", "18th", "2010", "Decision 18-1: On gadget fees",
                            "The gadget fee was raised to 40 euros. This means members pay more. Such fees are rare.\n\n"
                            "These rules apply from May.\n\n"
                            "Le tarif des gadgets est fixé. Ce n'est qu'en mai que le tarif change.")
    assert _first_words(_with_antecedent([Block("sentences", (unit["This"], unit["These"]))], ev)) == ["The", "This", "These"]
    # Only across a sentence of its paragraph, once, and only for the leading sentence of loose sentences; a
    # sentence that does not point back, and a French cleft ('Ce n'est qu'en mai que …'), stand alone.
    for alone in ([Block("sentences", (unit["These"],))], [Block("sentences", (unit["Such"], unit["This"]))],
                  [Block("sentences", (unit["The"], unit["Such"]))], [Block("list", (unit["This"],))],
                  [Block("sentences", (unit["Le"],))], [Block("sentences", (unit["Ce"],))]):
        assert _with_antecedent(alone, ev) == alone


def test_a_leading_list_item_that_points_back_is_shown_after_the_item_it_points_to() -> None:
    units, ev, _ = _laid_out("m26", "26th", "2012", "Resolution 5: On gadget paint",
                            "The Board,\n\n- considering that gadget colour depends on the paint used,\n"
                            "- considering that this effect is now a main source of complaints,\n"
                            "- noting the widget report,\n\ndecides that gadgets are painted grey.\n")
    board = next(u for u in units if u.text == "The Board,")
    effect = next(u for u in units if "this effect" in u.text)
    colour = next(u for u in units if "gadget colour" in u.text)
    quoted = _with_antecedent([Block("list", (board, effect))], ev)
    assert quoted == [Block("list", (board, colour, effect))]
    # An item that does not point back, or whose antecedent is shown already, stands as it is.
    noting = next(u for u in units if u.text.startswith("noting"))
    for alone in ([Block("list", (board, noting))], [Block("list", (board, colour, effect))]):
        assert _with_antecedent(alone, ev) == alone


def test_a_quoted_line_that_introduces_a_list_keeps_its_place_when_an_item_of_it_comes() -> None:
    units, ev, unit = _laid_out("m22", "22nd", "2010", "Action 22-1: Gadget review",
                                "- Date: 2010-03-17\n\nThe Chair will contact the gadget agency for:\n\n"
                                "- fixing a review date;\n- sharing the widget report.\n")
    heading = next(u for u in units if u.kind == "heading")
    # The introducing line scored best, the record's field next, then an item of the line's list.
    blocks = _with_leads([unit["The"], unit["Date:"], unit["sharing"]], ev)
    assert blocks == [Block("list", (unit["The"], unit["sharing"])), Block("list", (heading, unit["Date:"]))]
    # Loose sentences around the line stay where they were, before and after its list.
    blocks = _with_leads([unit["Date:"], unit["The"], unit["fixing"]], ev)
    assert blocks == [Block("list", (heading, unit["Date:"])), Block("list", (unit["The"], unit["fixing"]))]


def test_one_field_of_a_record_is_shown_with_all_the_record_s_fields() -> None:
    _, ev, unit = _laid_out("m22", "22nd", "2013", "Action 22-4 (2013)",
                            "- Date: 2013-03-01\n- Categories: Gadgets\n- URL: https://example.org/m22\n\n"
                            "The board agreed to paint gadgets.\n")
    heading = ev.siblings["m22"][0]
    one = [Block("list", (heading, unit["URL:"]))]
    assert _first_words(_whole_when_several(one, ev, 3)) == ["Action", "Date:", "Categories:", "URL:"]
    assert _whole_when_several(one, ev, 2) == one  # more fields than ``short``: what was picked
    alone = [Block("list", (heading,))]
    assert _whole_when_several(alone, ev, 3) == alone


def test_one_item_of_a_short_announced_list_is_shown_with_the_whole_list() -> None:
    units, ev, unit = _laid_out("m20", "20th", "2012", "Decision 20-4: Gadget board",
                                "elected the following:\n\n- Dr Blue as Chair;\n- Dr Green as Treasurer.\n\n"
                                "The gadget rules list:\n\n- red gadgets\n- blue gadgets\n- green gadgets\n"
                                "- grey gadgets\n\nThe board noted these items\n\n- a gizmo\n- a widget\n")
    first = _first_words
    one = [Block("list", (unit["elected"], unit["Dr"]))]
    assert first(_whole_when_several(one, ev, 3)) == ["elected", "Dr", "Dr"]
    assert _whole_when_several(one, ev, 0) == one and _whole_when_several(one, ev, 1) == one
    # A longer list shows what was picked, unless two of its items were; a lead without a colon announces nothing.
    rules = next(u for u in units if u.text.startswith("The gadget rules"))
    red = [Block("list", (rules, unit["red"]))]
    assert _whole_when_several(red, ev, 3) == red
    assert first(_whole_when_several([Block("list", (rules, unit["red"], unit["grey"]))], ev, 3)) == \
        ["The", "red", "blue", "green", "grey"]
    # Unless its colon's line leads the answer: then what that line announces is the answer, up to ``led`` items.
    assert first(_whole_when_several(red, ev, 3, rules, 4)) == ["The", "red", "blue", "green", "grey"]
    assert _whole_when_several(red, ev, 3, rules, 3) == red
    assert _whole_when_several(red, ev, 3, unit["red"], 4) == red
    noted = [Block("list", (next(u for u in units if u.text.startswith("The board")), unit["a"]))]
    assert _whole_when_several(noted, ev, 3) == noted
    loose = [Block("sentences", (unit["elected"],))]
    assert _whole_when_several(loose, ev, 3) == loose


def _selected(answerer, record: Document, asked: str, best) -> tuple[Question, Evidence, Unit, list[str]]:
    """The question ``asked`` as read, its evidence over ``record``, the unit that ``best`` picks, and the texts
    quoted when that unit scores best."""
    bot, emb = answerer
    q, ev = question(asked, [record]), evidence(asked, emb, named_as([record]), [record])
    unit = next(u for u in ev.units if best(u))
    top = Scored(unit, 1.0, 1.0, {}, False)
    return q, ev, unit, [u.text for b in bot._select(q, ev, [top], top) for u in b.units]


def _list_answer(answerer, record: Document, asked: str, best) -> tuple[Unit, list[str]]:
    """`_selected` for a list question: the unit picked and the texts quoted."""
    q, _, unit, quoted = _selected(answerer, record, asked, best)
    assert q.wants_list
    return unit, quoted


def test_a_list_question_gets_what_a_record_heading_heads_not_its_fields(answerer) -> None:
    record = meeting("m19", "19th", "1991", "Resolution 4: Gizmo prefixes glim and glom",
                     "- Date: 1991-10-04\n- URL: https://example.org/m19/4\n\nThe ABC,\n\n"
                     "- considering that wider gizmo ranges are measured,\n\n"
                     "decides to add the gizmo prefixes glim for 10^21 and glom for 10^-24.\n")
    # The heading's words match the question best.
    heading, quoted = _list_answer(answerer, record, "Which prefixes did the 19th ABC add?",
                                   lambda u: u.kind == "heading" and u.text.startswith("Resolution"))
    assert quoted[:3] == [heading.text, "Date: 1991-10-04", "URL: https://example.org/m19/4"]
    assert any("10^21" in t for t in quoted[3:])


def test_a_list_question_answered_by_listed_premises_goes_on_with_the_operative_clause(answerer) -> None:
    record = meeting("m21", "21st", "1999", "Resolution 3: Gizmo units",
                     "- Date: 1999-10-04\n\nThe ABC\n\n- considering that more gizmo units are useful,\n\n"
                     "decides to add:\n\n| glim | per gizmo |\n|---|---|\n| glom | gizmo squared |\n")
    # The premise repeats the question's words best.
    premise, quoted = _list_answer(answerer, record, "What units were added by the 21st ABC?",
                                   lambda u: u.text.startswith("considering"))
    assert quoted[:2] == ["The ABC", premise.text]
    # What was decided follows the premise it rests on: the operative line and the table it introduces.
    assert quoted[2] == "decides to add:" and any("glom" in t for t in quoted[3:])


def test_a_sentence_quoted_after_the_lead_goes_on_with_the_list_it_announces(answerer) -> None:
    record = meeting("m25", "25th", "2019", "Decision 25-2: Gizmo guides",
                     "- Date: 2019-10-04\n\nThree gizmo guides accompany the widget rules. These three guides are:\n\n"
                     "- Guide A: on painting gizmos\n- Guide B: on storing gizmos\n- Guide C: on moving gizmos\n\n"
                     "The board thanked the authors of the widget rules. It met in May. It met in June. It met in "
                     "July. It met in August. It met in September. It met in October. It met in November.\n")
    q, ev, lead, quoted = _selected(answerer, record, "What accompanies the widget rules?",
                                    lambda u: u.text.startswith("Three gizmo guides"))
    assert not q.wants_list
    # More than a short section's clauses (`short_section_units`), so the record is not quoted whole.
    assert sum(u.kind != "heading" for u in ev.units) > answerer[0].settings.short_section_units
    # The lead, the sentence after it in its paragraph, then what that sentence announces.
    assert quoted[:2] == [lead.text, "These three guides are:"]
    assert [t.split(":")[0] for t in quoted[2:5]] == ["Guide A", "Guide B", "Guide C"]


def test_a_compound_asked_is_covered_when_the_section_names_it_whole_or_by_its_acronym() -> None:
    from assistant.answer.extractive import _compound_cover

    doc = meeting("m16", "16th", "2009", "Resolution 2: On the widget database",
                  "- Categories: WCD\n\nIt was agreed that the database would be kept in French.\n")
    units = units_of(doc)
    unit = next(u for u in units if u.text.startswith("It was agreed"))
    asked = "Which format was agreed for the widget calibration database?"
    q = question(asked, [doc])
    ev = SimpleNamespace(siblings={"m16": units}, acronyms={})
    cover = {t.lemma: (1.0 if t.word in ("format", "database") else 0.0) for t in q.terms}
    # The section says only 'the database': the modifiers stay uncovered ...
    assert _compound_cover(q, unit, ev, dict(cover))["widget"] == 0.0
    # ... unless it is filed under the compound's acronym.
    ev.acronyms = {"WCD": "ABC Widget Calibration Database"}
    covered = _compound_cover(q, unit, ev, dict(cover))
    assert covered["widget"] == covered["calibration"] == 1.0
    # A section that writes the whole compound covers it too.
    whole = meeting("m17", "17th", "2010", "Resolution 1: On the widget database",
                    "The widget calibration database opened.\n\nIt was agreed that the database would be in French.\n")
    units = units_of(whole)
    unit = next(u for u in units if u.text.startswith("It was agreed"))
    assert _compound_cover(q, unit, SimpleNamespace(siblings={"m17": units}, acronyms={}), dict(cover))["widget"] == 1.0


class SynonymEmbedder(HashEmbedder):
    """The hashing embedder, with 'medal' meaning what 'trophy' means."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return super().embed([" ".join("trophy" if w.strip(".,").lower() == "medal" else w for w in t.split())
                              for t in texts])


def test_a_class_noun_is_covered_by_a_quote_naming_one_in_other_words() -> None:
    settings = load_settings()
    docs = [meeting("m18", "18th", "2016", "Decision 18-4: On honours",
                    "The ABC congratulated the Gadget Laboratory, which will receive the Kelvin medal."),
            meeting("m19", "19th", "2017", "Decision 19-1: On committees", "The trophy committee meets every year.")]
    asked = "Which trophy will the Gadget Laboratory receive?"
    q = question(asked, docs)
    assert q.soft == ("trophy",) and q.terms[0].known  # the class noun, a word the documents use
    drafts = {}
    for emb in (SynonymEmbedder(), HashEmbedder()):
        bot = ExtractiveAnswerer(settings, TermMatcher(emb, low=settings.term_match - 0.17,
                                                       high=settings.term_match + 0.13))
        drafts[type(emb).__name__] = bot.draft(q, evidence(asked, emb, named_as(docs), docs))
    synonym = drafts["SynonymEmbedder"]
    assert not synonym.abstained and "Kelvin medal" in synonym.blocks[0].units[0].text
    # Where 'medal' does not mean 'trophy', the quote names no trophy, and the answerer says so.
    assert drafts["HashEmbedder"].abstained and drafts["HashEmbedder"].missing == ["trophy"]


def test_a_quote_from_a_meeting_record_says_which_meeting_each_quote_comes_from() -> None:
    plain = Document("p", "https://example.org/p", "Widget handbook, 3rd edition", "Widgets are blue.")
    docs = {d.doc_id: d for d in (*DOCS, plain)}
    corpus = SimpleNamespace(documents=docs, references={d: refs.of_document(doc) for d, doc in docs.items()})
    m12, m13, handbook = (units_of(docs[d]) for d in ("m12", "m13", "p"))
    draft = Draft(blocks=[Block("sentences", (m12[-1], m13[-1], handbook[0]))], lang="en")
    text, _ = compose(draft, corpus, [], "")
    assert ("(This is a dated statement: it appears under “Resolution 3: On widgets” in “12th meeting of the ABC”; "
            "under “Resolution 1: On gadgets” in “13th meeting of the ABC”.)") in text
    alone, _ = compose(Draft(blocks=[Block("sentences", (handbook[0],))], lang="en"), corpus, [], "")
    assert "dated statement" not in alone  # an edition of a handbook is no meeting's record


def test_a_quote_under_a_dated_heading_of_a_compendium_names_that_heading_but_not_a_sibling_s() -> None:
    """'12th ABC, 1999 › Resolution 6': the year is said by a marked heading above the quote's; a heading of the
    same level before it ('11th ABC, 1995') or an unmarked one ('Notes (2001)') is not above it."""
    text = ("11th ABC, 1995\n\nResolution 6\n\nGadgets are red.\n\n12th ABC, 1999\n\nResolution 6\n\n"
            "Widgets are blue.\n\nNotes (2001)\n\nKnobs\n\nKnobs are green.")
    starts = [text.index(h) for h in ("11th ABC", "Resolution 6", "12th ABC", "Resolution 6\n\nW", "Notes", "Knobs")]
    ends = [*starts[1:], len(text)]
    headings = ("11th ABC, 1995", "Resolution 6", "12th ABC, 1999", "Resolution 6", "Notes (2001)", "Knobs")
    levels = (3, 5, 3, 5, 0, 0)
    doc = Document("c", "https://example.org/c", "Decisions of the ABC", text, sections=tuple(
        Section(h, a, b, lv) for h, a, b, lv in zip(headings, starts, ends, levels, strict=True)))
    corpus = SimpleNamespace(documents={"c": doc}, references={"c": refs.of_document(doc)})
    by_text = {u.text: u for u in units_of(doc)}

    def note(quoted: str) -> str:
        return compose(Draft(blocks=[Block("sentences", (by_text[quoted],))], lang="en"), corpus, [], "")[0]

    assert "it appears under “12th ABC, 1999 › Resolution 6” in “Decisions of the ABC”" in note("Widgets are blue.")
    assert "under “11th ABC, 1995 › Resolution 6”" in note("Gadgets are red.")
    assert "dated statement" not in note("Knobs are green.")  # levels unknown: 'Notes (2001)' may be a sibling


def test_a_short_line_or_a_paragraph_ending_with_a_colon_introducing_a_block_is_part_of_its_context() -> None:
    units = units_of(meeting("m15", "15th", "2006", "Resolution 7: On fees",
                             "The ABC,\n\nconsidering that costs rise every year in all the member states.\n\n"
                             "decides\n\n2001: 10 francs for each member.\n\nsanctions\n\nAs regards the old "
                             "fees:\n\n- the fee of 1999 stays.\n\nrecalls that the yearly fee paid by each member of "
                             "the Assembly was, in the years before, set at:\n\n9 francs in 1997, 8 francs in 1998\n"))
    ev = SimpleNamespace(siblings={"m15": units}, acronyms={}, titles={})

    def context(unit: Unit) -> str:  # as the answerer reads it: the parts, one per line
        return "\n".join(_context_parts(unit, ev))

    figure = next(u for u in units if u.text.startswith("2001"))
    assert "decides" in context(figure).split("\n")
    item = next(u for u in units if u.text.startswith("the fee of 1999"))
    assert "sanctions" in context(item).split("\n")  # the line before its list's lead
    # A long paragraph in another block introduces the next one only when it ends with a colon.
    assert "costs rise" not in context(next(u for u in units if u.text == "decides"))
    assert "yearly fee paid by each member" in context(next(u for u in units if u.text.startswith("9 francs")))


def test_a_translated_question_is_compared_in_its_own_words_with_units_in_its_language(answerer) -> None:
    """The embedder matches a text best in its own language: a French unit is compared with the French question
    too (the better of the two cosines), an English unit only with the English rendering."""
    from dataclasses import replace

    from assistant.question.read import in_own_words, read

    bot, emb = answerer
    asked = "Que dit le comité sur la caisse de retraite ?"
    fr = Document("fr", "https://example.org/fr", "Séance", "La caisse de retraite sera auditée.", language="fr")
    en = Document("en", "https://example.org/en", "Session", "The pension fund will be audited.", language="en")
    english = read(asked, None)[0].text
    lexical = LexicalIndex([fr.text, en.text], ["fr", "en"])
    q = in_own_words(analyse(english, lexical.vocab, lexical.idf), asked)
    units = [*units_of(fr), *units_of(en)]
    vectors = emb.embed([u.text for u in units])
    ev = Evidence(units=units, vectors=vectors, question_vector=emb.embed([english])[0],
                  titles={"fr": fr.title, "en": en.title}, passage_rank={(u.doc_id, u.index): 1 for u in units},
                  siblings={"fr": units_of(fr), "en": units_of(en)}, languages={"fr": "fr", "en": "en"})
    before = {f.unit.doc_id: f.dense for f in bot.facts(q, ev)}
    own = vectors[0]  # the French unit's own vector: its cosine with it is the highest there is
    after = {f.unit.doc_id: f.dense for f in bot.facts(q, replace(ev, own_vector=own))}
    assert after["fr"] == pytest.approx(float(vectors[0] @ own)) and after["fr"] > before["fr"]
    assert after["en"] == pytest.approx(before["en"])  # the English unit is not compared with the French words
    assert {f.unit.doc_id: f.dense for f in bot.facts(replace(q, own=None), replace(ev, own_vector=own))} == before


def test_a_text_that_points_back_reads_the_paragraph_before_it() -> None:
    units = units_of(meeting("m16", "16th", "2007", "Decision 4: On gadget audits",
                             "- A panel is formed to audit the gadget inventories of the regional depots.\n\n"
                             "The members of this panel are: A. Smith (convenor), B. Jones.\n\n"
                             "The panel members are paid by their depots.\n"))
    ev = SimpleNamespace(siblings={"m16": units}, acronyms={}, titles={})
    members, paid = (next(u for u in units if u.text.startswith(s)) for s in ("The members", "The panel members"))
    assert "inventories" in _context_parts(members, ev)[1]  # 'this panel' is the one formed just before
    assert "inventories" not in _context_parts(paid, ev)[1]  # a new paragraph that does not point back


def test_a_text_opening_with_a_relative_word_goes_on_with_the_line_before_it() -> None:
    """'x_g = 12.5 (3) g,' then, a paragraph later, 'where x_g is …': one sentence the source set on two lines,
    each read with the other (a question may name the formula and ask what the 'where' text says)."""
    units = units_of(meeting("m17", "17th", "2008", "Decision 5: On writing gadget masses",
                             "A gadget's mass is written with its uncertainty as follows:\n\n"
                             "x_g = 12.5 (3) g,\n\n"
                             "where x_g denotes the gadget's weighed value and the figure in parentheses is its standard "
                             "uncertainty; here u(x_g) = 0.3 g.\n\n"
                             "Which rule applies to widgets? The same rule.\n"))
    ev = SimpleNamespace(siblings={"m17": units}, acronyms={}, titles={})
    formula, where = (next(u for u in units if u.text.startswith(s)) for s in ("x_g =", "where"))
    assert "12.5 (3)" in _context_parts(where, ev)[1]
    assert "u(x_g) = 0.3 g" in _context_parts(formula, ev)[1]
    question_text = next(u for u in units if u.text.startswith("Which rule"))
    assert "u(x_g)" not in _context_parts(question_text, ev)[1]  # 'Which …?' asks; it goes on with nothing


def _glossary() -> Document:
    return _plain("g1", "Acronyms for committees", "Acronyms for committees\n\n"
                  "- ABC: Assembly of Bureaux and Committees\n- GL: Gadget Laboratory\n"
                  "- WCC: World Council of Collectors\n- XYZ: Exchange of Yearly Zones\n")


def test_two_acronyms_asked_together_are_answered_by_their_glossary_entries_alone(answerer) -> None:
    """Each entry names one of the two: the answer quotes both, and not the glossary's other entries."""
    bot, emb = answerer
    docs = [_glossary()]
    asked = "What do WCC and GL stand for?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert not draft.abstained
    quoted = [u.text for b in draft.blocks for u in b.units]
    assert "WCC: World Council of Collectors" in quoted and "GL: Gadget Laboratory" in quoted
    assert not any(t.startswith(("ABC:", "XYZ:")) for t in quoted)


def test_what_an_acronym_stands_for_is_answered_by_a_quote_that_sets_work(answerer) -> None:
    """'asked the World Council of Collectors (WCC) to survey …' reports no survey's outcome, but it spells out
    what WCC stands for, which is all that is asked."""
    bot, emb = answerer
    docs = [_plain("w1", "Gadget survey", "Gadget survey\n\nThe ABC asked the World Council of Collectors (WCC) to survey its "
                   "members on gadget prices.")]
    asked = "What does WCC stand for, for gadget survey purposes?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert not draft.abstained and "World Council of Collectors" in draft.blocks[0].units[0].text
    found = "What did the WCC survey of gadget prices find?"  # the outcome is still unreported
    assert bot.draft(question(found, docs), evidence(found, emb, named_as(docs), docs)).abstained


def test_an_acronym_asked_is_covered_by_any_of_the_names_the_documents_give_it(answerer) -> None:
    bot, emb = answerer
    asked = "What did the ABC decide about calibrating gadgets at the GL?"
    ev = evidence(asked, emb, named_as())
    covered = bot.draft(question(asked), replace(ev, acronyms={"GL": "Laboratoire des gadgets; Gadget Laboratory"}))
    assert not covered.abstained and "every two years" in covered.blocks[0].units[0].text
    assert bot.draft(question(asked), replace(ev, acronyms={"GL": "Laboratoire des gadgets"})).abstained
    # The documents spell out only the plural ('the Gadget Laboratories (GLs)'), and the quote names one.
    assert not bot.draft(question(asked), replace(ev, acronyms={"GLs": "Gadget Laboratories"})).abstained


def test_an_english_question_is_checked_against_a_french_passage_through_the_glossary(answerer) -> None:
    # An old record in French, filed with the English documents.
    docs = [meeting("m14", "14th", "2007", "Resolution 2: Sur les gadgets",
                    "Le ABC décide que le gadget sera envoyé au laboratoire national chaque année.")]
    bot, emb = answerer
    asked = "How often did the ABC decide the gadget goes to the national laboratory, every year?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert not draft.abstained and "chaque année" in draft.blocks[0].units[0].text
    unrelated = "How often did the ABC decide the gadget goes to the national laboratory, every month?"
    assert bot.draft(question(unrelated, docs), evidence(unrelated, emb, named_as(docs), docs)).abstained


def test_a_meeting_the_collection_has_no_record_of_is_not_answered(answerer) -> None:
    bot, emb = answerer
    asked = "What did the 12th ABC decide about widgets?"
    ev = evidence(asked, emb, named_as())
    assert not bot.draft(question(asked), ev).abstained
    missing = bot.draft(question(asked), replace(ev, unrecorded=("14th ABC",)))
    assert missing.abstained and missing.reason == "missing_terms" and missing.missing == ["14th ABC"]


def test_a_body_and_year_with_no_record_of_their_own_may_be_named_in_another_bodys_record(answerer) -> None:
    """No WCC record of 2003, but the ABC's record of 2003 lists who joined the WCC: that answers. A quote that
    does not name the WCC does not, nor does any quote when the question names a meeting by its number."""
    bot, emb = answerer
    docs = [*DOCS, meeting("m13b", "13th", "2003", "Decision 4: Membership of the committees",
                           "The ABC approved these changes in WCC membership: the Gadget Institute of "
                           "Ruritania, admitted with observer rights.")]
    asked = "Which institute got WCC observer rights in 2003?"
    ev = replace(evidence(asked, emb, named_as(docs), docs), unrecorded=("WCC 2003",))
    draft = bot.draft(question(asked, docs), ev)
    assert not draft.abstained and "Ruritania" in draft.blocks[0].units[0].text
    other = "Which institute got XYZ observer rights in 2003?"
    ev = replace(evidence(other, emb, named_as(docs), docs), unrecorded=("XYZ 2003",))
    assert bot.draft(question(other, docs), ev).abstained
    numbered = "Which institute got WCC observer rights at its 3rd meeting?"
    ev = replace(evidence(numbered, emb, named_as(docs), docs), unrecorded=("3rd WCC",))
    assert bot.draft(question(numbered, docs), ev).abstained


def test_a_term_the_quotes_section_says_is_covered_even_when_the_quote_does_not(answerer) -> None:
    bot, emb = answerer
    heading = "Storage"
    text = (f"{heading}\n\nThe Zorblax gadget must be handled with care by trained staff at every site.\n\n"
            "Each site keeps a register of the units it holds and of their serial numbers.\n\n"
            "Registers are checked once a year by the central office and kept for ten years.\n\n"
            "The shelf temperature is kept below five degrees.\n")
    doc = Document("s1", "https://example.org/s1", "Handbook of devices", text,
                   sections=(Section(heading, 0, len(text)),))
    other = Document("s2", "https://example.org/s2", "Handbook of tools",
                     "Tools\n\nThe shelf humidity of tool stores is not regulated.\n",
                     sections=(Section("Tools", 0, 60),))
    docs = [doc, other]
    asked = "Which shelf temperature does the Zorblax need?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, {}, docs))
    assert not draft.abstained and "below five degrees" in draft.blocks[0].units[0].text
    # A term the section does not say still has to be in the quote.
    asked = "Which shelf temperature does the Quaxle need?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, {}, docs))
    assert draft.abstained and draft.missing == ["Quaxle"]


def minutes(doc_id: str, heading: str, sentence: str, title: str = "Minutes of the widget board") -> Document:
    """A one-section document: ``sentence`` under ``heading``."""
    text = f"{heading}\n\n{sentence}\n"
    return Document(doc_id, f"https://example.org/{doc_id}", title, text, sections=(Section(heading, 0, len(text)),))


def drafted(answerer, asked: str, docs: list[Document]) -> Draft:
    """The answerer's draft for ``asked`` over ``docs`` alone."""
    bot, emb = answerer
    return bot.draft(question(asked, docs), evidence(asked, emb, {}, docs))


def test_a_displayed_formula_goes_on_with_the_value_after_it(answerer) -> None:
    # '… at its peak:' announces the formula, and the paragraph opening with '(=' is the formula's value.
    text = ("Widget efficacy\n\nK_w is the maximum efficacy of a widget, at the peak of its curve:\n\n"
            "K_w = K_0 · [V(λ_w) / V(λ_0)]\n\n(= 42.5 gw·W^−1 ≈ 43 gw·W^−1 in standard air).\n\n"
            "Gadgets have no such peak.\n")
    doc = Document("f1", "https://example.org/f1", "Widget notes", text, sections=(Section("Widget efficacy", 0, len(text)),))
    draft = drafted(answerer, "Which efficacy K_w does a widget reach at its peak?", [doc])
    assert not draft.abstained
    assert any("42.5" in u.text for b in draft.blocks for u in b.units)


def abstained_as(answerer, asked: str, docs: list[Document], reason: str) -> tuple[Draft, str]:
    """The draft for ``asked`` over ``docs``, checked to abstain for ``reason``, and the answer text it makes."""
    draft = drafted(answerer, asked, docs)
    assert draft.abstained and draft.reason == reason, (draft.abstained, draft.reason)
    text, _ = compose(draft, SimpleNamespace(documents={d.doc_id: d for d in docs}, references={}), [], "")
    return draft, text


def test_a_question_about_what_work_found_is_not_answered_by_the_quote_that_sets_the_work(answerer) -> None:
    from assistant.answer.abstain import decide
    from assistant.fitted import LinearModel

    asked = "What did the widget survey reveal?"
    set_only = [minutes("w1", "Survey of widgets", "The Office to circulate a widget survey to each member before the next meeting.")]
    draft = drafted(answerer, asked, set_only)
    assert draft.abstained and draft.reason == "unreported"
    found = [minutes("w2", "Survey of widgets", "The widget survey revealed that most widgets rust within two years.")]
    assert not drafted(answerer, asked, found).abstained
    # A question about the work itself is answered by the quote that sets it.
    assert not drafted(answerer, "Who is to circulate the widget survey?", set_only).abstained
    # An order sets the work as well ('Circulate …'), and says no more of what it found than 'to circulate'.
    ordered = [minutes("w3", "Survey of widgets", "Circulate the widget survey to each member before the next meeting.")]
    assert drafted(answerer, asked, ordered).reason == "unreported"
    # A sentence that opens with a word that may be a noun or a verb is no order ('Review of …', 'Survey …').
    reviewed = [minutes("w4", "Survey of widgets", "Survey results: most widgets rust within two years.")]
    assert not drafted(answerer, asked, reviewed).abstained
    # However confident the abstention model is, it does not answer what no signal of its own reads.
    sure = LinearModel(("coverage",), np.array([0.0]), 10.0, np.array([0.0]), np.array([1.0]),
                       {"threshold": 0.5, "veto": 0.0, "rescue": 0.8})
    assert decide(draft, sure, hybrid=True).abstained
    assert decide(draft, sure, hybrid=False).abstained


def test_a_question_for_a_fact_is_not_answered_by_the_quote_that_only_asks_for_the_work(answerer) -> None:
    asked = "How large a shortfall in the widget fund did the 2020 review put forward?"
    set_only = [minutes("f1", "Widget fund",
                        "Following the 2020 review, the board invites the Office to estimate the shortfall in the widget fund.")]
    _, text = abstained_as(answerer, asked, set_only, "unreported")
    assert text.startswith("The documents say this was asked for or planned, not what came of it.")
    found = [minutes("f2", "Widget fund", "The 2020 review put the shortfall in the widget fund at two million.")]
    assert not drafted(answerer, asked, found).abstained
    # A question about the work set, or about a duty, is answered by the quote that sets it.
    for asked in ("What did the board ask the Office to estimate after the 2020 review?",
                  "Who should estimate the shortfall in the widget fund after the 2020 review?"):
        assert not drafted(answerer, asked, set_only).abstained, asked
    # So is a resolution's request 'that' something be done.
    requested = [minutes("f4", "Widget fund", "After the 2020 review, the board requests that the Office estimate the shortfall in the widget fund.")]
    shortfall = "How large a shortfall in the widget fund did the 2020 review put forward?"
    assert drafted(answerer, shortfall, requested).reason == "unreported"
    # Setting up a body is setting work too: it does not say what the body became.
    formed = [minutes("f3", "Widget fund", "The board agreed to establish a panel of widget makers to study the fund.")]
    draft = drafted(answerer, "How large was the panel on the widget fund?", formed)
    assert draft.abstained and draft.reason == "unreported"
    assert not drafted(answerer, "What did the board establish to study the widget fund?", formed).abstained
    # Work one takes on is set, not done: 'ABC has volunteered to find a museum' names no museum found.
    offered = [minutes("f5", "Widget fair", "The ABC has volunteered to identify a museum to host the 2030 widget fair.")]
    draft = drafted(answerer, "Which museum did the ABC pick to host the 2030 widget fair?", offered)
    assert draft.abstained and draft.reason == "unreported"
    assert not drafted(answerer, "What did the ABC volunteer to do for the 2030 widget fair?", offered).abstained


def test_a_question_for_what_a_change_was_is_not_answered_by_a_quote_naming_only_the_changed_text(answerer) -> None:
    asked = "What change to the widget leave rule did the board approve?"
    named = [minutes("c1", "Widget leave", "The board approved the proposed amendment of the widget leave rule (Rule 4).")]
    _, text = abstained_as(answerer, asked, named, "unstated")
    assert text.startswith("The documents say this change was approved, not what it was.")
    stated = [minutes("c2", "Widget leave",
                      "The board approved the amendment of the widget leave rule from 20 to 25 days a year.")]
    assert not drafted(answerer, asked, stated).abstained
    # A question about whether or when it changed is answered by the approval itself.
    assert not drafted(answerer, "Did the board approve an amendment of the widget leave rule?", named).abstained


def test_a_quote_that_dates_the_asked_thing_with_another_year_does_not_answer(answerer) -> None:
    def accounts(doc_id: str, sentence: str) -> Document:
        # The meeting that reviewed the accounts took place in 2013: its title covers the question's year.
        return minutes(doc_id, "Widget accounts", sentence, title="Minutes of the widget board (2013)")

    asked = "Which surplus is reported in the widget accounts for 2013?"
    other = [accounts("a1", "The board approved the audited 2012 widget accounts, which show a surplus of two million.")]
    draft, text = abstained_as(answerer, asked, other, "other_year")
    assert draft.missing == ["2013", "2012"]
    assert text.startswith("The documents give this for 2012, not for 2013.")
    same = [accounts("a2", "The board approved the audited 2013 widget accounts, which show a surplus of two million.")]
    assert not drafted(answerer, asked, same).abstained
    # A year beside other words dates something else ('approved in 2014'), which the question does not ask about.
    later = [accounts("a3", "In 2014 the board approved the audited widget accounts, which show a surplus of two million.")]
    assert answer_type.other_year(asked, units_of(later[0])) is None


def test_the_same_day_of_another_year_does_not_answer_a_full_date() -> None:
    asked = "By how much was the widget fee raised on 1 March 2021?"
    other = minutes("f1", "Fees", "As for 2019 to 2021 no cap applied, the widget fee was raised on 1 March 2022 by 3 %.")
    assert answer_type.other_year(asked, units_of(other)[1:]) == ("2021", "2022")  # though 2021 is mentioned
    same = minutes("f2", "Fees", "The widget fee was raised on 1 March 2021 by 3 %.")
    assert answer_type.other_year(asked, units_of(same)[1:]) is None
    # Another day of another year is not that sort of date: the year-by-role check reads it.
    elsewhere = minutes("f3", "Fees", "As for 2019 to 2021 no cap applied, the widget fee was raised in May 2022.")
    assert answer_type.other_year(asked, units_of(elsewhere)[1:]) is None


def test_names_joined_by_and_may_each_be_answered_by_their_own_quote(answerer) -> None:
    bot, emb = answerer
    first = "Decision 30-4: Widgets\n\nThe board appointed Dr Blue as President of the Widget Committee (WCC).\n\n"
    second = "Decision 30-5: Gadgets\n\nThe board appointed Dr Red as President of the Gadget Committee (GCC).\n"
    text = first + second
    record = replace(meeting("m30", "30th", "2020", "Decision 30-4: Widgets", ""), text=text, sections=(
        Section("Decision 30-4: Widgets", 0, len(first)), Section("Decision 30-5: Gadgets", len(first), len(text))))
    asked = "Whom did the board name to chair the WCC and the GCC?"
    q, ev = question(asked, [record]), evidence(asked, emb, named_as([record]), [record])
    assert q.conjuncts == {"wcc", "gcc"}
    scored = bot._score(q, ev)
    blue, red = (next(s.unit for s in scored if name in s.unit.text) for name in ("Blue", "Red"))
    both = bot._check(q, ev, scored, [Block("sentences", (blue, red))], Draft(), ())
    assert not both.abstained
    # One appointment alone leaves the other committee unanswered.
    one = bot._check(q, ev, scored, [Block("sentences", (blue,))], Draft(), ())
    assert one.abstained and one.missing == ["GCC"]
    # Names not joined by 'and' are each required of the leading quote, as before.
    plain = question("Whom did the board name to chair the WCC, with the GCC?", [record])
    assert not plain.conjuncts
    assert bot._check(plain, ev, bot._score(plain, ev), [Block("sentences", (blue, red))], Draft(), ()).abstained


def test_a_which_x_question_is_answered_by_a_quote_naming_one_x_without_the_word(answerer) -> None:
    from assistant.answer.answer_type import names_new

    bot, emb = answerer
    record = meeting("m40", "40th", "2021", "Action 40-2: Gadget tests",
                     "The ABC asked the regional bodies to support the QZL (Freedonia) in gadget tests.\n\n"
                     "The ABC asked the regional bodies to report on gadget tests.\n")
    units = units_of(record)
    named, vague = (next(u for u in units if w in u.text) for w in ("QZL", "report on"))
    asked = "Which institute did the ABC ask the regional bodies to support in gadget tests?"
    assert names_new(asked, [named]) and not names_new(asked, [vague])
    # A dictionary word in capitals standing alone is a title, not a name; capitalised words side by side name.
    titled, titled_name = (replace(vague, text=t) for t in (
        "The ABC asked the regional bodies to send results to the Director on gadget tests.",
        "The ABC asked the regional bodies to use the Supplementary Guide for gadget tests."))
    assert not names_new(asked, [titled]) and names_new(asked, [titled_name])
    q, ev = question(asked, [record]), evidence(asked, emb, named_as([record]), [record])
    assert "institute" in q.soft
    scored = bot._score(q, ev)
    assert not bot._check(q, ev, scored, [Block("sentences", (named,))], Draft(), ()).abstained
    # A quote that names no institute does not answer 'which institute'.
    assert bot._check(q, ev, scored, [Block("sentences", (vague,))], Draft(), ()).abstained
    # 'Which institutes' asks for several: a list answers that, not one loose sentence.
    plural = question("Which institutes was the ABC asking the regional bodies to support in gadget tests?", [record])
    assert bot._check(plural, ev, bot._score(plural, ev), [Block("sentences", (named,))], Draft(), ()).abstained


def test_a_french_record_keeping_an_english_label_covers_the_french_word(answerer) -> None:
    from assistant.question.read import in_own_words
    from assistant.retrieve.translate import to_english

    bot, emb = answerer
    record = meeting("m50", "50e", "2001", "Recommendation 2: Sur les gadgets",
                     "Le Comité demande que les gadgets soient peints en bleu.")
    asked = "D'après la recommandation du Comité, de quelle couleur les gadgets sont-ils peints ?"
    q = in_own_words(question(to_english(asked), [record]), asked)
    ev = replace(evidence(asked, emb, named_as([record]), [record]), languages={"m50": "fr"})
    unit = next(u for u in ev.units if u.text.startswith("Le Comité"))
    own = ev.asked(q, unit)
    assert "recommandation" in own.lemmas
    # The French word is not in the record, its English label is: 'Recommendation 2: …'.
    assert bot._cover(own, unit, ev)["recommandation"] == 1.0


def test_a_french_question_in_its_own_words_keeps_french_lemmas_and_its_class_noun() -> None:
    from assistant.question.read import in_own_words
    from assistant.retrieve.translate import to_english

    record = meeting("m51", "51e", "2002", "Décision 3: Sur les boulons",
                     "Le Comité commande des boulons et des organisations.")
    # 'boulons' has no glossary entry: the English reading would take it for a plural 'boulons'.
    asked = "Combien de boulons le Comité a-t-il commandés ?"
    own = in_own_words(question(to_english(asked), [record]), asked).own
    assert "boulon" in own.lemmas
    # The class noun of 'Quelles organisations …?' is the French word's lemma in the question's own words.
    asked = "Quelles organisations le Comité a-t-il choisies ?"
    q = question(to_english(asked), [record])
    assert "organization" in q.soft
    assert in_own_words(q, asked).own.soft == ("organisation",)


def test_a_translated_question_leads_with_a_unit_in_the_askers_language_when_nearly_as_good() -> None:
    from assistant.answer.extractive import ranked
    from assistant.question.read import in_own_words

    fr = Document("fr", "https://example.org/fr", "Séance", "Le comité décide que la caisse sera auditée.", language="fr")
    en = Document("en", "https://example.org/en", "Session", "The committee decides that the fund will be audited.")
    units = {d.doc_id: units_of(d)[0] for d in (fr, en)}
    ev = SimpleNamespace(lang=lambda u: "fr" if u.doc_id == "fr" else "en")
    asked = "Que décide le comité sur la caisse ?"
    q = in_own_words(question("What does the committee decide about the fund?", [fr, en]), asked)

    def order(fr_score: float, factor: float, q=q) -> list[str]:
        scored = [Scored(units["en"], 0.9, 0.5, {}, False), Scored(units["fr"], fr_score, 0.5, {}, False)]
        return [s.unit.doc_id for s in ranked(q, scored, ev, factor)]

    assert order(0.75, 0.8) == ["fr", "en"]  # 0.9 × 0.8 = 0.72 < 0.75
    assert order(0.70, 0.8) == ["en", "fr"]  # not when the asker's language is well behind
    assert order(0.75, 1.0) == ["en", "fr"]  # 1: language does not matter
    english = question("What does the committee decide about the fund?", [fr, en])
    assert order(0.75, 0.8, q=english) == ["en", "fr"]  # an English question: the score alone


@pytest.mark.parametrize(("record", "answered"), [
    ("The ABC notes that 40 of its members painted the gizmos green.", True),
    ("The ABC met for 3 sessions at the Gizmo Laboratory, and there its members painted the gizmos green.", False),
])
def test_a_count_question_is_answered_by_a_figure_that_counts_the_noun_asked(answerer, record, answered) -> None:
    bot, emb = answerer
    docs = [*DOCS, meeting("m14", "14th", "2007", "Resolution 2: On gizmos", record)]
    asked = "How many members painted the gizmos green at the 14th ABC?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert draft.abstained is not answered
    if not answered:
        assert draft.reason == "missing_need"  # '3 sessions' is a figure, but not a count of members


class TripEmbedder(HashEmbedder):
    """The hashing embedder, with 'journeys' meaning what 'trips' means."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return super().embed([" ".join("trips" if w.strip(".,?").lower() == "journeys" else w for w in t.split())
                              for t in texts])


def test_a_counted_noun_matched_by_meaning_is_covered_where_its_figure_counts_it() -> None:
    """'How many journeys …?' → '35 trips': the count check reads 'trips' as 'journeys', and so does the check
    that every key noun is covered, though the corpus uses the word 'journeys' elsewhere."""
    settings = load_settings()
    docs = [meeting("m22", "22nd", "2018", "Resolution 4: On travel", "The ABC staff made 35 trips to the depot."),
            meeting("m23", "23rd", "2019", "Resolution 1: On booking", "Journeys are booked by the ABC office.")]
    asked = "How many journeys did the ABC staff make to the depot?"
    q = question(asked, docs)
    assert next(t for t in q.terms if t.lemma == "journey").known  # so the coverage check compares it literally
    drafts = {}
    for emb in (TripEmbedder(), HashEmbedder()):
        bot = ExtractiveAnswerer(settings, TermMatcher(emb, low=settings.term_match - 0.17,
                                                       high=settings.term_match + 0.13))
        drafts[type(emb).__name__] = bot.draft(q, evidence(asked, emb, named_as(docs), docs))
    assert not drafts["TripEmbedder"].abstained and "35 trips" in drafts["TripEmbedder"].blocks[0].units[0].text
    # Where 'trips' does not mean 'journeys', the figure counts nothing asked about.
    assert drafts["HashEmbedder"].abstained and drafts["HashEmbedder"].reason == "missing_need"


class KindEmbedder(HashEmbedder):
    """Hash vectors, except that the words of one kind ('languages' and the names of two) share one."""

    KIND = {"languages", "language", "esperanto", "latin"}

    def embed(self, texts: list[str]) -> np.ndarray:
        kinds = [" ".join("languages" if w.lower().strip(".,?") in self.KIND else w for w in t.split()) for t in texts]
        return super().embed(kinds)


def test_a_which_question_s_class_is_covered_by_a_name_of_that_kind_even_where_the_corpus_uses_the_word() -> None:
    settings = load_settings()
    emb = KindEmbedder()
    bot = ExtractiveAnswerer(settings, TermMatcher(emb, low=settings.term_match - 0.17,
                                                   high=settings.term_match + 0.13))
    docs = [meeting("m21", "21st", "2015", "Resolution 2: On meetings",
                    "The ABC notes that its delegates speak many languages at meetings.")]
    q = question("Which languages do ABC fellows need?", docs)
    assert next(t for t in q.terms if t.lemma == "language").known  # so the matcher compares it literally
    assert bot.matcher.coverage(q.terms, profile_of("Esperanto or Latin is required."))["language"] == 0.0
    # A name of that kind covers the class the question word asks for; a name of another kind does not.
    assert bot._named_kinds(q, "A good command of Esperanto or Latin is required.", "en")["language"] == 1.0
    assert not bot._named_kinds(q, "A good command of Statistics or Algebra is required.", "en").get("language")
    # Nor for a question whose question word asks no class ('What are …').
    other = question("What are the languages of ABC fellows?", docs)
    assert bot._named_kinds(other, "A good command of Esperanto or Latin is required.", "en") == {}


def test_a_runner_up_further_behind_is_quoted_when_it_says_what_the_leading_sentences_leave_out(answerer) -> None:
    """Runners-up within ``runner_up_share`` of the leading sentence are quoted; one between ``complement_share``
    and that only when it covers a question word none of the chosen sentences covers."""
    bot, _ = answerer
    settings = bot.settings
    doc = Document("g", "https://example.org/g", "Gadget page",
                   "Visitors work with engineers of the Bureau. The Bureau will pay an allowance to visitors. "
                   "Visitors work with engineers on gadgets.")
    first, pays, again = units_of(doc)[:3]
    q = question("Does the Bureau pay visiting engineers anything?", [doc])
    lemmas = {t.word.lower(): t.lemma for t in q.terms}
    covers = {"lead": {lemmas["bureau"]: 1.0, lemmas["engineers"]: 1.0},
              "pay": {lemmas["bureau"]: 1.0, lemmas["pay"]: 1.0}}
    between = (settings.complement_share + settings.runner_up_share) / 2
    lead = Scored(first, 1.0, 0.5, covers["lead"], False)
    assert [u.text for u in bot._sentences(q, [lead, Scored(pays, between, 0.5, covers["pay"], False)], lead)] == [
        first.text, pays.text]
    # The same score without a word of its own: not quoted; nor below complement_share with one.
    assert bot._sentences(q, [lead, Scored(again, between, 0.5, covers["lead"], False)], lead) == [first]
    # Nor below complement_share with one, in another section (the leading sentence's neighbour: next test).
    below = settings.complement_share * 0.9
    far = replace(pays, block=pays.block + 1, section="Other gadgets")
    assert bot._sentences(q, [lead, Scored(far, below, 0.5, covers["pay"], False)], lead) == [first]


def test_the_leading_sentences_neighbour_is_quoted_when_its_own_words_say_more(answerer) -> None:
    """A sentence or item next to the leading one in its section is quoted, whatever it scores, when its own text
    says a question word no chosen sentence's own text says (scores read a unit with its context, which hides that)."""
    bot, _ = answerer
    doc = Document("h", "https://example.org/h", "Gadget page",
                   "Please post the gadget form to the Bureau. The Bureau will then send a loan contract. "
                   "Loans are free of charge.")
    form, contract, free = units_of(doc)[:3]
    q = question("Do I post the gadget form first, or does the Bureau first send a loan contract?", [doc])
    everything = {t.lemma: 1.0 for t in q.terms}  # the leading sentence with its context covers every word
    lead = Scored(contract, 1.0, 0.5, everything, False)
    low = 0.1 * bot.settings.complement_share
    assert [u.text for u in bot._sentences(q, [lead, Scored(form, low, 0.5, {}, False)], lead)] == [
        form.text, contract.text]
    # From another paragraph of the section too (a resolution's clauses), as a sentence or a list item ...
    for kind in ("sent", "item"):
        apart = replace(form, block=form.block + 1, kind=kind)
        assert bot._sentences(q, [lead, Scored(apart, low, 0.5, {}, False)], lead) == [contract, apart]
    # ... but not from another section, nor a neighbour whose own words add nothing the question asks.
    elsewhere = replace(form, section="Decision 2: On widgets")
    assert bot._sentences(q, [lead, Scored(elsewhere, low, 0.5, {}, False)], lead) == [contract]
    assert bot._sentences(q, [lead, Scored(free, low, 0.5, {}, False)], lead) == [contract]
    # Both neighbours, when each says a word of its own.
    both = question("Do I post the gadget form first, or does the Bureau first send a loan contract, and what is charged?",
                    [doc])
    lead = Scored(contract, 1.0, 0.5, {t.lemma: 1.0 for t in both.terms}, False)
    assert bot._sentences(both, [lead, Scored(form, low, 0.5, {}, False), Scored(free, low, 0.5, {}, False)],
                          lead) == [form, contract, free]


@pytest.mark.parametrize(("record", "answered"), [
    ("The ABC voted on the painting of widgets: (a) blue every year; (b) red every five years.", True),
    ("The ABC voted on the painting of widgets blue every year or red every five years.", False),
])
def test_a_sentence_that_enumerates_inline_answers_a_list_question_without_its_class_noun(
        answerer, record, answered) -> None:
    """'What two choices …?' → '(a) …; (b) …': the enumerated items are the choices, as a list's are."""
    bot, emb = answerer
    docs = [*DOCS, meeting("m14", "14th", "2007", "Resolution 2: On widgets", record)]
    asked = "What two choices did the 14th ABC vote on for the painting of widgets?"
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert draft.abstained is not answered
    if answered:
        assert "(a) blue" in draft.blocks[0].units[0].text
    else:
        assert draft.reason == "missing_terms" and draft.missing == ["choices"]


def test_a_follow_up_may_leave_out_one_of_its_few_key_nouns_when_the_quote_is_about_its_referent(answerer) -> None:
    """A follow-up has few words of its own: those of the earlier question it stands on count towards the key
    nouns a quote may leave one of out, when the quote is about that referent."""
    bot, emb = answerer
    asked = "And the painting of the widgets by its members?"

    def drafted(earlier: str, **update) -> Draft:
        answering = ExtractiveAnswerer(bot.settings.model_copy(update=update), bot.matcher) if update else bot
        return answering.draft(question(asked), evidence(asked, emb, named_as()), question(earlier).terms)

    about_widgets = "What did the 12th ABC decide in 1999 about the widgets?"
    draft = drafted(about_widgets)
    assert not draft.abstained and draft.partial == ["members"]
    assert "painted blue" in draft.blocks[0].units[0].text
    assert drafted(about_widgets, tolerate_missing=0).abstained
    # Alone, or after a question about something else, its three key nouns are too few to leave one out.
    assert bot.draft(question(asked), evidence(asked, emb, named_as())).abstained
    assert drafted("How often does the Gadget Laboratory calibrate gadgets?").abstained


def test_a_unit_covering_every_key_term_leads_instead_when_it_scores_alternative_share_of_the_best(
        answerer) -> None:
    """The leading quote leaves out a key term: a unit that covers all of them takes its place when it scores at
    least ``alternative_share`` of the best, however far behind that is."""
    bot, emb = answerer
    asked = "What did the 12th ABC decide about widgets?"
    q, ev = question(asked), evidence(asked, emb, named_as())
    units = {u.text[:20]: u for u in ev.units}
    keys = [t for t in ev.asked(q, ev.units[0]).strict().hard_terms]
    full = dict.fromkeys((t.lemma for t in keys), 1.0)
    lacking = full | {keys[0].lemma: 0.0}
    lead = Scored(units["The Assembly of Bure"], 1.0, 0.5, lacking, False)
    share = bot.settings.alternative_share
    for score, taken in ((share * 1.05, True), (share * 0.95, False)):
        other = Scored(units["The ABC decides that"], score, 0.5, full, False)
        assert (bot._alternative(q, [lead, other], lead, ev) is other) is taken, score


def test_a_follow_up_s_referent_is_what_the_quote_is_about_from_referent_coverage_of_its_terms(answerer) -> None:
    """The quote's context must cover ``referent_coverage`` of the earlier turn's terms by weight (or three in
    four of them by count): 'widgets' of 'widgets, gizmos, levers' is enough when it weighs enough."""
    from assistant.retrieve.query import Term

    bot, emb = answerer
    asked = "What did the 12th ABC decide about widgets?"
    ev = evidence(asked, emb, named_as())
    painted = [u for u in ev.units if "painted blue" in u.text]

    def earlier(lever_weight: float) -> tuple[Term, ...]:
        return (Term("widgets", "widget", 1.0), Term("gizmos", "gizmo", 1.0),
                Term("levers", "lever", lever_weight))

    share = bot.settings.referent_coverage
    heavy = 1.0 / (share * 0.95) - 2.0  # 'widget' alone just under the share ...
    light = 1.0 / (share * 1.05) - 2.0  # ... and just over it
    assert bot._context_ok(earlier(light), painted, ev)
    assert not bot._context_ok(earlier(heavy), painted, ev)


def _record_index_doc(second_body: str = "- Date: 2001-09-20\n- Reference: Proceedings, p. 108\n",
                      header: str = "Body: ABC — Assembly of Bureaux Date: 2001-09-20 URL: https://example.org/m10",
                      ) -> Document:
    """A meeting's outcomes as bare records: a level-1 title heading with the header line, level-2 headings."""
    parts = [f"10th meeting of the ABC\n\n{header}\n\n",
             "Recommendation 1: On widget colours\n\n- Date: 2001-09-20\n- Reference: Proceedings, p. 107\n\n",
             f"Recommendation 2: On gadget calibration\n\n{second_body}"]
    starts = [sum(len(p) for p in parts[:i]) for i in range(len(parts))]
    text = "".join(parts)
    sections = (Section("10th meeting of the ABC", 0, len(text), level=1),
                Section("Recommendation 1: On widget colours", starts[1], starts[2], level=2),
                Section("Recommendation 2: On gadget calibration", starts[2], len(text), level=2))
    return Document("m10", "https://example.org/m10", "10th meeting of the ABC", text, sections=sections,
                    date="2001-09-20", meta={"body": "ABC", "date": "2001-09-20"})


@pytest.mark.parametrize(("asked", "leads"), [
    # Several records asked about by the noun their headings open with: led by the header or a record's field.
    ("What did the recommendations of the 10th ABC deal with?", ("Body:", "Reference:", "Date:")),
    # A list asked for while no one record leads (the header line does).
    ("Which subjects did the 10th ABC recommend on?", ("Body:",)),
])
def test_several_bare_records_asked_about_are_listed_by_their_headings(answerer, asked: str, leads) -> None:
    bot, emb = answerer
    doc = _record_index_doc()
    q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
    unit = {u.text.split()[0]: u for u in ev.units}
    for lead in leads:
        top = Scored(unit[lead], 1.0, 1.0, {}, False)
        blocks = bot._select(q, ev, [top], top)
        assert [b.style for b in blocks] == ["list"]
        assert [u.text for u in blocks[0].units] == [
            "10th meeting of the ABC", "Recommendation 1: On widget colours", "Recommendation 2: On gadget calibration"]


def test_a_bare_records_title_that_names_what_is_asked_only_generically_does_not_answer_it(answerer) -> None:
    bot, emb = answerer
    doc = _record_index_doc("The ABC recommends that gadgets are calibrated every year.\n")
    doc = replace(doc, text=doc.text.replace("On widget colours", "Conditions for new widget colours"), sections=tuple(
        replace(s, heading=s.heading.replace("On widget colours", "Conditions for new widget colours"))
        for s in doc.sections))

    def drafted(asked: str):
        return bot.draft(question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc]))

    # The record has a heading and fields only: its title names the conditions, but not one of them.
    unnamed = drafted("What conditions did the 10th ABC set for new widget colours?")
    assert unnamed.abstained and unnamed.reason == "unnamed"
    # What it is printed under, or where, the heading and fields do answer.
    paged = drafted("On which page is the 10th ABC recommendation on new widget colours?")
    assert not paged.abstained and "Reference: Proceedings, p. 107" in [u.text for b in paged.blocks for u in b.units]


@pytest.mark.parametrize(("asked", "answered"), [
    # The title only says again what the question says: the record does not give what it recommended.
    ("What exactly did the 10th ABC recommendation on gadget calibration recommend?", False),
    # Its particulars answer: its page, its date, its number.
    ("On which page is the 10th ABC recommendation on gadget calibration printed?", True),
    ("When did the 10th ABC pass its gadget calibration recommendation?", True),
    ("Which 10th ABC recommendation is on gadget calibration?", True),
    # A title the question does not give is the answer.
    ("Which topic did the 10th ABC's Recommendation 2 take up?", True),
])
def test_a_bare_record_whose_title_restates_the_question_answers_only_its_particulars(
        answerer, asked: str, answered: bool) -> None:
    bot, emb = answerer
    doc = _record_index_doc()
    draft = bot.draft(question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc]))
    assert draft.abstained != answered, (draft.abstained, draft.reason)
    if not answered:
        assert draft.reason == "restated"
    # A record with a clause of its own is read as its clauses are, not as a restated title.
    body = "- Date: 2001-09-20\n\nThe ABC recommends that gadgets are calibrated every year.\n"
    doc = _record_index_doc(body)
    draft = bot.draft(question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc]))
    assert draft.reason != "restated"


@pytest.mark.parametrize(("asked", "restated"), [
    ("Which institute proposed the 10th ABC recommendation on gadget calibration?", True),
    ("Which meeting adopted the ABC recommendation on gadget calibration?", False),  # the heading above names it
    ("Which 10th ABC recommendation is on gadget calibration?", False),  # its label gives it
    ("Did the 10th ABC pass a gadget calibration recommendation?", False),  # yes: the record is there
    ("Which institute proposed the 10th ABC recommendation?", False),  # the title says what it is on
    # A title that says more than the question still does not name the noun asked for; one that names it may
    # be the answer.
    ("What calibration intervals did the 10th ABC recommendation set?", True),
    ("Which gadgets did the 10th ABC recommendation cover?", False),
])
def test_which_questions_a_restating_record_heading_leaves_unanswered(answerer, asked: str, restated: bool) -> None:
    from assistant.answer.extractive import _restates_record

    _, emb = answerer
    doc = _record_index_doc()
    ev = evidence(asked, emb, named_as([doc]), [doc])
    heading = next(u for u in ev.units if u.text.startswith("Recommendation 2"))
    record = Block("list", (heading, *(u for u in ev.units if u.lead == heading.index)))
    assert len(record.units) == 3
    assert _restates_record(question(asked, [doc]), record, ev) is restated


@pytest.mark.parametrize(("asked", "restated"), [
    # The title names a body the question does not: it may be the one asked for.
    ("Which body does the 10th ABC recommendation on gadget calibration mention?", False),
    # Named by most of its title, the record gives no interval, nor any new name or figure.
    ("What intervals did the 10th ABC recommendation on gadget calibration with the WXQ set?", True),
])
def test_a_title_naming_something_new_may_answer_a_which_question(answerer, asked: str, restated: bool) -> None:
    from assistant.answer.extractive import _restates_record

    _, emb = answerer
    doc = _record_index_doc()
    doc = replace(doc, text=doc.text.replace("On gadget calibration", "On gadget calibration with the WXQ"),
                  sections=tuple(replace(s, heading=s.heading.replace("On gadget calibration",
                                                                      "On gadget calibration with the WXQ"))
                                 for s in doc.sections))
    ev = evidence(asked, emb, named_as([doc]), [doc])
    heading = next(u for u in ev.units if u.text.startswith("Recommendation 2"))
    record = Block("list", (heading, *(u for u in ev.units if u.lead == heading.index)))
    assert _restates_record(question(asked, [doc]), record, ev) is restated


def test_a_records_empty_title_does_not_say_what_the_record_is_called(answerer) -> None:
    bot, emb = answerer
    doc = _record_index_doc()
    doc = replace(doc, text=doc.text.replace("On gadget calibration", ""), sections=tuple(
        replace(s, heading=s.heading.replace(": On gadget calibration", ":")) for s in doc.sections))
    asked = "What was Recommendation 2 called at the 10th ABC?"
    draft = bot.draft(question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc]))
    assert draft.abstained and draft.reason == "restated", [u.text for b in draft.blocks for u in b.units]
    text, _ = compose(draft, SimpleNamespace(documents={doc.doc_id: doc}, references={}), [], "")
    assert text.startswith("The documents give only this text's title, not what it says.")


def test_a_records_fields_and_item_labels_give_no_figure(answerer) -> None:
    """A page number in a record's 'Reference:' field and the '1' of 'Recommendation 1' label the record; they
    are no figure it gives. A figure in a record's body is one."""
    bot, emb = answerer

    def drafted(doc: Document, asked: str) -> Draft:
        return bot.draft(question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc]))

    asked = "What uncertainty for gadget calibration has the 10th ABC recommended?"
    bare = drafted(_record_index_doc(), asked)
    assert bare.abstained and bare.reason == "missing_need"
    body = "- Date: 2001-09-20\n\nThe ABC recommends an uncertainty of 2 parts in 10^9 for gadget calibration.\n"
    given = drafted(_record_index_doc(body), asked)
    assert not given.abstained
    assert any("2 parts" in u.text for b in given.blocks for u in b.units)


def test_a_numbered_item_asked_about_sets_aside_the_record_header_line(answerer) -> None:
    """'Body: … Date: … URL: …' names only the meeting: when a unit of the item asked about is there, the header
    line is set aside with the other items' units, and the item's heading leads."""
    from assistant.answer.extractive import _of_item

    bot, emb = answerer
    doc = _record_index_doc()
    asked = "Under Recommendation 2, what topic was taken up at the 10th ABC?"
    ev = replace(evidence(asked, emb, named_as([doc]), [doc]), items=refs.parse(asked, frozenset({"ABC"})).items)
    q = question(asked, [doc])
    kept = {s.unit.text for s in _of_item(bot._score(q, ev), ev)}
    assert "Recommendation 2: On gadget calibration" in kept
    assert not any(t.startswith(("Body:", "Recommendation 1")) for t in kept)
    draft = bot.draft(q, ev)
    assert not draft.abstained and draft.blocks[0].units[0].text == "Recommendation 2: On gadget calibration"
    # No unit of the item asked about: nothing is set aside, the header line included.
    other = replace(ev, items=frozenset({("recommendation", "5")}))
    assert any(s.unit.text.startswith("Body:") for s in _of_item(bot._score(q, other), other))


def test_a_record_header_line_alone_does_not_answer(answerer) -> None:
    # 'Body: ABC — Assembly of Bureaux Date: … URL: …' names the meeting a question asks about, not what it did:
    # it leads no answer, and a sentence quoted beside it is the one the check reads. When the date asked is in
    # the header line, it leads beside another record's sentence, and the meeting's ordinal, said only by the
    # header's section, is not left out.
    bot, emb = answerer
    doc = _record_index_doc("- Date: 2001-09-20\n\nThe ABC recommends that gadgets are calibrated yearly.\n")
    asked = "Which bureau assembly met in 2001?"
    q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
    header = next(u for u in ev.units if u.text.startswith("Body:"))
    clause = next(u for u in ev.units if u.text.startswith("The ABC recommends"))
    scored = bot._score(q, ev)
    alone = bot._check(q, ev, scored, [Block("sentences", (header,))], Draft(), ())
    assert alone.abstained and alone.reason == "missing_terms"
    both = [Block("sentences", (header, clause))]
    assert _main_units(both) == [clause] and _main_units(both, q) == [clause]
    dated = question("When did the 10th ABC sit?", [doc])
    assert _main_units(both, dated) == [header]
    scored = [Scored(header, 1.0, 1.0, {}, False), Scored(clause, 0.9, 0.9, {}, False)]
    assert not bot._check(dated, ev, scored, both, Draft(), ()).abstained


def test_a_record_header_line_answers_the_date_of_its_meeting(answerer) -> None:
    # Its 'Date:' field is the answer to 'when did it meet?'; a figure elsewhere in a header line ('Note: As of
    # 20 May 2019 …') dates no meeting.
    bot, emb = answerer
    doc = _record_index_doc()
    asked = "On which day did the 10th ABC meet?"
    q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
    assert q.need == "date"
    header = next(u for u in ev.units if u.text.startswith("Body:"))
    dated = bot._check(q, ev, bot._score(q, ev), [Block("sentences", (header,))], Draft(), ())
    assert not dated.abstained
    noted = _record_index_doc(header="Note: As of 20 May 2019 the ABC had ten members Source: its register")
    q, ev = question(asked, [noted]), evidence(asked, emb, named_as([noted]), [noted])
    header = next(u for u in ev.units if u.text.startswith("Note:"))
    assert _is_header(header)
    undated = bot._check(q, ev, bot._score(q, ev), [Block("sentences", (header,))], Draft(), ())
    assert undated.abstained


def test_a_date_asked_shows_the_date_field_of_a_record_quoted_by_another_field(answerer) -> None:
    # 'Reference: Proceedings, (2001), 2002' gives years; the record's 'Date:' field gives the day asked for.
    bot, emb = answerer
    doc = _record_index_doc("- Date: 2001-09-21\n- Reference: Proceedings of the 10th ABC (2001), 2002, p. 108\n"
                            "- URL: https://example.org/m10/r2\n- DOI: 10.1/abc2\n")
    for asked, shown in (("On which date was its gadget calibration recommendation voted by the 10th ABC?", True),
                         ("Where in the 10th ABC proceedings is its gadget calibration recommendation printed?", False)):
        q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
        reference = next(u for u in ev.units if u.text.startswith("Reference: Proceedings of the 10th"))
        top = Scored(reference, 1.0, 1.0, {}, False)
        quoted = [u.text for u in bot._select(q, ev, [top], top)[0].units]
        assert ("Date: 2001-09-21" in quoted) is shown and reference.text in quoted


def test_a_meetings_records_listed_by_heading_are_dated_by_its_header_line(answerer) -> None:
    _, emb = answerer
    doc = _record_index_doc()
    for asked, dated in (("What day were the recommendations adopted at the 10th ABC?", True),
                         ("Which subjects did the 10th ABC cover in its recommendations?", False)):
        q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
        headings = tuple(u for u in ev.units if u.kind == "heading")
        blocks = _with_date_field([Block("list", headings)], ev, q)
        assert blocks[0].units == headings
        assert ([b.units[0].text.split()[0] for b in blocks[1:]] == ["Body:"]) is dated


def test_records_with_clauses_of_their_own_or_one_record_asked_about_are_not_listed_by_heading(answerer) -> None:
    bot, emb = answerer
    asked = "What did the recommendations of the 10th ABC deal with?"
    # A record with a clause of its own: its clauses answer, not the list of headings.
    doc = _record_index_doc("- Date: 2001-09-20\n\nThe ABC recommends that gadgets are calibrated yearly.\n")
    q, ev = question(asked, [doc]), evidence(asked, emb, named_as([doc]), [doc])
    top = Scored(next(u for u in ev.units if u.text.startswith("Body:")), 1.0, 1.0, {}, False)
    assert not any(u.text.startswith("Recommendation 2") for b in bot._select(q, ev, [top], top) for u in b.units)
    # One record asked about, in the singular and not as a list: the record itself answers.
    doc = _record_index_doc()
    single = "What did Recommendation 1 of the 10th ABC deal with?"
    q, ev = question(single, [doc]), evidence(single, emb, named_as([doc]), [doc])
    assert not q.wants_list
    heading = next(u for u in ev.units if u.text.startswith("Recommendation 1"))
    top = Scored(next(u for u in ev.units if u.lead == heading.index), 1.0, 1.0, {}, False)
    quoted = [u.text for b in bot._select(q, ev, [top], top) for u in b.units]
    assert "Recommendation 2: On gadget calibration" not in quoted and heading.text in quoted
    # A list question led by one record's field asks about that record ('the list of widget colours').
    listed = "Which list of widget colours did the 10th ABC recommend?"
    q, ev = question(listed, [doc]), evidence(listed, emb, named_as([doc]), [doc])
    assert q.wants_list
    assert bot._select(q, ev, [top], top)[0].units[0].text != "10th meeting of the ABC"  # not the records' list
    # Headings whose entries only look like fields, with no header line of fields: a glossary, not records.
    glossary = _record_index_doc(header="Entries of the ABC glossary are listed below.")
    q, ev = question(asked, [glossary]), evidence(asked, emb, named_as([glossary]), [glossary])
    top = Scored(next(u for u in ev.units if u.text.startswith("Reference:")), 1.0, 1.0, {}, False)
    assert not any(u.text.startswith("Recommendation 2") for b in bot._select(q, ev, [top], top) for u in b.units)


def test_a_question_for_what_a_text_says_is_not_answered_by_a_quote_saying_only_that_it_was_approved(answerer) -> None:
    asked = "What does the widget safety policy require of members?"
    approved = [minutes("p1", "Widget safety", "The board approved the proposed policy on widget safety for members.")]
    _, text = abstained_as(answerer, asked, approved, "unstated_content")
    assert text.startswith("The documents say this text was approved, not what it says.")
    # A quote that gives the content answers it, after a colon or in a clause saying what the text requires.
    for said in ("The board approved the policy on widget safety for members: every widget is to be inspected yearly.",
                 "The board approved the widget safety policy, which requires members to inspect every widget yearly."):
        assert not drafted(answerer, asked, [minutes("p2", "Widget safety", said)]).abstained, said
    # A question about whether or when the text was approved is answered by the approval itself.
    assert not drafted(answerer, "Did the board approve a policy on widget safety for members?", approved).abstained


@pytest.mark.parametrize("asked, text, found", [
    ("How much did the widget survey cost?", "The widget survey covered 120 sites in 2019.", False),  # figures, no sum
    ("How much did the widget survey cost?", "The widget survey cost 12 000 euros.", True),
    ("What was the budget of the widget survey?", "The widget survey had a budget of € 40 000.", True),
    ("Quel montant le comité a-t-il voté ?", "Le comité a voté 3 000 000 francs-or.", True),
    ("Quel montant le comité a-t-il voté ?", "Le comité a voté la résolution 3 en 1999.", False),
    # Time is not money: 'how much … spend' asks a figure, any figure.
    ("How much staff time does the office spend on widgets?", "Widgets take 355 person days a year.", True),
    # 'How much does it spend' names no measure: a sum of money.
    ("How much does the office spend on widgets each year?", "Widgets take 120 staff hours a month.", False),
    ("How much does the office spend on widgets each year?", "Widgets cost the office 9 000 euros a year.", True),
    ("What is the widget club's entry fee?", "The widget club fixed its entry fee in 1999.", False),
    ("What entry fee will the widget club ask?", "The widget club asks 30 euros a year.", True),
    ("What was the vote count on the widget motion?", "The widget motion was carried by the club.", False),
    ("What was the vote count on the widget motion?", "The widget motion was carried by 17 votes to 3.", True),
    ("What entry fee for a new member did the widget club ask?", "The widget club asks a fee of new members.", False),
    ("What entry fee for a new member did the widget club ask?", "The widget club asks 30 euros of new members.", True),
    # 'What did X cost?' and 'What yearly subscription …?' ask for a sum of money too.
    ("What did each widget cost?", "Each widget was built in 1889 by 12 members.", False),
    ("What did each widget cost?", "Each widget cost 12 000 francs.", True),
    ("What yearly subscription does a widget club charge?", "The widget club has 40 members.", False),
    ("What yearly subscription does a widget club charge?", "The widget club charges 30 euros a year.", True),
    ("What stipend or salary does a widget keeper get?", "Widget keepers work 5 shifts weekly.", False),
    ("What stipend or salary does a widget keeper get?", "Widget keepers earn 1 900 euros monthly.", True),
    # 'How much funding …', 'how much extra budget …': a noun of money after 'how much'.
    ("Widget project: how much funding came with it?", "The widget project built gadgets below 100 nm.", False),
    ("Widget project: how much funding came with it?", "The widget project received 2 million euros.", True),
    ("How much extra budget did the widget office get?", "The widget office got 3 new rooms.", False),
    # A figure the question gives is no answer, in words or in digits.
    ("How many gadgets heavier than ten kilograms did the store keep?", "Gadgets heavier than 10 kilograms are kept apart.", False),
    ("How many gadgets heavier than 10 kilograms did the store keep?", "Gadgets heavier than ten kilograms are kept apart.", False),
    ("How many gadgets heavier than ten kilograms did the store keep?", "The store kept 12 gadgets heavier than 10 kilograms.", True),
])
def test_a_figure_asked_for_is_a_new_one_and_a_sum_of_money_has_a_currency(asked: str, text: str, found: bool) -> None:
    from assistant.answer.answer_type import has_need

    q = question(asked)
    assert q.need == "number"
    assert has_need(q, text) is found


def test_the_words_naming_where_to_look_are_the_documents_to_say_not_the_quotes(answerer) -> None:
    scope = "Scope\n\nThis cold storage handbook explains how gadgets are kept.\n\n"
    held = "Procedure\n\nThe reference gadget is held in a padded cradle during the comparison.\n"
    handbook = Document("h1", "https://example.org/h1", "Gadget notes", scope + held,
                        sections=(Section("Scope", 0, len(scope)), Section("Procedure", len(scope), len(scope + held))))
    asked = "In the cold storage handbook, how is the reference gadget held during the comparison?"
    draft = drafted(answerer, asked, [handbook])
    assert not draft.abstained and "padded cradle" in draft.blocks[0].units[0].text
    # The document must say them somewhere, and the rest of the question is still the quote's to cover.
    other = Document("h2", "https://example.org/h2", "Gadget notes", held, sections=(Section("Procedure", 0, len(held)),))
    assert drafted(answerer, asked, [other]).abstained
    flight = drafted(answerer, "In the cold storage handbook, how is the reference gadget held during the flight?",
                     [handbook])
    assert "flight" in [*flight.missing, *flight.partial]


def test_a_french_questions_source_phrase_is_read_in_the_askers_words(answerer) -> None:
    from assistant.question.read import in_own_words
    from assistant.retrieve.translate import to_english

    bot, emb = answerer
    scope = "Portée\n\nCe guide de stockage froid explique comment les gadgets sont gardés.\n\n"
    held = "Procédure\n\nLe gadget de référence est posé sur un berceau rembourré pendant la comparaison.\n"
    guide = Document("g1", "https://example.org/g1", "Notes", scope + held, language="fr",
                     sections=(Section("Portée", 0, len(scope)), Section("Procédure", len(scope), len(scope + held))))
    asked = "Dans le guide de stockage froid, comment le gadget de référence est-il posé pendant la comparaison ?"
    q = in_own_words(question(to_english(asked), [guide]), asked)
    # The translation drops the comma that ends the phrase; it is read in the French words asked.
    assert {"guide", "stockage", "froid"} <= q.source and {"guide", "stockage", "froid"} <= q.own.source
    ev = replace(evidence(asked, emb, {}, [guide]), languages={"g1": "fr"})
    draft = bot.draft(q, ev)
    assert not draft.abstained and "berceau" in draft.blocks[0].units[0].text



def test_an_acronym_the_documents_spell_out_only_in_the_plural_is_read_in_the_singular_too(answerer) -> None:
    bot, emb = answerer
    asked = "Did the 14th ABC decide to calibrate gadgets at the Gadget Laboratory?"
    docs = [meeting("m14", "14th", "2005", "Resolution 2: On gadgets",
                    "The ABC decides that gadgets are to be calibrated every three years at the GL."),
            Document("g", "https://example.org/g", "Glossary", "The Gadget Laboratories (GLs) keep reference widgets.")]
    ev = evidence(asked, emb, named_as(docs), docs)
    assert ev.acronyms == {"GLs": "Gadget Laboratories"}
    draft = bot.draft(question(asked, docs), ev)
    assert not draft.abstained
    assert "every three years" in draft.blocks[0].units[0].text
    # ... and the other way round: the singular acronym asked, the name written out in the quote.
    asked = "Did the 14th ABC decide to calibrate gadgets at the GL?"
    docs[0] = meeting("m14", "14th", "2005", "Resolution 2: On gadgets",
                      "The ABC decides that gadgets are to be calibrated every three years at the Gadget Laboratories.")
    draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
    assert not draft.abstained
    assert "every three years" in draft.blocks[0].units[0].text


def test_a_which_question_is_not_answered_by_a_name_the_documents_spell_out_as_another_kind(answerer) -> None:
    bot, emb = answerer
    glossary = Document("g", "https://example.org/g", "Glossary",
                        "The Gadget Laboratory (GL) keeps reference widgets. The Assembly of Bureaux (AB) meets yearly. "
                        "Each company sends its accounts.")
    for checker, answered in [("GL", True), ("AB", False)]:
        docs = [meeting("m14", "14th", "2005", "Resolution 2: On gadgets",
                        f"The gadget accounts of 2005 were approved after a review by the {checker}."), glossary]
        for asked in ("Which laboratory approved the gadget accounts of 2005?",
                      "Which company approved the gadget accounts of 2005?"):
            # The GL is a laboratory, the AB an assembly: neither is a company.
            expected = answered and "laboratory" in asked
            draft = bot.draft(question(asked, docs), evidence(asked, emb, named_as(docs), docs))
            assert draft.abstained is not expected, (checker, asked)


def _two_decision_meeting() -> Document:
    """One meeting's record with two decisions, each under its own heading: only the first names the scale."""
    parts = ["Resolution 1: On the gizmo scale\n\nThe ABC adopts the new gizmo scale in place of the old one.\n\n",
             "Resolution 2: On reporting\n\nThe ABC asks each laboratory to report its calibrations every spring.\n"]
    text = "".join(parts)
    return Document("m20", "https://example.org/m20", "20th meeting of the ABC", text,
                    sections=(Section("Resolution 1: On the gizmo scale", 0, len(parts[0])),
                              Section("Resolution 2: On reporting", len(parts[0]), len(text))),
                    date="2005-10-01", meta={"body": "ABC", "date": "2005-10-01"})


def test_a_follow_up_may_go_on_to_another_decision_of_the_record_its_earlier_answer_came_from(answerer) -> None:
    """After an answer from a meeting's record, 'that same meeting' is about that record: a quote from another of
    its decisions is about the referent when its document also holds the earlier answer's terms. Without an
    earlier answer (a later part of one message), or after an answer the document does not hold, the quote's
    own context must name the referent."""
    bot, emb = answerer
    docs = [_two_decision_meeting(), *DOCS]
    earlier = question("Which scale for gizmos did the ABC adopt?", docs).hard_terms
    asked = "And what did that same meeting ask of the laboratories?"
    ev = evidence(asked, emb, named_as(docs), docs)

    def drafted(answer: str) -> Draft:
        return bot.draft(question(asked, docs), ev, earlier, question(answer, docs).terms if answer else ())

    after = drafted("It adopted the new gizmo scale in place of the old one.")
    assert not after.abstained, after.reason
    assert "report its calibrations" in after.blocks[0].units[0].text
    for answer in ("", "Widgets are to be painted blue from 2001."):
        alone = drafted(answer)
        assert alone.abstained and alone.signals["context_fail"] == 1.0, answer


def test_a_table_is_read_with_the_paragraph_before_it() -> None:
    """A table's rows hold figures; what they are figures of is said in the paragraph it follows, which
    therefore is part of each row's context and, quoted, goes on with the table."""
    _, ev, unit = _laid_out("m23", "23rd", "2018", "Resolution 4: On the gadget levy",
                            "decides that the yearly gadget levy of the members be raised to\n\n"
                            "| 30 euros in 2020 | |---| | 31 euros in 2021 |\n\nthanks the board for its work.\n\n"
                            "notes the widget report.\n")
    ev.acronyms, ev.titles = {}, {}
    table = unit["|"]
    assert "gadget levy" in _context_parts(table, ev)[1]
    assert _first_words(_with_continuation([Block("sentences", (unit["decides"],))], ev, 10, 3)) == ["decides", "|"]
    # A paragraph followed by another paragraph announces nothing; nor does one after the table read it.
    done = [Block("sentences", (unit["thanks"],))]
    assert _with_continuation(done, ev, 10, 3) == done
    assert "gadget levy" not in _context_parts(unit["notes"], ev)[1]


def test_the_text_a_unit_leans_on_is_read_with_its_acronyms_spelled_out() -> None:
    """'- GB' then '- XYZ (Norway) as a member.': the item after an acronym is about the body it names, which a
    question may call by its full name."""
    _, ev, unit = _laid_out("m24", "24th", "2017", "Decisions of the 24th meeting",
                            "accepted the following changes to the membership of the boards:\n\n- GB\n"
                            "- XYZ (Norway) as a member.\n- WB\n- QRS (Chile) as an observer.\n")
    ev.acronyms, ev.titles = {"GB": "Gadget Board", "WB": "Widget Board"}, {}
    assert "Gadget Board" in _context_parts(unit["XYZ"], ev)[1]
    assert "Widget Board" in _context_parts(unit["QRS"], ev)[1]
    assert "Widget Board" not in "\n".join(_context_parts(unit["XYZ"], ev))


def test_a_unit_announcing_what_follows_goes_on_with_it_even_when_other_sentences_are_quoted_after_it() -> None:
    """'… is complemented by its work in:' quoted first and another clause second: its items come right after
    it, not after the other clause, nor not at all."""
    _, ev, unit = _laid_out("m25", "25th", "2019", "Resolution 3: On the gadget board",
                            "welcomes the widget report,\n\n"
                            "that the work of the board is complemented by its work in:\n\n"
                            "- gadget training for members,\n- gizmo transfer to members.\n\n"
                            "thanks the board.\n")
    quoted = [Block("sentences", (unit["that"], unit["welcomes"]))]
    assert _first_words(_with_continuation(quoted, ev, 10, 3)) == ["that", "gadget", "gizmo", "welcomes"]
    # A unit that announces nothing keeps the block as it was.
    plain = [Block("sentences", (unit["welcomes"], unit["thanks"]))]
    assert _with_continuation(plain, ev, 10, 3) == plain


def test_a_list_questions_leading_sentence_goes_on_with_the_example_after_it(answerer) -> None:
    """A list question answered by a loose sentence and a list near it: the sentence's 'For example, …' comes
    with it, as it does in any other answer (the examples are often what a list question asks for)."""
    record = meeting("m26", "26th", "2020", "Resolution 5: On gizmo quantities",
                     "Some gizmo quantities compare two gizmos of one sort. For example, the glim index compares two "
                     "widgets. Others count gadgets.\n\n"
                     "The ABC recommends the following:\n\n- gizmos are painted blue,\n- widgets are painted red.\n")
    compare, quoted = _list_answer(answerer, record, "Which examples of gizmo quantities that compare two gizmos does "
                                   "the 26th ABC give?", lambda u: u.text.startswith("Some gizmo"))
    assert quoted[:2] == [compare.text, "For example, the glim index compares two widgets."]
