"""The answerer seam (answer/base.py): what an answerer is given, and that its iterator is what callers get.

The extractive answerer is driven on hand-built evidence over a tiny inline document (a deterministic fake
embedder: the wiring is under test, not the model); `Assistant.ask`/`stream` are driven with a fake answerer.
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest

TEXT = "Opening hours\n\nThe museum opens at nine on weekdays.\n\nThe museum shop sells postcards and maps.\n"


class HashEmbedder:
    """Unit vectors from a hash of the text: the same text always gets the same vector, others are ~orthogonal."""

    name = "hash"
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows])


def hand_built_case(question: str):
    """(case, answerer) for ``question`` over TEXT: every unit is evidence, the shop sentence is nearest."""
    from assistant.answer.base import Case
    from assistant.answer.coverage import TermMatcher
    from assistant.answer.evidence import units_of
    from assistant.answer.extractive import Evidence, ExtractiveAnswerer
    from assistant.retrieve.condense import Condensed
    from assistant.retrieve.query import analyse
    from assistant.settings import Settings
    from assistant.text import content_lemmas
    from assistant.types import Chunk, Document, Passage, Section, Stamp

    doc = Document("museum", "museum.txt", "The museum", TEXT, (Section("Opening hours", 0, len(TEXT)),))
    units = units_of(doc)
    assert [u.kind for u in units] == ["heading", "sent", "sent"]
    vectors = np.eye(3)  # unit i is along axis i; the question points mostly at the shop sentence
    question_vector = np.array([0.1, 0.2, 0.97])
    evidence = Evidence(
        units=units, vectors=vectors, question_vector=question_vector, titles={"museum": doc.title},
        passage_rank={("museum", u.index): 1 for u in units}, siblings={"museum": units},
        passage_score={("museum", u.index): 1.0 for u in units}, max_rank=2,
    )
    settings = Settings()
    answerer = ExtractiveAnswerer(settings, TermMatcher.from_settings(HashEmbedder(), settings))
    q = analyse(question, set(content_lemmas(TEXT)), lambda _: 1.0)
    draft = answerer.draft(q, evidence)
    passage = Passage(Chunk("c1", "museum", TEXT, 0, len(TEXT), "Opening hours"), 1.0, rank=1)
    stamp = Stamp(index_version="v1", embedding_model="hash", answerer="extractive", time="2026-01-01T00:00:00+00:00")
    case = Case(asked=question, question=Condensed(question), passages=[passage], draft=draft,
                corpus=SimpleNamespace(documents={"museum": doc}, references={}), stamp=stamp, timings={"retrieve_ms": 1.0})
    return case, answerer


@pytest.mark.parametrize("stream", [True, False])
def test_extractive_answerer_yields_its_text_then_the_answer(stream: bool) -> None:
    from assistant.types import Answer

    case, answerer = hand_built_case("What does the museum shop sell?")
    items = list(answerer.answer(case, stream=stream))
    assert len(items) == 2 and isinstance(items[1], Answer) and items[0] == items[1].text
    answer = items[1]
    assert answer.text == "The museum shop sells postcards and maps. [1]"
    assert not answer.abstained and answer.support == "supported" and 0 < answer.support_score <= 1
    [citation] = answer.citations
    assert TEXT[citation.start:citation.end] == citation.quote == "The museum shop sells postcards and maps."
    assert answer.stamp == case.stamp and answer.question == case.asked
    assert answer.timings["retrieve_ms"] == 1.0 and answer.timings["compose_ms"] >= 0


def test_extractive_answerer_abstains_through_the_same_iterator() -> None:
    from assistant.types import Answer

    case, answerer = hand_built_case("What does the museum shop charge for parking?")
    assert case.draft.abstained and case.draft.missing
    text, answer = list(answerer.answer(case))
    assert isinstance(answer, Answer) and answer.abstained and answer.support == "abstained"
    assert text == answer.text and "“parking”" in text and "Closest passages: [1]" in text
    assert [c.quote for c in answer.citations] == [TEXT]  # the one passage of the case, offered instead


def test_final_is_the_answer_that_ends_the_iterator() -> None:
    from assistant.answer.base import final
    from assistant.types import Answer

    answer = Answer(text="Done.", abstained=False)
    assert final(iter(["Do", "ne.", answer])) is answer
    with pytest.raises(TypeError, match="without an Answer"):
        final(iter(["only text"]))


def test_the_llm_answerer_does_not_import_the_assistant() -> None:
    code = "import sys, assistant.answer.llm; assert 'assistant.assistant' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- Assistant.ask/stream hand the case to the answerer and pass its iterator through ----------------------
class FakeAnswerer:
    """Implements the `Answerer` protocol; records what it was given."""

    name = "fake"

    def __init__(self, deltas: list[str], error: Exception | None = None) -> None:
        self.deltas, self.error = deltas, error
        self.calls: list[tuple[object, bool]] = []

    def answer(self, case, *, stream: bool = False) -> Iterator:
        from assistant.types import Answer

        self.calls.append((case, stream))
        yield from self.deltas
        if self.error is not None:
            raise self.error
        yield Answer(text="".join(self.deltas) or "Nothing streamed.", abstained=False, stamp=case.stamp,
                     timings=dict(case.timings), question=case.asked)


Q = "What yearly workload in person days does cooperation with other organizations represent for the BIPM?"


@pytest.mark.slow
def test_stream_passes_the_answerers_deltas_through(bot, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.types import Answer

    fake = FakeAnswerer(["It takes ", "355 person days [1]."])
    monkeypatch.setattr(bot, "llm", fake)
    *deltas, answer = bot.stream(Q)
    assert deltas == ["It takes ", "355 person days [1]."]
    assert isinstance(answer, Answer) and answer.text == "It takes 355 person days [1]."
    assert answer.timings["total_ms"] >= answer.timings["retrieve_ms"] > 0
    case, stream = fake.calls[-1]
    assert stream and case.asked == Q and case.question.text == Q
    # The case holds what `ask` retrieved and drafted: the passages `retrieve` ranks, the extractive decision.
    assert [p.chunk.id for p in case.passages] == [p.chunk.id for p in bot.retrieve(Q)]
    assert not case.draft.abstained and any("355 person days" in u.text for u in case.draft.units)
    assert case.corpus is bot.corpus() and case.stamp.answerer == "extractive"


@pytest.mark.slow
def test_ask_drains_the_answerer_and_stream_shows_a_silent_one_whole(bot, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAnswerer(["It takes ", "355 person days [1]."])
    monkeypatch.setattr(bot, "llm", fake)
    assert bot.ask(Q).text == "It takes 355 person days [1]." and fake.calls[-1][1] is False
    monkeypatch.setattr(bot, "llm", FakeAnswerer([]))
    items = list(bot.stream(Q))
    assert len(items) == 2 and items[0] == items[1].text == "Nothing streamed."


@pytest.mark.slow
def test_an_answerers_error_is_raised_by_the_stream_after_its_deltas(bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot, "llm", FakeAnswerer(["Partly "], error=RuntimeError("backend broke")))
    stream = bot.stream(Q)
    assert next(stream) == "Partly "
    with pytest.raises(RuntimeError, match="backend broke"):
        next(stream)


RESOLUTION = ("Resolution 2: Museum hours\n\nThe board,\n\n- considering that visitors come late,\n"
              "- noting the staff's agreement,\n\ndecides that the museum opens until nine.\n\n"
              "Visitors\n\nThe museum shop sells postcards and maps.\n")


def _resolution_units():
    from assistant.answer.evidence import units_of
    from assistant.types import Document, Section

    cut = RESOLUTION.index("Visitors")
    doc = Document("res", "res.md", "Minutes", RESOLUTION,
                   (Section("Resolution 2: Museum hours", 0, cut), Section("Visitors", cut, len(RESOLUTION))))
    return units_of(doc)


def test_a_short_structured_section_is_shown_whole() -> None:
    from assistant.answer.draft import Block
    from assistant.answer.extractive import Evidence, _short_section

    units = _resolution_units()
    by_text = {u.text: u for u in units}
    premise, shop = by_text["considering that visitors come late,"], by_text["The museum shop sells postcards and maps."]
    ev = Evidence(units=units, vectors=np.eye(len(units)), question_vector=np.ones(len(units)), titles={},
                  passage_rank={}, siblings={"res": units})
    blocks = [Block("sentences", (premise, shop))]
    body = tuple(u for u in units if u.section == premise.section and u.kind != "heading")
    assert [u.text for u in body] == ["The board,", "considering that visitors come late,",
                                      "noting the staff's agreement,", "decides that the museum opens until nine."]
    # The premise's whole resolution (with its operative clause), then the other sentence, each once.
    assert _short_section(blocks, premise, ev, limit=4) == [Block("section", body), Block("sentences", (shop,))]
    assert _short_section(blocks, premise, ev, limit=3) == blocks  # longer than the limit: as selected
    assert _short_section(blocks, premise, ev, limit=0) == blocks  # off
    # A section of plain sentences (no listed clauses) is not a resolution: as selected.
    assert _short_section([Block("sentences", (shop,))], shop, ev, limit=4) == [Block("sentences", (shop,))]


def test_a_record_field_list_is_not_a_structured_section() -> None:
    from assistant.answer.draft import Block
    from assistant.answer.evidence import units_of
    from assistant.answer.extractive import Evidence, _short_section
    from assistant.types import Document, Section

    text = ("Action 7 (2020)\n\n- Date: 2020-09-10\n- Categories: Meetings\n- URL: https://example.org/a7\n\n"
            "The group will meet online. Its chair reports in March.\n")
    doc = Document("rec", "rec.md", "Minutes", text, (Section("Action 7 (2020)", 0, len(text)),))
    units = units_of(doc)
    ev = Evidence(units=units, vectors=np.eye(len(units)), question_vector=np.ones(len(units)), titles={},
                  passage_rank={}, siblings={"rec": units})
    chair = next(u for u in units if u.text.startswith("Its chair"))
    # Only the record's fields are listed: no clauses, so the quote stays as selected (no 'Date: …', 'URL: …').
    assert _short_section([Block("sentences", (chair,))], chair, ev, limit=10) == [Block("sentences", (chair,))]


def test_a_record_premise_shown_under_its_heading_is_shown_with_its_whole_record() -> None:
    from assistant.answer.draft import Block
    from assistant.answer.evidence import units_of
    from assistant.answer.extractive import Evidence, _short_section
    from assistant.types import Document, Section

    record = ("Resolution 8: Gizmo units\n\n- Date: 1975-06-03\n- URL: https://example.org/r8\n- The board,\n"
              "- by reason of the need for easy use,\n- taking into consideration the risks of error,\n\n"
              "adopts the name gizmo for the unit of widgets.\n\n")
    plain = "Partners\n\n- Alpha Society\n- Beta Union\n"
    text = record + plain
    cut = len(record)
    doc = Document("rec", "rec.md", "Minutes", text,
                   (Section("Resolution 8: Gizmo units", 0, cut), Section("Partners", cut, len(text))))
    units = units_of(doc)
    ev = Evidence(units=units, vectors=np.eye(len(units)), question_vector=np.ones(len(units)), titles={},
                  passage_rank={}, siblings={"rec": units})
    by_text = {u.text: u for u in units}
    heading, need = by_text["Resolution 8: Gizmo units"], by_text["by reason of the need for easy use,"]
    adopts = by_text["adopts the name gizmo for the unit of widgets."]
    assert need.lead == heading.index  # the premise is listed under the record's heading, as in the outcome files
    body = tuple(u for u in units if u.section == heading.section and u.kind != "heading"
                 and not u.text.startswith(("Date:", "URL:")))
    # The operative clause and one premise shown under the heading: the whole record, premises and all.
    blocks = [Block("sentences", (adopts,)), Block("list", (heading, need))]
    assert _short_section(blocks, adopts, ev, limit=10) == [Block("section", body)]
    # A list under a heading without a record's fields keeps its shape.
    partners, alpha = by_text["Partners"], by_text["Alpha Society"]
    listed = [Block("list", (partners, alpha))]
    assert _short_section(listed, alpha, ev, limit=10) == listed


@pytest.mark.slow
def test_the_diagnostic_evidence_reads_a_french_question_as_the_answerer_does(bot) -> None:
    """`Assistant.evidence` (fitting, diagnostics) gives the question the answerer gets: a French question
    also in its own French words, for checking French quotes."""
    asked = "Quelles conditions faut-il remplir pour un détachement au laboratoire ?"
    q, _ = bot.evidence(asked)
    assert q.own is not None and q.own.lang == "fr"
    assert {t.lemma for t in q.own.terms} >= {"condition", "detachement"}


@pytest.mark.slow
def test_each_part_of_a_french_question_is_drafted_with_the_askers_own_words(bot, monkeypatch) -> None:
    """The parts of a two-part question are cut from its English rendering; a French question's parts still
    search French passages and check French quotes in the asker's words, so each gets the French question."""
    asked = "Qui peut demander un détachement, et combien de temps dure-t-il ?"
    seen: list[tuple[str, str]] = []
    original = bot._draft

    def spy(corpus, condensed, flt, timings, own=""):
        seen.append((condensed.text, own))
        return original(corpus, condensed, flt, timings, own)

    monkeypatch.setattr(bot, "_draft", spy)
    bot.drafted(asked)
    assert len(seen) == 2 and seen[0][0] != seen[1][0]  # two parts, in English
    assert all(own == asked for _, own in seen)
    seen.clear()
    bot.drafted("Who can ask for a secondment, and how long does it last?")
    assert len(seen) == 2 and all(own == "" for _, own in seen)  # an English question's parts read their own text


