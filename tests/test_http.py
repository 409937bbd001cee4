"""The HTTP API over real HTTP: uvicorn on 127.0.0.1, the session index, httpx as the client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.interfaces.http import running
from assistant.interfaces.ui import build_app
from assistant.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def corpus_emails() -> set[str]:
    return {m for f in CORPUS.rglob("*") if f.is_file() for m in EMAIL_RE.findall(f.read_text("utf-8", "replace"))}


@pytest.fixture(scope="module")
def api(built_index: Path, bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = Settings(index_dir=built_index, feedback_path=tmp_path_factory.mktemp("fb") / "feedback.jsonl")
    with running(build_app(settings, assistant=bot)) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


def assert_json_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body["error"]


def test_health_reports_the_index_version(api: httpx.Client, bot) -> None:
    body = api.get("/api/health").json()
    assert body["status"] == "ok" and body["ready"] is True
    assert body["index_version"] == bot.corpus().version


def test_info_lists_every_corpus_document(api: httpx.Client) -> None:
    body = api.get("/api/info").json()
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    assert body["documents"] == len(files) == len(body["items"])
    assert {Path(item["path"] or item["source"]).name for item in body["items"]} == files
    assert body["chunks"] == sum(item["chunks"] for item in body["items"]) > 0


def test_ask_cites_verbatim_spans_of_the_documents(api: httpx.Client, bot) -> None:
    response = api.post("/api/ask", json={"question": "Will I be paid during a secondment?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"answer", "abstained", "support", "support_score", "citations", "stamp", "timings"}
    assert not body["abstained"] and body["citations"]
    documents = bot.corpus().documents
    for c in body["citations"]:
        assert documents[c["doc_id"]].text[c["start"] : c["end"]] == c["quote"]
        assert (ROOT / c["source"]).is_file()
        assert f"[{c['n']}]" in body["answer"]


def test_ask_filters_restrict_the_sources(api: httpx.Client) -> None:
    body = api.post("/api/ask", json={"question": "How can I get seconded to the Physical Metrology Department?",
                                      "filters": {"source": "*liaison*"}}).json()
    assert body["citations"], body
    assert all("liaison" in c["source"] for c in body["citations"])


def test_ask_uses_history_for_follow_ups(api: httpx.Client) -> None:
    first = api.post("/api/ask", json={"question": "Who is the Department Director?"}).json()
    history = [{"role": "user", "content": "Who is the Department Director?"},
               {"role": "assistant", "content": first["answer"]}]
    body = api.post("/api/ask", json={"question": "Could you give me his e-mail address?", "history": history}).json()
    assert corpus_emails() & set(EMAIL_RE.findall(body["answer"]))


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"question": ""}, 400),
        ({"question": "   \x00\x07  "}, 400),
        ({"question": "x" * 2001}, 400),
        ({"question": 5}, 422),
        ({"question": ["a"]}, 422),
        ({}, 422),
        ({"question": "ok?", "surprise": 1}, 422),
        ({"question": "ok?", "history": "nope"}, 422),
        ({"question": "ok?", "history": [{"role": "robot", "content": "x"}]}, 422),
        ({"question": "ok?", "filters": {"colour": "red"}}, 422),
        ([1, 2, 3], 422),
    ],
)
def test_bad_ask_requests_get_a_json_error(api: httpx.Client, payload: object, status: int) -> None:
    assert_json_error(api.post("/api/ask", json=payload), status)


def test_malformed_bodies_and_methods_get_a_json_error(api: httpx.Client) -> None:
    message = assert_json_error(api.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert "JSON" in message
    assert_json_error(api.get("/api/ask"), 405)
    assert_json_error(api.get("/api/nothing-here"), 404)
    assert_json_error(api.get("/v1/models/x"), 404)
    assert_json_error(api.post("/v1/chat/completions", json={"messages": []}), 422)
    assert_json_error(api.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]}), 400)


def test_too_long_question_says_the_limit(api: httpx.Client) -> None:
    message = assert_json_error(api.post("/api/ask", json={"question": "why " * 600}), 400)
    assert "2,000" in message


def test_chat_completion_matches_the_answer(api: httpx.Client) -> None:
    question = "How can I get seconded to the Physical Metrology Department?"
    direct = api.post("/api/ask", json={"question": question}).json()
    body = api.post("/v1/chat/completions", json={
        "model": "bipm-assistant", "temperature": 0.2,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": question}],
    }).json()
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and body["choices"][0]["finish_reason"] == "stop"
    assert message["content"].startswith(direct["answer"])
    assert "Sources:" in message["content"]
    assert [c["quote"] for c in body["citations"]] == [c["quote"] for c in direct["citations"]]
    for c in body["citations"]:
        assert f"[{c['n']}] {c['title']}" in message["content"]


def test_chat_completion_history_answers_the_follow_up(api: httpx.Client) -> None:
    first = api.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "Who is the Department Director?"}]}).json()
    body = api.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "Who is the Department Director?"},
        first["choices"][0]["message"],
        {"role": "user", "content": "Could you give me his e-mail address?"},
    ]}).json()
    answer = body["choices"][0]["message"]["content"].split("\n\nSources:")[0]
    assert corpus_emails() & set(EMAIL_RE.findall(answer))


def test_streamed_chat_completion_adds_up_to_the_full_one(api: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Will I be paid during a secondment?"}]
    full = api.post("/v1/chat/completions", json={"messages": messages}).json()
    with api.stream("POST", "/v1/chat/completions", json={"messages": messages, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert len(chunks) > 3 and all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == full["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"] == full["citations"]


def test_streaming_a_bad_request_fails_before_the_stream(api: httpx.Client) -> None:
    response = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": " "}], "stream": True})
    assert_json_error(response, 400)


def test_openapi_docs_are_served(api: httpx.Client) -> None:
    assert "swagger" in api.get("/docs").text.lower()
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/health", "/api/info", "/v1/chat/completions"} <= set(paths)


def test_hostile_question_comes_back_as_plain_json(api: httpx.Client) -> None:
    question = "<script>alert(1)</script> \ud800 [click](javascript:alert(1)) secondment allowance?"
    history = [{"role": "user", "content": "a \x00 b"}, {"role": "assistant", "content": "\x1b[31m c"}]
    # json.dumps escapes the lone surrogate; the server decodes it back into the question text
    response = api.post("/api/ask", content=json.dumps({"question": question, "history": history}),
                        headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["answer"]
    history[0]["content"] = "a \udfff b"  # pydantic refuses a lone surrogate in a length-checked field
    response = api.post("/api/ask", content=json.dumps({"question": "Hi?", "history": history}),
                        headers={"content-type": "application/json"})
    assert "unicode" in assert_json_error(response, 422)


# --- faults and login ----------------------------------------------------------
def test_missing_index_answers_503_then_recovers_after_ingest(tmp_path: Path, embedder) -> None:
    from ingest.pipeline import run_ingest

    settings = Settings(index_dir=tmp_path / "not-yet")
    with running(build_app(settings, embedder=embedder)) as url, httpx.Client(base_url=url, timeout=120) as client:
        health = client.get("/api/health").json()
        assert health["status"] == "ok" and health["ready"] is False
        message = assert_json_error(client.post("/api/ask", json={"question": "How do I apply?"}), 503)
        assert "assistant ingest" in message
        assert_json_error(client.get("/api/info"), 503)
        run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
        body = client.post("/api/ask", json={"question": "Will I be paid during a secondment?"}).json()
        assert body["citations"] and client.get("/api/health").json()["ready"] is True


def test_empty_index_answers_503_and_is_not_ready_until_documents_are_in(tmp_path: Path, embedder) -> None:
    from ingest.pipeline import run_ingest

    settings = Settings(index_dir=tmp_path / "index")
    (tmp_path / "nothing").mkdir()
    run_ingest(settings, [tmp_path / "nothing"], progress=False, embedder=embedder)
    with running(build_app(settings, embedder=embedder)) as url, httpx.Client(base_url=url, timeout=120) as client:
        health = client.get("/api/health").json()
        assert health["ready"] is False and health["documents"] == 0 and "no documents" in health["message"]
        message = assert_json_error(client.post("/api/ask", json={"question": "Where are the widget rules kept?"}), 503)
        assert "no documents" in message
        run_ingest(settings, [CORPUS], progress=False, embedder=embedder)
        body = client.post("/api/ask", json={"question": "Who pays a secondee's salary?"}).json()
        assert body["citations"] and client.get("/api/health").json()["ready"] is True


def test_chroma_server_down_is_a_clear_503(index_copy: Path, embedder, port: int) -> None:
    settings = Settings(index_dir=index_copy, chroma_url=f"http://127.0.0.1:{port}")  # nothing listens
    with running(build_app(settings, embedder=embedder)) as url, httpx.Client(base_url=url, timeout=120) as client:
        message = assert_json_error(client.post("/api/ask", json={"question": "How do I apply?"}), 503)
        assert "Chroma server" in message and settings.chroma_url in message
        assert client.get("/api/health").json()["status"] == "ok"


def test_api_asks_for_the_login_when_auth_is_set(built_index: Path, bot) -> None:
    settings = Settings(index_dir=built_index, auth="ana:s3cret")
    with running(build_app(settings, assistant=bot)) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.get("/api/health").status_code == 200
        assert_json_error(client.get("/api/info"), 401)
        assert_json_error(client.post("/api/ask", json={"question": "Hi?"}, auth=("ana", "wrong")), 401)
        assert client.get("/api/info", auth=("ana", "s3cret")).status_code == 200
