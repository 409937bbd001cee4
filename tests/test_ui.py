"""The chat UI: HTML rendering and escaping, the feedback log, and the Gradio app through gradio_client."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.interfaces.feedback import FeedbackLog, export
from assistant.interfaces.http import running
from assistant.interfaces.ui import _turn_of, answer_html, build_app, esc, highlighted, index_html
from assistant.settings import Settings
from assistant.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))")


def corpus_emails() -> set[str]:
    return {m for f in CORPUS.rglob("*") if f.is_file() for m in EMAIL_RE.findall(f.read_text("utf-8", "replace"))}


def hostile_answer() -> Answer:
    text = "Before " + " ".join(HOSTILE) + " after."
    quote = HOSTILE[1]
    citation = Citation(n=1, title=HOSTILE[0], source="javascript:alert(1)", text=text, quote=quote,
                        score=1.0, doc_id="d", start=0, end=len(quote), section=HOSTILE[2], date="2024\x07")
    return Answer(text=f"{HOSTILE[0]}\x00 [1]", abstained=False, citations=(citation,), support="supported",
                  support_score=0.9)


# --- rendering (no server) -------------------------------------------------------
def test_escaping_leaves_no_live_markup() -> None:
    page = answer_html(hostile_answer().text, hostile_answer())
    assert "<script" not in page and "<img" not in page and "href=\"javascript" not in page
    assert "\x00" not in page and "\x07" not in page
    assert f'<div class="answer">{esc(HOSTILE[0])} [1]</div>' in page  # shown as text, not as markup
    assert f"<b>{esc(HOSTILE[0])}</b>" in page and f"<mark>{esc(HOSTILE[1])}</mark>" in page
    assert esc(HOSTILE[2]) in page and "<code>javascript:alert(1)</code>" in page


def test_citation_passage_marks_the_quoted_span() -> None:
    c = hostile_answer().citations[0]
    marked = highlighted(c)
    assert marked.count("<mark>") == 1
    assert re.search(r"<mark>(.*?)</mark>", marked).group(1) == esc(c.quote)
    assert marked.replace("<mark>", "").replace("</mark>", "") == esc(c.text)


def test_web_sources_become_links_and_others_do_not() -> None:
    base = hostile_answer().citations[0]
    web = Citation(**{**base.to_dict(), "source": "https://www.bipm.org/en/a?b=1&c=2"})
    page = answer_html("x", Answer(text="x", abstained=False, citations=(web,)))
    assert 'href="https://www.bipm.org/en/a?b=1&amp;c=2"' in page and 'rel="noopener noreferrer"' in page
    assert "<a " not in answer_html("x", hostile_answer())


def test_like_index_maps_to_its_turn() -> None:
    chat = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}]
    turns = [{"question": "q1"}, {"question": "q2"}]
    assert _turn_of(1, chat, turns) == turns[0]
    assert _turn_of(3, chat, turns) == turns[1]
    assert _turn_of(9, chat, turns) is None


def test_index_panel_without_index_says_how_to_build_it(tmp_path: Path) -> None:
    from assistant.interfaces.http import Service

    page = index_html(Service(Settings(index_dir=tmp_path / "none")))
    assert "<code>assistant ingest</code>" in page


class FakeAssistant:
    """Stands in for `Assistant` where only the UI plumbing is under test."""

    def __init__(self, answer: Answer | Exception) -> None:
        self.answer, self.calls = answer, []

    def ask(self, question: str, history=None, filters=None) -> Answer:
        self.calls.append((question, history, filters))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def respond(fake: FakeAssistant, *args: object) -> list[tuple]:
    from assistant.interfaces.http import Service
    from assistant.interfaces.ui import ChatHandlers

    handlers = ChatHandlers(Service(Settings(), assistant=fake))
    return list(handlers.respond(*args))


def test_answer_streams_in_growing_pieces_then_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.interfaces.ui.STREAM_SECONDS", 0.0)
    answer = Answer(text=" ".join(f"word{i}" for i in range(60)) + " [1]", abstained=False,
                    citations=hostile_answer().citations, support="partial", support_score=0.5)
    fake = FakeAssistant(answer)
    outputs = respond(fake, "q\x00?", [], [{"question": "q0", "answer": {"answer": "a0"}}], "en", " corpus/* ")
    assert fake.calls == [("q?", [{"role": "user", "content": "q0"}, {"role": "assistant", "content": "a0"}],
                           {"language": "en", "source": "corpus/*"})]
    shown = [o[1][-1]["content"] for o in outputs[1:]]
    texts = [re.search(r'<div class="answer">(.*?)</div>', s, re.S).group(1) for s in shown]
    assert len(texts) > 3 and all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:-1], strict=False))
    assert texts[-1] == esc(answer.text) and 'class="support partial"' in shown[-1]
    assert outputs[-1][2][-1]["answer"]["answer"] == answer.text  # the turn is kept as plain text
    # The badge marks a finished turn: it comes in the one update that also brings the turn's JSON and plain
    # text (and timings), never before them.
    assert not any('class="support' in s for s in shown[:-1])
    assert outputs[-1][3]["answer"] == answer.text and outputs[-1][4].startswith(answer.text)


def test_unexpected_failure_is_a_message_in_the_chat() -> None:
    outputs = respond(FakeAssistant(RuntimeError("boom <b>")), "Will I be paid?", [], [], "any", "")
    box, chat, turns, data, plain, timings = outputs[-1]
    assert "Something went wrong" in chat[-1]["content"] and "RuntimeError" in data["error"]
    assert "boom" not in chat[-1]["content"] and turns[-1]["error"]


# --- feedback log ------------------------------------------------------------------
def test_feedback_votes_and_comments_export(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "fb" / "feedback.jsonl")
    answer = hostile_answer().to_dict()
    up = log.vote("up", "=cmd|' /C calc'!A0", answer)
    log.vote("down", "second?", answer)
    log.comment(up, "very useful")
    votes = {v["id"]: v for v in json.loads("[" + ",".join(export(log).splitlines()) + "]")}
    assert len(votes) == 2 and votes[up]["comment"] == "very useful" and votes[up]["rating"] == "up"
    rows = list(csv.DictReader(io.StringIO(export(log, "csv"))))
    assert {r["rating"] for r in rows} == {"up", "down"}
    assert next(r for r in rows if r["id"] == up)["question"].startswith("'=")  # no live formula


def test_feedback_appends_are_whole_lines_under_concurrency(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    answer = {"answer": "x" * 5000, "citations": []}
    threads = [threading.Thread(target=lambda: [log.vote("up", "q", answer) for _ in range(20)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 160 and all(json.loads(line)["answer"] == "x" * 5000 for line in lines)


def test_feedback_export_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.interfaces.cli import app

    path = tmp_path / "feedback.jsonl"
    monkeypatch.setenv("ASSISTANT_FEEDBACK_PATH", str(path))
    FeedbackLog(path).vote("up", "How do I apply?", {"answer": "Contact the director.", "citations": []})
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["feedback-export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert next(csv.DictReader(out.open(encoding="utf-8")))["question"] == "How do I apply?"
    result = CliRunner().invoke(app, ["feedback-export"])
    assert json.loads(result.stdout)["answer"] == "Contact the director."
    assert CliRunner().invoke(app, ["feedback-export", "--format", "xml"]).exit_code == 2


# --- the Gradio app through gradio_client ---------------------------------------------
@pytest.fixture(scope="module")
def ui_url(built_index: Path, bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(index_dir=built_index, feedback_path=tmp_path_factory.mktemp("fb") / "feedback.jsonl")
    with running(build_app(settings, assistant=bot)) as url:
        yield url


def client(url: str, **kwargs):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, **kwargs)


def content(message: dict) -> str:
    """A chat message's HTML (Gradio sends content as a list of typed parts)."""
    parts = message["content"]
    return parts if isinstance(parts, str) else "".join(p.get("text", "") for p in parts)


