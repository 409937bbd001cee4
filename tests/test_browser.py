"""The chat page in headless Chromium (Playwright + Debian's /usr/bin/chromium).

Asks questions, opens the sources, gives feedback, and feeds hostile questions and a hostile
document: no dialog may fire, no injected element or javascript: link may appear, and the text must
show literally. Screenshots go to artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.interfaces.http import running
from assistant.interfaces.ui import build_app
from assistant.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCRIPT, IMG, JS_LINK = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))"
HOSTILE_TITLE = "Zanzibar calibration protocol <script>alert('title')</script>"
HOSTILE_DOC = f"""---
title: "{HOSTILE_TITLE}"
language: en
retrieved: "2026-11-20"
---
Zanzibar calibration protocol

The Zanzibar calibration protocol requires a quarterly check of every torsion balance. Submit the form {SCRIPT} to the laboratory office.

Reports must include the tag {IMG} and the link {JS_LINK} exactly as printed, because the archive scanner reads them literally.
"""
ANSWERED = "#chat .badge-row, #chat .error"  # one per finished turn


@pytest.fixture(scope="module")
def hostile_index(built_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """The session index plus a document full of markup that must never run."""
    from ingest.pipeline import run_ingest

    index = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(built_index, index)
    docs = index.parent / "docs"
    docs.mkdir()
    (docs / "zanzibar-protocol.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    run_ingest(Settings(index_dir=index), [CORPUS, docs], progress=False, embedder=embedder)
    return index


@pytest.fixture(scope="module")
def server(hostile_index: Path, embedder) -> Iterator[tuple[str, Path]]:
    feedback = hostile_index.parent / "feedback.jsonl"
    settings = Settings(index_dir=hostile_index, feedback_path=feedback)
    with running(build_app(settings, embedder=embedder)) as url:
        yield url, feedback


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser: Any, url: str, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.dialogs, page.offsite = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else page.offsite.append(r.url))
    page.goto(url, wait_until="domcontentloaded")  # Gradio's polling keeps "networkidle" from ever settling
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    assert page.dialogs == [], f"a dialog fired: {page.dialogs}"
    assert page.offsite == [], f"the page reached off the machine: {page.offsite}"  # offline use, no tracking
    context.close()


@pytest.fixture
def page(browser: Any, server: tuple[str, Path]) -> Iterator[Any]:
    yield from open_page(browser, server[0])


def ask(page: Any, question: str) -> Any:
    """Type ``question``, press Enter, wait for the turn to finish; returns the last bot message."""
    done = page.locator(ANSWERED).count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(ANSWERED)}).length > {done}", timeout=180_000)
    return page.locator("#chat [data-testid='bot']").last


def assert_no_injection(page: Any) -> None:
    assert page.dialogs == []
    assert page.locator("#chat script, #chat img, #chat iframe, #chat object, #chat embed").count() == 0
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.evaluate("() => [...document.querySelectorAll('#chat *')].filter("
                         "e => [...e.attributes].some(a => a.name.startsWith('on'))).length") == 0


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_answer_with_sources_and_feedback(page: Any, server: tuple[str, Path]) -> None:
    message = ask(page, "Will I be paid during a secondment?")
    assert "allowance" in message.inner_text()
    assert message.locator(".support").inner_text().startswith("supported")
    sources = message.locator("details.sources")
    quotes = sources.locator("blockquote").all()  # one per cited passage, all folded until the sources are opened
    assert quotes and not any(quote.is_visible() for quote in quotes)
    sources.locator("summary").click()
    assert sources.locator("mark").first.is_visible()
    assert "secondments-physical-metrology" in sources.inner_text()
    shot(page, "ui-answer-sources")

    page.locator("#chat button[aria-label='Like']").last.click()
    page.wait_for_selector("#feedback-note :text('feedback saved')")
    page.fill("#comment textarea", "Clear and sourced.")
    page.get_by_role("button", name="Send comment").click()
    page.wait_for_selector("#feedback-note :text('Comment saved')")
    shot(page, "ui-feedback")
    records = [json.loads(line) for line in server[1].read_text(encoding="utf-8").splitlines()]
    vote = next(r for r in records if r.get("rating"))
    assert vote["rating"] == "up" and vote["question"] == "Will I be paid during a secondment?"
    assert any(r.get("ref") == vote["id"] and r["comment"] == "Clear and sourced." for r in records)


def test_follow_up_copy_timings_index_and_clear(page: Any) -> None:
    page.get_by_label("Show timings").check()
    ask(page, "Who is the Department Director?")
    message = ask(page, "Could you give me his e-mail address?")
    assert "@" in message.locator(".answer").inner_text()
    assert "total_ms" in page.locator("#timings").inner_text()
    page.get_by_role("button", name="Copy last answer").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(message.locator(".answer").inner_text().strip()) and "Sources:" in copied
    page.get_by_text("Index", exact=True).click()
    assert "documents" in page.locator("#index-info").inner_text()
    shot(page, "ui-follow-up")
    page.get_by_role("button", name="Clear chat").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")


def test_example_questions_are_clickable(page: Any) -> None:
    from assistant.interfaces.ui import EXAMPLES

    example = EXAMPLES[2]
    page.get_by_text(example).click()
    page.wait_for_selector(ANSWERED, timeout=180_000)
    assert example in page.locator("#chat [data-testid='user']").inner_text()
    assert "[1]" in page.locator("#chat [data-testid='bot']").last.inner_text()  # examples must be answerable


@pytest.mark.parametrize("question", [
    f"{SCRIPT} How can I get seconded to the Physical Metrology Department?",
    f"{IMG} Will I be paid?",
    f"{JS_LINK} Who is the Department Director?",
    "Will\x00 I\x07 be\x1b[31m paid\x7f during a secondment?",
    ("Will I be paid during a secondment? " + "Please explain the allowance in detail. " * 40)[:1500],
])
def test_hostile_questions_show_literally(page: Any, question: str) -> None:
    ask(page, question)
    assert_no_injection(page)
    shown = page.locator("#chat [data-testid='user']").last.inner_text()
    expected = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t")
    assert " ".join(shown.split()) == " ".join(expected.split())
    if len(question) == 1500:
        shot(page, "ui-long-question")
    if SCRIPT in question:
        shot(page, "ui-hostile-question")


def test_hostile_document_shows_literally(page: Any) -> None:
    message = ask(page, "What does the Zanzibar calibration protocol require for reports?")
    message.locator("details.sources summary").click()
    text = message.inner_text()
    for literal in (SCRIPT, IMG, JS_LINK, HOSTILE_TITLE):
        assert literal in text
    assert_no_injection(page)
    shot(page, "ui-hostile-document")


def test_missing_index_shows_the_ingest_hint(browser: Any, tmp_path: Path, embedder) -> None:
    with running(build_app(Settings(index_dir=tmp_path / "none"), embedder=embedder)) as url:
        for page in open_page(browser, url):
            for _ in range(2):  # keeps serving
                message = ask(page, "How can I get seconded to the Physical Metrology Department?")
                assert "assistant ingest" in message.locator(".error").inner_text()
            shot(page, "ui-no-index")


# --- the API page offline, the chat on common screens (issue 17) ------------------------
def test_docs_page_renders_with_the_network_blocked(browser: Any, server: tuple[str, Path]) -> None:
    """/docs draws Swagger UI from the installed package: every request off 127.0.0.1 is aborted and none is made."""
    base = server[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.goto(base + "/docs", wait_until="domcontentloaded")
    page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
    assert "BIPM Assistant API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/ask" in paths and "/v1/chat/completions" in paths
    page.locator(".opblock-summary-path", has_text="/api/ask").first.click()
    page.wait_for_selector(".opblock-body", timeout=10_000)   # the operation opens: the UI's scripts run
    shot(page, "api-docs-offline")
    assert blocked == [], f"/docs reached off the machine: {blocked}"
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def test_conversation_fills_the_viewport(browser: Any, server: tuple[str, Path], width: int, height: int) -> None:
    """After a four-step answer, the answer and its badge are on screen without scrolling the page."""
    for page in open_page(browser, server[0], {"width": width, "height": height}):
        message = ask(page, "How can I get seconded to the Physical Metrology Department?")
        page.wait_for_timeout(500)  # let the chat settle its own scroll position
        assert page.evaluate("window.scrollY") == 0, "the page had to scroll"
        chat, badge, box = (page.locator(s).bounding_box() for s in
                            ("#chat", "#chat .support >> nth=-1", "#question textarea"))
        answer = message.bounding_box()
        assert chat["height"] >= 0.6 * height, f"the conversation uses {chat['height']:.0f} of {height} px"
        assert chat["y"] >= 0 and chat["y"] + chat["height"] <= height
        assert badge["y"] >= 0 and badge["y"] + badge["height"] <= height, badge
        assert chat["y"] <= badge["y"] and badge["y"] + badge["height"] <= chat["y"] + chat["height"]
        visible = min(answer["y"] + answer["height"], chat["y"] + chat["height"]) - max(answer["y"], chat["y"])
        assert visible >= min(answer["height"], 0.5 * chat["height"]), "the answer is mostly out of view"
        assert box["y"] + box["height"] <= height, "the question box is below the fold"
        sources = message.locator("details.sources")
        assert not sources.locator("blockquote").first.is_visible()   # sources stay collapsed until clicked
        sources.locator("summary").click()
        assert sources.locator("blockquote").first.is_visible()
        assert page.evaluate("window.scrollY") == 0
        shot(page, f"ui-viewport-{width}x{height}")
