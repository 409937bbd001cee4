"""Cleaning and chunking are pure functions: invariants on real pages plus property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.types import Document
from ingest.chunk import chunk_document, make_splitter
from ingest.clean import clean_text
from ingest.load import split_front_matter
from tests.conftest import CORPUS


def _page(name: str) -> str:
    return split_front_matter((CORPUS / name).read_text(encoding="utf-8"))[1]


def test_web_boilerplate_is_removed_and_headings_kept() -> None:
    cleaned = clean_text(_page("bipm-secondments-physical-metrology.txt"))
    assert "Poids et" not in cleaned.text  # the logo broken over four lines
    assert "©" not in cleaned.text
    assert "▪" not in cleaned.text
    headings = [s.heading for s in cleaned.sections]
    assert "How to apply" in headings
    assert "Terms and conditions" in headings


def test_navigation_and_orphan_tagline_are_removed() -> None:
    cleaned = clean_text(_page("bipm-liaison-work.txt"))
    assert "Site map" not in cleaned.text
    assert "Search facility" not in cleaned.text
    assert not cleaned.text.startswith("–")
    assert "•" not in cleaned.text


def test_acronym_lines_merge_with_their_expansion() -> None:
    text = clean_text("Links:\n\n  • ILAC\n  • International Laboratory Accreditation Cooperation\n  • IFCC\n  • WHO\n").text
    assert "- ILAC (International Laboratory Accreditation Cooperation)" in text
    assert "- IFCC\n- WHO" in text  # two acronyms in a row stay two items


def test_presentational_html_in_markdown_is_read_as_its_text() -> None:
    raw = ("## Gizmos at <nobr>Fo-Bar</nobr> sites\n\n"
           '- the addition of the ^42<span style="display: none;"> Zz</span> gizmo line;\n'
           "- the ^42<sup>Zz</sup> line<br>and another;\n\n"
           '<!-- hidden note --><source srcset="/img/a.jpg"></source>\n\n'
           'Then one could say: "the gizmo is the size of *<something>*", and a < b > c.\n\n'
           "Print <script>alert(1)</script> and <img src=x onerror=alert(1)> as the scanner reads them.\n")
    cleaned = clean_text(raw)
    assert [s.heading for s in cleaned.sections] == ["Gizmos at Fo-Bar sites"]
    assert "- the addition of the ^42 Zz gizmo line;" in cleaned.text
    assert "- the ^42Zz line and another;" in cleaned.text  # inline markup joins, a line break separates
    assert "hidden note" not in cleaned.text and "srcset" not in cleaned.text and "span" not in cleaned.text
    # A placeholder in angle brackets is text, as is a comparison; active markup is data and stays as written.
    assert "size of <something>" in cleaned.text and "a < b > c." in cleaned.text
    assert "Print <script>alert(1)</script> and <img src=x onerror=alert(1)> as the scanner" in cleaned.text


def test_sections_point_at_their_headings() -> None:
    cleaned = clean_text(_page("bipm-liaison-work.txt"))
    for section in cleaned.sections:
        assert cleaned.text[section.start :].startswith(section.heading)
        assert section.start < section.end <= len(cleaned.text)


def test_a_marked_heading_records_its_level_and_an_unmarked_one_none() -> None:
    marked = clean_text("### 12th Assembly, 1999\n\n##### Resolution 6\n\nWidgets are blue.\n")
    assert [(s.heading, s.level) for s in marked.sections] == [("12th Assembly, 1999", 3), ("Resolution 6", 5)]
    plain = clean_text(_page("bipm-secondments-physical-metrology.txt"))
    assert plain.sections and all(s.level == 0 for s in plain.sections)


def _doc(text: str) -> Document:
    cleaned = clean_text(text)
    return Document("d1", "src", "Title", cleaned.text, cleaned.sections)


def test_chunks_record_exact_offsets_and_sections() -> None:
    doc = _doc(_page("bipm-secondments-physical-metrology.txt"))
    chunks = chunk_document(doc, make_splitter(300, 50))
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.section == doc.section_at(chunk.start)
    assert len({c.id for c in chunks}) == len(chunks)


def test_chunk_ids_are_stable_content_hashes() -> None:
    doc = _doc(_page("bipm-liaison-work.txt"))
    first = [c.id for c in chunk_document(doc, make_splitter(500, 50))]
    again = [c.id for c in chunk_document(doc, make_splitter(500, 50))]
    assert first == again


paragraphs = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=300),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(paragraphs, st.integers(min_value=100, max_value=600))
def test_chunking_any_text_keeps_offsets_exact(parts: list[str], size: int) -> None:
    doc = _doc("\n\n".join(parts))
    for chunk in chunk_document(doc, make_splitter(size, size // 5)):
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip()


@settings(max_examples=60, deadline=None)
@given(paragraphs)
def test_cleaning_is_idempotent_on_its_own_output(parts: list[str]) -> None:
    once = clean_text("\n\n".join(parts)).text
    assert clean_text(once).text == once


@pytest.mark.parametrize("label", ["Note: ", "Note : "])  # French puts a space before the colon
def test_text_shredded_into_one_letter_blocks_is_dropped(label: str) -> None:
    shredded = "\n\n".join(f"{label}{ch}" for ch in "At its 1997 meeting")
    text = clean_text(f"Resolution 1\n\nThe second is defined.\n\n{shredded}\n\nA real closing sentence.").text
    assert label.strip() not in text
    assert "The second is defined." in text and "A real closing sentence." in text


def test_a_few_short_items_are_kept() -> None:
    text = clean_text("Units:\n\n- m\n- s\n- kg\n\nThe end.").text
    assert "- m\n- s\n- kg" in text


def test_inline_emphasis_is_removed_but_symbols_keep_their_underscores() -> None:
    cleaned = clean_text("# Title\n\nThe Committee *prend acte* of **two things** and K_cd *(XYZ)*.\n\n- **decides** that 2 * 3 = 6\n")
    assert "The Committee prend acte of two things and K_cd (XYZ)." in cleaned.text
    assert "decides that 2 * 3 = 6" in cleaned.text
    assert "*" not in cleaned.text.replace("2 * 3", "")


def test_sentences_split_at_their_ends_not_at_a_numbered_title_in_quotes_or_a_name_s_initials() -> None:
    from assistant.text import split_sentences

    text = ('The board adds the new Section "12. Late fees" to its rules. It met in 2012. Dr. Roe chaired. '
            "It appointed A.B. Smith and J.-K. Doe as its delegates. Both accepted.")
    assert [text[a:b] for a, b in split_sentences(text)] == [
        'The board adds the new Section "12. Late fees" to its rules.', "It met in 2012.", "Dr. Roe chaired.",
        "It appointed A.B. Smith and J.-K. Doe as its delegates.", "Both accepted."]


def test_a_unit_symbol_after_a_number_ends_a_sentence() -> None:
    from assistant.text import split_sentences

    text = "The gadget works from 20 K to 300 K. Then a rough map is needed. Its arm is 2 m. Mr J. Roe built it."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "The gadget works from 20 K to 300 K.", "Then a rough map is needed.", "Its arm is 2 m.", "Mr J. Roe built it."]


def test_a_definition_list_becomes_one_item_per_entry() -> None:
    # A converter that lost the line breaks left AsciiDoc entries ('TERM:: definition') run together, after a
    # bold markdown entry whose definition wraps onto the next line.
    raw = ("## Acronyms\n\n**ABC**: Agency for Better Clocks/\nAgence des bonnes horloges XYZ:: Xylophone Union "
           "QRS-9:: (formerly the QRS) Quiet Research Society\n")
    assert clean_text(raw).text == ("Acronyms\n\n- ABC: Agency for Better Clocks/ Agence des bonnes horloges\n"
                                    "- XYZ: Xylophone Union\n- QRS-9: (formerly the QRS) Quiet Research Society")


def test_a_single_double_colon_inside_prose_is_left_alone() -> None:
    raw = "Criteria\n\n2.5 d ≤ U:: no action is needed until the next calibration.\n"
    assert "2.5 d ≤ U:: no action is needed until the next calibration." in clean_text(raw).text


def test_c1_control_characters_are_read_as_windows_1252() -> None:
    # Windows-1252 bytes read as Latin-1: '\x9c' is 'œ', '\x80' is '€'; an unassigned byte ('\x81') is left.
    text = clean_text("Sa mise en \x9cuvre coûte 5 \x80 (\x81).").text
    assert text == "Sa mise en œuvre coûte 5 € (\x81)."


def test_a_table_keeps_one_row_per_line_and_each_row_is_a_unit_under_the_first() -> None:
    from assistant.answer.evidence import unit_texts, units_of
    from assistant.types import Section

    cleaned = clean_text("# Gizmo sizes\n\nThe sizes agreed for each gizmo:\n\n| Gizmo | Size / mm |\n|---|---|\n"
                         "| G-1 | 12.5 |\n| G-2 | 14.0 |\n\nWidgets are not measured.\n")
    assert "\n| Gizmo | Size / mm |\n|---|---|\n| G-1 | 12.5 |\n| G-2 | 14.0 |\n\nWidgets" in cleaned.text
    doc = Document("g", "g.md", "Gizmos", cleaned.text, (Section("Gizmo sizes", 0, len(cleaned.text)),))
    units = units_of(doc)
    rows = [u for u in units if u.kind == "row"]
    # The rule under the first row is layout, not a unit; every row is one, in one block, led by the first.
    assert [u.text for u in rows] == ["| Gizmo | Size / mm |", "| G-1 | 12.5 |", "| G-2 | 14.0 |"]
    assert {u.block for u in rows} == {rows[0].block}
    assert [u.lead for u in rows] == [None, rows[0].index, rows[0].index]
    assert all(doc.text[u.start:u.end] == u.text for u in units)
    assert units[-1].kind == "sent" and units[-1].block != rows[0].block and units[-1].lead is None
    # A row is embedded under the row naming the columns.
    assert unit_texts(units)[rows[2].index] == "Gizmo sizes: | Gizmo | Size / mm | | G-2 | 14.0 |"


def test_a_chunk_cut_inside_a_table_is_read_with_its_caption_and_first_row() -> None:
    from assistant.text import table_head

    text = "Sizes\n\nThe sizes agreed:\n\n| Gizmo | Size |\n|---|---|\n| G-1 | 12 |\n| G-2 | 14 |\n\nThe end."
    head = "The sizes agreed:\n| Gizmo | Size |"
    assert [table_head(text, text.index(at)) for at in ("|---", "| G-1", "| G-2")] == [head] * 3
    # Its first row, and text outside the table, need nothing more.
    assert [table_head(text, text.index(at)) for at in ("| Gizmo", "The sizes", "The end")] == ["", "", ""]
    assert table_head("| A | B |\n| 1 | 2 |", 10) == "| A | B |"  # a table with no caption