def ask(c, question: str, **kwargs) -> tuple[str, list, dict, str, str]:
    """One turn through the /ask endpoint: (box, chat, answer json, plain answer, timings)."""
    return c.predict(question, api_name="/ask", **kwargs)


@pytest.mark.server
@pytest.mark.slow
def test_ui_answers_with_citations(ui_url: str, bot) -> None:
    box, chat, data, plain, timings = ask(client(ui_url), "How can I get seconded to the Physical Metrology Department?")
    assert box == ""
    assert not data["abstained"] and data["citations"]
    documents = bot.corpus().documents
    for c in data["citations"]:
        assert documents[c["doc_id"]].text[c["start"] : c["end"]] == c["quote"]
        assert esc(c["title"]) in content(chat[-1])
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert esc(data["answer"]) in content(chat[-1]) and "<mark>" in content(chat[-1])
    assert plain.startswith(data["answer"]) and "Sources:" in plain
    assert "total_ms" in timings


@pytest.mark.server
@pytest.mark.slow
def test_ui_uses_the_conversation_for_follow_ups(ui_url: str) -> None:
    c = client(ui_url)
    ask(c, "Who is the Department Director?")
    _, _, data, _, _ = ask(c, "Could you give me his e-mail address?")
    assert corpus_emails() & set(EMAIL_RE.findall(data["answer"]))