@pytest.mark.slow
def test_the_off_topic_gate_reads_a_follow_up_in_its_context(bot) -> None:
    """'and the second one?' alone is near nothing in the documents; after a question about the bodies the BIPM
    works with on time, it is on topic, so the gate must not turn it away."""
    history = [{"role": "user", "content": "Which bodies does the BIPM work with on time?"},
               {"role": "assistant", "content": "The IERS, the ITU and the IGS."}]
    draft, _, _ = bot.drafted("and the second one?", history)
    assert draft.reason != "off_topic"


@pytest.mark.slow
def test_the_leading_short_documents_other_chunks_are_candidates_too(built_index, embedder) -> None:
    """A short page's passage that shares few words with the question is found with its page: the other
    chunks of the first `expand_documents` documents of the fused ranking join the reranker's candidates,
    when the document has at most `expand_chunks` chunks."""
    from assistant.assistant import Assistant
    from assistant.settings import Settings

    asked = "What languages should a visiting scientist speak?"
    base = Settings(index_dir=built_index, rerank_candidates=2, focus_k=50, expand_documents=1, expand_chunks=50)

    def candidates(**change) -> list:
        return Assistant(base.model_copy(update=change), embedder=embedder).candidates(asked)[1]

    expanded = candidates()
    lead = expanded[0].passage.chunk.doc_id
    chunks = Assistant(base, embedder=embedder).corpus().chunk_count[lead]
    assert sum(c.passage.chunk.doc_id == lead for c in expanded) == chunks
    off = [c.passage.chunk.id for c in candidates(expand_documents=0)]  # off: the fused cut alone
    assert sum(c.passage.chunk.doc_id == lead for c in candidates(expand_documents=0)) < chunks
    assert [c.passage.chunk.id for c in candidates(expand_chunks=chunks - 1)] == off  # a longer one is not expanded


