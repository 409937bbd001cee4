"""The opt-in query log: what each interface records, feedback linking, rotation, and the export to eval drafts."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from assistant.evaluate.questions import QuestionFileError, load_questions
from assistant.interfaces.cli import app
from assistant.interfaces.querylog import QueryLog, to_eval_drafts
from assistant.settings import Settings
from assistant.types import Answer, Citation, Stamp

CITATION = Citation(n=1, title="Secondments", source="corpus/secondments.txt", text="Contact Dr Stock.",
                    quote="Contact Dr Stock.", score=0.9, doc_id="d1", start=120, end=137, section="How to apply")
ANSWER = Answer(text="Contact Dr Stock. [1]", abstained=False, citations=(CITATION,), support="supported",
                support_score=0.93, stamp=Stamp("v-1", "minilm", "extractive", "2026-12-01T00:00:00+00:00"),
                timings={"retrieve": 12.345, "answer": 3.0})
PRIVATE_KEYS = {"ip", "client", "host", "user", "username", "auth", "remote_addr"}


class FakeAssistant:
    def __init__(self) -> None:
        self.calls: list = []

    def ask(self, question: str, history=None, filters=None) -> Answer:
        self.calls.append(question)
        return ANSWER


def _service(tmp_path: Path, on: bool = True):
    from assistant.interfaces.ui import LoggedService

    return LoggedService(Settings(index_dir=tmp_path / "idx", query_log=on,
                                  feedback_path=tmp_path / "feedback.jsonl"), assistant=FakeAssistant())


def test_off_by_default_nothing_is_written(tmp_path: Path) -> None:
    assert Settings().query_log is False
    service = _service(tmp_path, on=False)
    answer, answer_id = service.ask_logged("How do I apply?")
    assert answer is ANSWER and answer_id == "" and not (tmp_path / "idx").exists()


def test_http_route_records_question_support_spans_stamp_timings(tmp_path: Path) -> None:
    service = _service(tmp_path)
    service.ask("How do I apply?", [{"role": "user", "content": "Hi"}], {"language": "en"})
    (record,) = QueryLog(Settings(index_dir=tmp_path / "idx").query_log_file, 10**6, 3).records()
    assert record["interface"] == "http" and record["question"] == "How do I apply?"
    assert record["support"] == "supported" and record["support_score"] == 0.93
    assert record["citations"] == [{"n": 1, "doc_id": "d1", "source": "corpus/secondments.txt", "start": 120,
                                    "end": 137, "section": "How to apply"}]
    assert record["stamp"]["index_version"] == "v-1" and record["timings"]["retrieve"] == 12.3
    assert record["total_ms"] >= 0 and record["filters"] == {"language": "en"}
    assert not PRIVATE_KEYS & set(record)


def test_chat_feedback_is_linked_to_the_logged_answer(tmp_path: Path) -> None:
    from assistant.interfaces.feedback import FeedbackLog
    from assistant.interfaces.ui import ChatHandlers

    service = _service(tmp_path)
    handlers = ChatHandlers(service)
    *_, last = handlers.respond("How do I apply?", [], [], "any", "")
    chat, turns = last[1], last[2]
    answer_id = turns[-1]["answer_id"]
    assert answer_id
    vote, note = handlers.vote(SimpleNamespace(index=1, liked=False), chat, turns)
    assert vote == {"vote": vote["vote"], "answer": answer_id} and "saved" in note
    assert handlers.comment("Wrong person", vote)[0] == ""
    (query,) = service.query_log.queries()
    assert query["id"] == answer_id and query["interface"] == "chat"
    assert query["feedback"] == [{"rating": "down"}, {"comment": "Wrong person"}]
    (fb,) = FeedbackLog(tmp_path / "feedback.jsonl").votes()
    assert fb["answer_id"] == answer_id and fb["comment"] == "Wrong person"
    assert handlers.comment("old-style vote id", "abc123")[1].startswith('<span class="note">Comment saved')


def test_log_rotates_by_size_and_keeps_n_files(tmp_path: Path) -> None:
    qlog = QueryLog(tmp_path / "queries.jsonl", max_bytes=2_000, keep=2)
    ids = [qlog.question("cli", f"question {i}", [], {}, ANSWER, 1.0) for i in range(12)]
    files = qlog.files()
    assert [p.name for p in files] == ["queries.jsonl.2", "queries.jsonl.1", "queries.jsonl"]
    assert all(p.stat().st_size <= 2_000 for p in files)
    kept = [q["id"] for q in qlog.queries()]
    assert kept == ids[-len(kept):] and 3 <= len(kept) < 12   # the oldest were dropped, order kept


def test_unwritable_log_never_costs_the_answer(tmp_path: Path) -> None:
    (tmp_path / "idx").write_text("a file where the index folder should be")
    service = _service(tmp_path)
    answer, answer_id = service.ask_logged("How do I apply?")
    assert answer is ANSWER and answer_id == ""


def test_drafts_are_refused_by_eval_until_filled(tmp_path: Path) -> None:
    qlog = QueryLog(tmp_path / "queries.jsonl", 10**6, 3)
    first = qlog.question("chat", "How do I apply?", [], {}, ANSWER, 1.0)
    qlog.feedback(first, rating="down")
    qlog.question("http", "Who is the director?", [{"role": "system", "content": "be brief"},
                                                   {"role": "user", "content": "Hi"}], {}, ANSWER, 1.0)
    again = qlog.question("cli", "how do I  APPLY?", [], {}, ANSWER, 1.0)   # the same question again
    drafts = to_eval_drafts(qlog.queries())
    assert [d["question"] for d in drafts] == ["Who is the director?", "how do I  APPLY?"]
    assert drafts[1]["id"] == f"log-{again}" and drafts[1]["answerable"] is None and drafts[1]["facts"] == []
    assert drafts[0]["history"] == [{"role": "user", "content": "Hi"}]
    assert "corpus/secondments.txt" in drafts[1]["notes"] and "DRAFT" in drafts[1]["notes"]
    path = tmp_path / "drafts.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in drafts))
    with pytest.raises(QuestionFileError) as err:
        load_questions(path)
    assert "line 1 [log-" in err.value.problems[0] and "'answerable' is null" in err.value.problems[0]
    drafts[0].update(answerable=True, facts=[["Stock"]])
    drafts[1].update(answerable=False)
    path.write_text("".join(json.dumps(d) + "\n" for d in drafts))
    assert [i.answerable for i in load_questions(path)] == [True, False]


def test_log_export_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "idx"
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index))
    runner = CliRunner()
    empty = runner.invoke(app, ["log", "export"])
    assert empty.exit_code == 0 and "ASSISTANT_QUERY_LOG=1" in empty.stderr
    qlog = QueryLog(Settings(index_dir=index).query_log_file, 10**6, 3)
    answer_id = qlog.question("cli", "How do I apply?", [], {}, ANSWER, 1.0)
    qlog.feedback(answer_id, rating="up")
    raw = runner.invoke(app, ["log", "export"])
    assert json.loads(raw.stdout)["feedback"] == [{"rating": "up"}]
    out = tmp_path / "drafts.jsonl"
    result = runner.invoke(app, ["log", "export", "--to-eval", "--out", str(out)])
    assert result.exit_code == 0 and "1 draft questions written" in result.stderr
    assert json.loads(out.read_text())["id"] == f"log-{answer_id}"


@pytest.mark.slow
def test_round_trip_ask_log_export_eval(index_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`assistant ask` with the log on → `assistant log export --to-eval` → refused by `assistant eval` →
    a person fills the draft → `assistant eval` scores it."""
    from assistant.evaluate.cli import main as eval_main

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_copy))
    monkeypatch.setenv("ASSISTANT_QUERY_LOG", "1")
    runner = CliRunner()
    for question in ("How can I get seconded to the Physical Metrology Department?", "What is the salary figure for a secondee?"):
        assert runner.invoke(app, ["ask", question]).exit_code == 0
    (first, second) = QueryLog(index_copy / "queries.jsonl", 10**6, 3).queries()
    assert first["interface"] == "cli" and first["citations"] and first["stamp"]["index_version"]
    drafts = tmp_path / "drafts.jsonl"
    assert runner.invoke(app, ["log", "export", "--to-eval", "--out", str(drafts)]).exit_code == 0
    out = tmp_path / "reports"
    assert eval_main([str(drafts), "--index-dir", str(index_copy), "--out", str(out), "--quiet"]) == 2
    items = [json.loads(line) for line in drafts.read_text().splitlines()]
    items[0].update(answerable=True, facts=[["Michael Stock", "Dr Stock"]])   # a person writes the facts
    items[1].update(answerable=False)
    drafts.write_text("".join(json.dumps(i) + "\n" for i in items))
    code = eval_main([str(drafts), "--index-dir", str(index_copy), "--out", str(out), "--quiet",
                      "--min-answer-accuracy", "0.5"])
    report = json.loads((out / "latest.json").read_text())
    assert report["overall"]["n"] == 2 and report["questions"][0]["correct"], report["questions"][0]
    assert code == 0


@pytest.mark.slow
@pytest.mark.server
def test_http_routes_write_the_log_without_client_details(bot, tmp_path: Path) -> None:
    """A real server and client: /api/ask and /v1/chat/completions are logged; the client's address is not."""
    import httpx

    from assistant.interfaces.http import running
    from assistant.interfaces.ui import build_app

    index = tmp_path / "log-home"
    settings = Settings(index_dir=index, query_log=True)
    with running(build_app(settings, assistant=bot)) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.post("/api/ask", json={"question": "How large is the BIPM's international staff?"},
                           headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
        assert client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "Who is the Department Director?"}]}).status_code == 200
    text = settings.query_log_file.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert [(r["interface"], r["question"]) for r in records] == [
        ("http", "How large is the BIPM's international staff?"), ("http", "Who is the Department Director?")]
    assert all(r["citations"] and r["stamp"] and r["total_ms"] > 0 for r in records)
    assert "127.0.0.1" not in text and "203.0.113.9" not in text and not PRIVATE_KEYS & set(records[0])