@pytest.mark.server
@pytest.mark.slow
def test_ui_filters_reach_the_assistant(ui_url: str) -> None:
    _, _, data, _, _ = ask(client(ui_url), "How can I get seconded to the Physical Metrology Department?", source="*liaison*")
    assert data["citations"] and all("liaison" in c["source"] for c in data["citations"])


@pytest.mark.server
@pytest.mark.slow
def test_ui_shows_bad_questions_in_the_chat(ui_url: str) -> None:
    c = client(ui_url)
    _, chat, data, _, _ = ask(c, "   ")
    assert "empty" in data["error"] and 'class="error"' in content(chat[-1])
    _, chat, data, _, _ = ask(c, "Will I be paid during a secondment?")  # still serving
    assert data["citations"]


@pytest.mark.server
@pytest.mark.slow
def test_ui_without_index_shows_the_ingest_hint_and_keeps_serving(tmp_path: Path, embedder) -> None:
    with running(build_app(Settings(index_dir=tmp_path / "none"), embedder=embedder)) as url:
        c = client(url)
        for question in ("How can I get seconded to the Physical Metrology Department?", "Anything else?"):
            _, chat, data, _, _ = ask(c, question)
            assert "assistant ingest" in data["error"]
            assert "<code>assistant ingest</code>" in content(chat[-1])


@pytest.mark.server
@pytest.mark.slow
def test_ui_with_chroma_down_says_so(index_copy: Path, embedder, port: int) -> None:
    settings = Settings(index_dir=index_copy, chroma_url=f"http://127.0.0.1:{port}")  # nothing listens
    with running(build_app(settings, embedder=embedder)) as url:
        _, chat, data, _, _ = ask(client(url), "How can I get seconded to the Physical Metrology Department?")
        assert "Chroma server" in data["error"] and "chroma run" in content(chat[-1])


@pytest.mark.server
@pytest.mark.slow
def test_ui_login_when_auth_is_set(built_index: Path, bot) -> None:
    with running(build_app(Settings(index_dir=built_index, auth="ana:s3cret"), assistant=bot)) as url:
        with pytest.raises(Exception, match="(?i)login|auth|401"):
            client(url)
        _, _, data, _, _ = ask(client(url, auth=("ana", "s3cret")), "Will I be paid during a secondment?")
        assert data["citations"]
