"""Each format loads into clean text with the right metadata; bad files are skipped with a reason.

PDFs and Word files are generated here (fpdf2, python-docx) so the fixtures stay small and readable.
"""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from assistant.settings import Settings
from ingest.build import build_document
from ingest.chunk import chunk_document, make_splitter
from ingest.clean import clean_text
from ingest.load import Skip, discover, load

MB = 10**6
PAGE_ONE = (
    "Calibration services\n\n"
    "The laboratory calibrates mass standards for national metrology institutes. "
    "Requests for calibration are sent by e-mail to the mass department."
)
PAGE_TWO = (
    "Kibble balance\n\n"
    "The Kibble balance realizes the kilogram from the Planck constant. "
    "The BIPM Kibble balance reaches a relative standard uncertainty of two parts in one hundred million."
)
FRENCH = (
    "Le Bureau international des poids et mesures est situé à Sèvres, près de Paris. "
    "Il a été créé en 1875 par la Convention du Mètre et ses activités concernent la métrologie."
)
ENGLISH = (
    "The International Bureau of Weights and Measures is located at Sèvres, near Paris. "
    "It was created in 1875 by the Metre Convention and its work is about measurement science."
)


def make_pdf(path: Path, pages: list[str], title: str = "", user_password: str | None = None) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    if title:
        pdf.set_title(title)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Guide to secondments"
    document.add_heading("Guide to secondments", 0)
    document.add_paragraph("This guide explains how secondments at the BIPM work for visiting scientists.")
    document.add_heading("Eligibility", 1)
    document.add_paragraph("Applicants must be employed by a national metrology institute of a Member State.")
    document.add_paragraph("Proof of employment", style="List Bullet")
    document.add_heading("Funding", 2)
    document.add_paragraph("The BIPM pays a monthly allowance to seconded staff during their stay.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Duration", (0, 1): "Allowance", (1, 0): "3 months", (1, 1): "2000 EUR"}.items():
        table.cell(r, c).text = text
    document.save(str(path))
    return path


def built(path: Path):
    return build_document(load(path, 50 * MB), "test")


# --- formats ----------------------------------------------------------------------
def test_pdf_keeps_one_part_per_page_and_page_offsets(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "guide.pdf", [PAGE_ONE, PAGE_TWO], title="Mass calibration guide")
    loaded = load(pdf, 50 * MB)
    assert [page for page, _ in loaded.parts] == [1, 2]
    doc = build_document(loaded, "test")
    assert doc.title == "Mass calibration guide"
    (p1, start1), (p2, start2) = doc.meta["pages"]
    assert (p1, start1) == (1, 0)
    assert p2 == 2
    assert "Kibble balance realizes" in doc.text[start2:]
    assert "Kibble" not in doc.text[:start2]


def test_multi_page_text_is_fully_covered_by_chunks(tmp_path: Path) -> None:
    """The top of a page continues the previous page's section: no text falls between chunks."""
    pages = [f"Section {n}\n\n" + PAGE_ONE.split("\n\n")[1] * 3 for n in range(3)] + [PAGE_TWO]
    doc = built(make_pdf(tmp_path / "long.pdf", pages))
    chunks = chunk_document(doc, make_splitter(200, 0))
    covered = [False] * len(doc.text)
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        covered[c.start : c.end] = [True] * (c.end - c.start)
    assert all(ok for ok, ch in zip(covered, doc.text, strict=True) if not ch.isspace())


def test_clean_text_without_any_heading() -> None:
    """Regression: a page of prose only (no heading) used to crash clean_text (zip strict)."""
    cleaned = clean_text(ENGLISH)
    assert cleaned.text == ENGLISH
    assert cleaned.sections == ()


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    doc = built(make_docx(tmp_path / "guide.docx"))
    assert doc.title == "Guide to secondments"
    assert [s.heading for s in doc.sections] == ["Guide to secondments", "Eligibility", "Funding"]
    funding = next(s for s in doc.sections if s.heading == "Funding")
    assert "monthly allowance" in doc.text[funding.start : funding.end]
    assert doc.section_at(doc.text.index("Applicants must")) == "Eligibility"
    assert "- Proof of employment" in doc.text
    assert "Duration: 3 months; Allowance: 2000 EUR" in doc.text  # table rows are kept, with headers


