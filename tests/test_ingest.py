"""Ingest behaviour: discovery and globs, incremental runs, removals, the summary, the CLI, web pages.

Web tests only talk to an http.server this file starts on 127.0.0.1.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.index.store import VectorStore
from assistant.settings import Settings
from assistant.types import Document
from ingest.chunk import chunk_document, make_splitter
from ingest.clean import clean_text
from ingest.load import discover
from ingest.pipeline import IngestSummary, run_ingest
from ingest.report import print_summary, summary_rows
from ingest.web import Fetcher, WebOptions

PARA = {
    "mass": "The BIPM maintains the international prototype of the kilogram and calibrates mass standards "
    "for the national metrology institutes of the Member States.",
    "time": "The BIPM computes Coordinated Universal Time (UTC) from the clocks of about eighty "
    "laboratories and publishes it monthly in Circular T.",
    "electricity": "The BIPM compares Josephson voltage standards on site with a travelling standard and "
    "reports the degrees of equivalence to the key comparison database.",
    "chemistry": "The chemistry department runs key comparisons of gas standards such as ozone, "
    "nitrogen dioxide and greenhouse gases for air quality monitoring.",
}
FAST_WEB = WebOptions(delay=0.0, backoff=0.01, retries=2, timeout=5.0, max_wait=0.1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def sections_doc(*keys: str) -> str:
    return "\n\n".join(f"# {k.title()}\n\n{PARA[k]}" for k in keys) + "\n"


def vector_ids(settings: Settings, embedder) -> set[str]:
    return VectorStore(settings, embedder).all_ids()


def manifest_ids(settings: Settings) -> set[str]:
    manifest = Manifest(manifest_path(settings))
    try:
        return manifest.chunk_ids()
    finally:
        manifest.close()


def assert_consistent(settings: Settings, embedder) -> set[str]:
    """Every live chunk has a vector and no vector is an orphan: the only vectors beyond the live ones are
    those the last run freed, kept for readers of the version before it (deleted by the next run)."""
    live = manifest_ids(settings)
    manifest = Manifest(manifest_path(settings))
    try:
        kept = manifest.garbage()
        assert kept == set(manifest.garbage_due(int(manifest.get("run")) + 1))  # all from the last run...
        assert not manifest.garbage_due(int(manifest.get("run")))  # ... none from an earlier one
    finally:
        manifest.close()
    assert not kept & live
    assert live | kept == vector_ids(settings, embedder)
    return live


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


# --- discovery ------------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    for name in ("cipm-101.md", "cipm-102.md", "cgpm-26.md", "drafts/cipm-103.md", "notes/a.txt",
                 "page.html", "README.md", ".hidden.md", ".git/x.md", "image.png", "notes/b.TXT"):
        write(root / name, "x")
    return root


def names(paths: list[Path], root: Path) -> list[str]:
    return sorted(p.relative_to(root.resolve()).as_posix() for p in paths)


def test_discover_walks_folders_recursively(tree: Path) -> None:
    assert names(discover([tree]), tree) == [
        "cgpm-26.md", "cipm-101.md", "cipm-102.md", "drafts/cipm-103.md", "notes/a.txt", "notes/b.TXT",
        "page.html",
    ]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["cipm-*"], [], ["cipm-101.md", "cipm-102.md", "drafts/cipm-103.md"]),
        (["*.md"], ["drafts/*"], ["cgpm-26.md", "cipm-101.md", "cipm-102.md"]),
        ([], ["*.md", "*.html"], ["notes/a.txt", "notes/b.TXT"]),
        (["notes/*"], ["b.*"], ["notes/a.txt"]),
        (["./drafts/*"], [], ["drafts/cipm-103.md"]),
        (["*.pdf"], [], []),
    ],
)
def test_include_and_exclude_globs(tree: Path, include: list[str], exclude: list[str],
                                   expected: list[str]) -> None:
    assert names(discover([tree], include, exclude), tree) == expected


def test_repeated_text_under_one_heading_gets_distinct_chunk_ids() -> None:
    """Regression: identical chunks shared one id, so the manifest silently kept only one of them."""
    cleaned = clean_text("# Note\n\nSee the annex.\n\n# Note\n\nSee the annex.\n")
    doc = Document("d1", "s", "t", cleaned.text, cleaned.sections)
    assert [s.heading for s in doc.sections] == ["Note", "Note"]
    chunks = chunk_document(doc, make_splitter(200, 0))
    assert [c.text for c in chunks] == ["Note\n\nSee the annex."] * 2
    assert len({c.id for c in chunks}) == 2
    assert chunk_document(doc, make_splitter(200, 0)) == chunks  # still a pure function of the text


# --- incremental runs ------------------------------------------------------------------------
def test_sections_keep_their_heading_levels_in_the_index(tmp_path: Path, settings: Settings, embedder) -> None:
    write(tmp_path / "docs" / "rec.md", f"## Mass\n\n{PARA['mass']}\n\n### Time\n\n{PARA['time']}\n")
    run_ingest(settings, [tmp_path / "docs"], progress=False, embedder=embedder)
    manifest = Manifest(manifest_path(settings))
    try:
        [doc] = manifest.documents()
    finally:
        manifest.close()
    assert [(s.heading, s.level) for s in doc.sections] == [("Mass", 2), ("Time", 3)]


@pytest.mark.slow
def test_incremental_ingest_embeds_only_what_changed(tmp_path: Path, settings: Settings, embedder) -> None:
    docs = tmp_path / "docs"
    write(docs / "bipm.md", sections_doc("mass", "time", "electricity"))
    write(docs / "chem.md", sections_doc("chemistry"))
    write(docs / "sub" / "time.txt", PARA["time"])

    first = run_ingest(settings, [docs], progress=False, embedder=embedder)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (3, 0, 0, [])
    live = assert_consistent(settings, embedder)
    assert first.embedded == first.chunks_added == len(live)

    again = run_ingest(settings, [docs], progress=False, embedder=embedder)
    assert (again.unchanged, again.embedded, again.chunks_kept) == (3, 0, len(live))
    assert again.index_version == first.index_version

    write(docs / "bipm.md", sections_doc("mass", "time", "chemistry"))  # last section replaced
    edited = run_ingest(settings, [docs], progress=False, embedder=embedder)
    assert (edited.updated, edited.unchanged, edited.embedded, edited.chunks_removed) == (1, 2, 1, 1)
    assert edited.index_version != first.index_version
    assert_consistent(settings, embedder)

    (docs / "chem.md").unlink()
    removed = run_ingest(settings, [docs], progress=False, embedder=embedder)
    assert (removed.removed, removed.chunks_removed, removed.embedded) == (1, 1, 0)
    left = assert_consistent(settings, embedder)
    assert len(left) == len(live) - 1


@pytest.mark.slow
def test_ingesting_one_folder_keeps_documents_from_another(tmp_path: Path, settings: Settings,
                                                           embedder) -> None:
    write(tmp_path / "a" / "mass.md", sections_doc("mass"))
    write(tmp_path / "b" / "time.md", sections_doc("time"))
    run_ingest(settings, [tmp_path / "a"], progress=False, embedder=embedder)
    summary = run_ingest(settings, [tmp_path / "b"], progress=False, embedder=embedder)
    assert (summary.added, summary.removed, summary.documents) == (1, 0, 2)


@pytest.mark.slow
def test_bad_files_are_reported_and_the_rest_ingested(tmp_path: Path, embedder,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    write(docs / "good.md", sections_doc("mass"))
    (docs / "legacy.txt").write_bytes("Le BIPM est situé à Sèvres, près de Paris, depuis 1875.".encode("latin-1"))
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a real pdf")
    write(docs / "huge.md", PARA["time"] * 200)
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "0.01")
    summary = run_ingest(Settings(), [docs], progress=False, embedder=embedder)
    reasons = {Path(p).name: why for p, why in summary.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "broken.pdf", "huge.md"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "damaged" in reasons["broken.pdf"] and "ASSISTANT_MAX_FILE_MB" in reasons["huge.md"]
    assert summary.added == 2
    manifest = Manifest(manifest_path(Settings()))
    texts = {Path(d.meta["path"]).name: d.text for d in manifest.documents()}
    manifest.close()
    assert texts["legacy.txt"] == "Le BIPM est situé à Sèvres, près de Paris, depuis 1875."


# --- summary and CLI -------------------------------------------------------------------------
def test_summary_fits_in_80_columns() -> None:
    summary = IngestSummary(documents=268, added=268, embedded=19308, seconds=612.3, files=268,
                            index_version="d3f9be7834512deb",
                            skipped=[("a/very/long/path/" * 6 + "broken.pdf", "the PDF is damaged or "
                                      "unreadable (PdfStreamError: Stream has ended unexpectedly)")])
    out = io.StringIO()
    long_dir = Path("/tmp/" + "nested-folder/" * 8 + "index")
    print_summary(summary, Settings(index_dir=long_dir), Console(file=out, width=80, highlight=False))
    lines = out.getvalue().splitlines()
    skipped_line = next(line for line in lines if line.startswith("skipped "))
    assert skipped_line.endswith("broken.pdf: the PDF is damaged or unreadable (PdfStreamError: Stream "
                                 "has ended unexpectedly)")  # one line per file, whatever its length
    table = [line for line in lines if line != skipped_line and not line.startswith("Ingest into")]
    assert max(len(line) for line in table) <= 80
    text = out.getvalue()
    for label, value in summary_rows(summary):
        assert label in text and value in text
    assert "19,308" in text and "31.5" in text  # chunks embedded and chunks/s
    assert "broken.pdf" in text and "Stream has ended" in text


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, embedder) -> CliRunner:
    """The CLI, with the session's embedder instead of loading a second copy of the model."""
    monkeypatch.setattr("ingest.pipeline.make_embedder", lambda settings: embedder)
    return CliRunner()