@pytest.mark.slow
def test_the_numbered_item_a_question_names_is_a_candidate_however_the_search_ranks_it(tmp_path, embedder) -> None:
    """'The 5th WGA's Resolution 5 dealt with which topic?': every item of that meeting's record names the meeting as
    well, so the focused search's few best chunks may all be other items. The named item's chunks join the
    candidates whatever their rank."""
    from assistant.assistant import Assistant
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    topics = ["widget colours", "gadget storage", "sprocket sizes", "flange finishes", "valve testing",
              "spring tension", "gear ratios", "bolt threads", "lever lengths"]
    # Every other item says the question's words more often than the named one does.
    items = "\n\n".join(f"## Resolution {n}: On {topic}\n\n" + (
        "Valves are tested once a year." if n == 5 else
        f"What the WGA resolved at its 5th meeting about {topic}: this resolution of the 5th WGA was adopted by "
        f"the WGA after a resolution on {topic} was proposed to the 5th WGA.")
        for n, topic in enumerate(topics, start=1))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "wga-005-2001.md").write_text(
        f"---\ntitle: 5th meeting of the WGA\nlanguage: en\ndate: '2001-10-16'\nbody: WGA\n---\n\n"
        f"# 5th meeting of the WGA\n\n{items}\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", rerank_candidates=1, focus_k=1, expand_documents=0,
                        chunk_size=300)
    run_ingest(settings, [tmp_path / "docs"], progress=False, embedder=embedder)
    bot = Assistant(settings, embedder=embedder)
    assert bot.corpus().chunk_count  # several chunks: one per item or so
    sections = [c.passage.chunk.section for c in bot.candidates("The 5th WGA's Resolution 5 dealt with which topic?")[1]]
    assert any("Resolution 5" in s for s in sections), sections
    assert len(sections) < sum(bot.corpus().chunk_count.values())  # not every chunk of the record