HTML_PAGE = """<!doctype html>
<html lang="{lang}"><head><title>{title} | BIPM</title><meta name="date" content="2021-03-04"></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/pubs">Publications</a></li>
<li><a href="/contact">Contact the webmaster team</a></li></ul></nav></header>
<main><article><h1>{title}</h1><p>{body}</p>
<h2>Realization</h2><p>The Kibble balance realizes the unit with a relative uncertainty of a few parts
in one hundred million, as measured by several national laboratories.</p></article></main>
<footer><p>Legal notice and privacy policy of the website of the Bureau.</p><p>© BIPM 2024</p></footer>
</body></html>"""


def test_html_main_content_only(tmp_path: Path) -> None:
    page = tmp_path / "kilogram.html"
    page.write_text(HTML_PAGE.format(lang="en", title="The kilogram", body=ENGLISH), encoding="utf-8")
    doc = built(page)
    assert doc.title == "The kilogram"
    assert ENGLISH in doc.text
    assert "Realization" in [s.heading for s in doc.sections]
    for boilerplate in ("Publications", "webmaster", "Legal notice", "©"):
        assert boilerplate not in doc.text
    assert doc.date == "2021-03-04"


def test_html_language_from_the_lang_attribute(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(HTML_PAGE.format(lang="fr-FR", title="Le kilogramme", body=ENGLISH), encoding="utf-8")
    assert built(page).language == "fr"  # the page says so, even though this paragraph is English


def test_markdown_front_matter_gives_title_date_language(tmp_path: Path) -> None:
    md = tmp_path / "note.md"
    md.write_text(f"---\ntitle: Front title\ndate: 2020-01-05\nlang: fr-CA\n---\n# First heading\n\n{ENGLISH}\n",
                  encoding="utf-8")
    doc = built(md)
    assert (doc.title, doc.date, doc.language) == ("Front title", "2020-01-05", "fr")
    assert doc.text.startswith("First heading")
    assert "---" not in doc.text and "title:" not in doc.text


def test_markdown_bold_is_not_part_of_the_quoted_text(tmp_path: Path) -> None:
    md = tmp_path / "si.md"
    md.write_text("## **The kilogram**\n\n**The kilogram, symbol kg, is the SI unit of mass.** It is defined "
                  "by the Planck constant, see **Table 1** and Δν_Cs.\n", encoding="utf-8")
    doc = built(md)
    assert doc.sections[0].heading == "The kilogram"
    assert "*" not in doc.text
    assert "symbol kg, is the SI unit of mass. It is defined by the Planck constant, see Table 1 and Δν_Cs." in doc.text
    plain = tmp_path / "si.txt"  # plain text keeps its asterisks: they are not markup there
    plain.write_text("Footnotes are marked **, as in the original.\n", encoding="utf-8")
    assert "**" in built(plain).text


def test_markdown_character_references_and_escapes_read_as_their_characters(tmp_path: Path) -> None:
    md = tmp_path / "gizmo.md"
    md.write_text("## Gizmo m&eacute;trologie\n\nThe gizmo&#xa0;mass is m(&#x200c;^12 C)/12 at 20&#176; "
                  "&amp; written &lt;b&gt; in &foo; notes.\n", encoding="utf-8")
    doc = built(md)
    assert doc.sections[0].heading == "Gizmo métrologie"
    # a no-break space reads as a space, a zero-width one as nothing; '&lt;b&gt;' stays text, not a tag to drop
    assert "The gizmo mass is m(^12 C)/12 at 20° & written &lt;b&gt; in &foo; notes." in doc.text
    md.write_text("Gizmo note \\*\\* 10 W, ion ^88Gz^\\+ at [c\\] | cell \\| cell | and **bold**.\n", encoding="utf-8")
    # escaped punctuation reads as itself, never as emphasis; an escaped '|' stays: it is not a cell border
    assert "Gizmo note ** 10 W, ion ^88Gz^+ at [c] | cell \\| cell | and bold." in built(md).text
    plain = tmp_path / "gizmo.txt"  # plain text is not markup: its references stay as typed
    plain.write_text("Gizmo m&eacute;trologie notes.\n", encoding="utf-8")
    assert "m&eacute;trologie" in built(plain).text


def test_a_markdown_glossary_of_bold_terms_becomes_one_item_per_term(tmp_path: Path) -> None:
    md = tmp_path / "glossary.md"
    md.write_text("## Acronyms\n\n**ABC**: Agency for Better Clocks\n**XYZ**: Xylophone Union, see **ABC**\n",
                  encoding="utf-8")
    doc = built(md)
    assert "- ABC: Agency for Better Clocks\n- XYZ: Xylophone Union, see ABC" in doc.text
    assert "*" not in doc.text


@pytest.mark.parametrize(("text", "language"), [(FRENCH, "fr"), (ENGLISH, "en")])
def test_language_detected_without_front_matter(tmp_path: Path, text: str, language: str) -> None:
    path = tmp_path / "plain.txt"
    path.write_text(text, encoding="utf-8")
    doc = built(path)
    assert doc.language == language
    assert doc.title == "plain"  # no heading, no front matter: the file name
    assert doc.text == text


def test_plain_text_heading_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(f"Visiting the BIPM\n\n{ENGLISH}\n", encoding="utf-8")
    doc = built(path)
    assert doc.title == "Visiting the BIPM"
    assert [s.heading for s in doc.sections] == ["Visiting the BIPM"]


# --- bad files ----------------------------------------------------------------------
def test_latin1_text_is_decoded_correctly(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(FRENCH.encode("latin-1"))
    doc = built(path)
    assert doc.text == FRENCH
    assert doc.language == "fr"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("image.txt", bytes(range(256)) * 40, "binary"),
        ("noise.txt", os.urandom(6000).replace(b"\x00", b"\x01"), "not readable text"),
        ("corrupt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf", "damaged"),
        ("corrupt.docx", b"PK\x03\x04 not really a zip", "damaged"),
        ("data.xyz", b"some text", "unsupported file type"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Skip, match=reason):
        load(path, 50 * MB)


def test_encrypted_and_truncated_pdfs_are_skipped(tmp_path: Path) -> None:
    locked = make_pdf(tmp_path / "locked.pdf", [PAGE_ONE], user_password="secret")
    with pytest.raises(Skip, match="encrypted"):
        load(locked, 50 * MB)
    whole = make_pdf(tmp_path / "whole.pdf", [PAGE_ONE, PAGE_TWO]).read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(Skip, match="damaged"):
        load(truncated, 50 * MB)


def test_owner_password_only_pdf_is_readable(tmp_path: Path) -> None:
    """Encrypted with only an owner password (no password to open): the text is readable."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, PAGE_TWO)
    pdf.set_encryption(owner_password="owner")
    pdf.output(str(tmp_path / "restricted.pdf"))
    assert "Kibble balance realizes" in built(tmp_path / "restricted.pdf").text


def test_file_over_the_size_limit_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_text(ENGLISH * 100, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "0.01")
    limit = int(Settings().max_file_mb * MB)
    with pytest.raises(Skip, match=r"over the 0.01 MB limit \(ASSISTANT_MAX_FILE_MB\)"):
        load(path, limit)


def test_explicit_file_of_unknown_type_is_reported_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    assert discover([path]) == [path.resolve()]
    assert discover([tmp_path]) == []  # inside a folder, unknown types are simply not ingest candidates


# --- through the whole pipeline ---------------------------------------------------
@pytest.mark.slow
def test_citation_from_a_pdf_names_the_right_page(tmp_path: Path, embedder) -> None:
    from assistant.assistant import Assistant
    from ingest.pipeline import run_ingest

    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "guide.pdf", [PAGE_ONE, PAGE_TWO], title="Mass calibration guide")
    settings = Settings(index_dir=tmp_path / "index")
    summary = run_ingest(settings, [folder], progress=False, embedder=embedder)
    assert (summary.added, summary.skipped) == (1, [])

    bot = Assistant(settings, embedder=embedder)
    for question, on_page, words in [
        ("What uncertainty does the BIPM Kibble balance reach?", 2, "uncertainty"),
        ("How are requests for calibration sent?", 1, "e-mail"),
    ]:
        answer = bot.ask(question)
        assert not answer.abstained, answer.text
        cited = [c for c in answer.citations if words in c.quote]
        assert cited, answer.citations
        assert all(c.page == on_page for c in cited)