@pytest.mark.slow
def test_cli_exit_code_3_lists_skipped_files(tmp_path: Path, cli: CliRunner) -> None:
    from assistant.interfaces.cli import app

    docs = tmp_path / "docs"
    write(docs / "good.md", sections_doc("mass"))
    (docs / "empty.md").write_bytes(b"")
    result = cli.invoke(app, ["ingest", str(docs)])
    assert result.exit_code == 3, result.output
    assert "skipped" in result.stdout and "empty.md: the file is empty" in result.stdout
    assert "documents in the index" in result.stdout

    (docs / "empty.md").unlink()
    result = cli.invoke(app, ["ingest", str(docs), "--exclude", "nothing-*"])
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.stdout


def test_cli_missing_path_is_one_line_exit_1(tmp_path: Path) -> None:
    from assistant.interfaces.cli import app

    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr


# --- web pages -------------------------------------------------------------------------------
PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/contact">Contact</a></nav>
<main><h1>{title}</h1><p>{body}</p></main><footer>© BIPM</footer></body></html>"""


@dataclass
class Site:
    root: Path
    base: str
    hits: dict[str, int] = field(default_factory=dict)
    flaky_left: list[int] = field(default_factory=lambda: [1])

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


def _handler(site: Site) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(site.root), **kwargs)

        def do_GET(self) -> None:
            site.hits[self.path] = site.hits.get(self.path, 0) + 1
            if self.path == "/flaky.html" and site.flaky_left[0] > 0:
                site.flaky_left[0] -= 1
                self.send_response(503)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    return Handler


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A small website on 127.0.0.1: pages, a sitemap, robots.txt, a flaky page and a missing one."""
    root = tmp_path / "site"
    site = Site(root, "")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = {"mass.html": ("Mass", "mass"), "time.html": ("Time", "time"),
             "flaky.html": ("Electricity", "electricity"), "private/chem.html": ("Chemistry", "chemistry")}
    for name, (title, key) in pages.items():
        write(root / name, PAGE.format(title=title, body=PARA[key]))
    write(root / "robots.txt", "User-agent: *\nDisallow: /private/\n")
    locs = [site.url(p) for p in (*pages, "missing.html")] + ["http://elsewhere.example/other.html"]
    write(root / "sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
          + "".join(f"<url><loc>{u}</loc></url>\n" for u in locs) + "</urlset>\n")
    write(root / "index.xml", '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          f"<sitemap><loc>{site.url('sitemap.xml')}</loc></sitemap></sitemapindex>")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def test_sitemap_lists_same_host_pages_and_follows_an_index(site: Site, tmp_path: Path) -> None:
    with Fetcher(tmp_path / "cache", FAST_WEB) as fetcher:
        urls = fetcher.sitemap_urls(site.url("index.xml"))
    assert urls == [site.url(p) for p in ("mass.html", "time.html", "flaky.html", "private/chem.html",
                                          "missing.html")]


def test_fetch_retries_respects_robots_and_reports_failures(site: Site, tmp_path: Path) -> None:
    with Fetcher(tmp_path / "cache", FAST_WEB) as fetcher:
        result = fetcher.collect([], [site.url("sitemap.xml")], exclude=["*/time.html"])
    assert sorted(result.files.values()) == [site.url("flaky.html"), site.url("mass.html")]
    assert site.hits["/flaky.html"] == 2  # one 503, then the page
    assert "/private/chem.html" not in site.hits and "/time.html" not in site.hits
    failed = dict(result.failed)
    assert failed == {site.url("private/chem.html"): "robots.txt does not allow fetching it",
                      site.url("missing.html"): "HTTP 404 Not Found"}
    for path in result.files:
        assert path.is_relative_to(tmp_path / "cache") and path.suffix == ".html"
        assert path.with_suffix(".json").exists()


def test_fetch_bounds(site: Site, tmp_path: Path) -> None:
    small = WebOptions(delay=0.0, retries=0, max_pages=1, max_bytes=200)
    with Fetcher(tmp_path / "cache", small) as fetcher:
        result = fetcher.collect([site.url("mass.html"), site.url("time.html")], [])
    assert result.files == {}
    assert [u for u, _ in result.failed] == [site.url("mass.html")]  # max_pages: the second is not tried
    assert "over the 0.0002 MB limit" in result.failed[0][1]


@pytest.mark.slow
def test_ingest_web_pages_cites_their_url_and_follows_changes(site: Site, settings: Settings,
                                                               embedder) -> None:
    from assistant.assistant import Assistant

    def ingest() -> IngestSummary:
        return run_ingest(settings, sitemaps=[site.url("sitemap.xml")], progress=False, embedder=embedder,
                          web=FAST_WEB)

    first = ingest()
    assert (first.added, first.fetched, first.documents) == (3, 3, 3)
    assert sorted(u for u, _ in first.skipped) == [site.url("missing.html"), site.url("private/chem.html")]
    assert_consistent(settings, embedder)
    answer = Assistant(settings, embedder=embedder).ask("Where is UTC published?")
    assert not answer.abstained, answer.text
    assert answer.citations[0].source == site.url("time.html")
    assert answer.citations[0].title == "Time"

    again = ingest()  # conditional requests: 304, nothing rebuilt
    assert (again.not_modified, again.fetched, again.unchanged, again.embedded) == (3, 0, 3, 0)

    (site.root / "time.html").unlink()  # the page is gone (404): it leaves the index
    gone = ingest()
    assert (gone.removed, gone.documents, gone.embedded) == (1, 2, 0)
    assert site.url("time.html") in dict(gone.skipped)
    assert_consistent(settings, embedder)


@pytest.mark.slow
def test_cli_ingests_a_url(site: Site, cli: CliRunner) -> None:
    from assistant.interfaces.cli import app

    result = cli.invoke(app, ["ingest", site.url("mass.html"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "web pages fetched" in result.stdout
    manifest = Manifest(manifest_path(Settings()))
    assert [d.source for d in manifest.documents()] == [site.url("mass.html")]
    manifest.close()


def test_cli_unreadable_sitemap_is_one_line_exit_1(site: Site) -> None:
    from assistant.interfaces.cli import app

    result = CliRunner().invoke(app, ["ingest", "--sitemap", site.url("nope.xml")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: Cannot read the sitemap {site.url('nope.xml')}: HTTP 404 Not Found."
