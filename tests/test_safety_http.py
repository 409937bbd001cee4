"""The HTTP server under hostile requests, over real HTTP (uvicorn on 127.0.0.1, httpx and raw sockets), and
what reaches a terminal: body limits before parsing, no uploads, security headers, login throttling, no
absolute paths, strict inputs, JSON errors instead of 500s, no control characters in printed text."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from assistant.interfaces.http import running
from assistant.interfaces.ui import build_app
from assistant.settings import Settings

ESC = "\x1b"
HOSTILE_NAME = "bulletin\x1b]8;;evil.example\x07link\x1b]8;;\x07\x1b[2J\x1b[31mred.txt"


def assert_json_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    return response.json()["error"]


def raw(url: str, request: bytes, then: list[bytes] = ()) -> bytes:
    """Send ``request`` (and each piece of ``then``) on a raw socket; the response bytes until close/timeout."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        try:
            for piece in then:
                sock.sendall(piece)
        except OSError:
            pass  # the server answered and closed before we finished: that is the point
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
                if b"\r\n\r\n" in data and len(data) > 50:
                    break
        except OSError:
            pass
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The full app (API + Gradio UI) with a 4 KB body limit, over an index that does not exist yet."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("none") / "index", max_request_kb=4)
    with running(build_app(settings)) as url:
        yield url


# --- request size -------------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions", "/gradio_api/queue/join", "/login"])
def test_a_declared_large_body_is_refused_before_it_is_read(server: str, path: str) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: 50000000\r\n\r\n").encode()
    started = time.perf_counter()
    reply = raw(server, head)  # no body sent at all: the answer cannot depend on reading it
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"error"' in reply and time.perf_counter() - started < 5


@pytest.mark.server
def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(server: str) -> None:
    head = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    piece = b"1000\r\n" + b"a" * 4096 + b"\r\n"
    reply = raw(server, head, [piece] * 4)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


@pytest.mark.server
def test_a_body_within_the_limit_still_works(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        assert_json_error(client.post("/api/ask", json={"question": "Hello?"}), 503)  # no index yet, not 413
        assert_json_error(client.post("/api/ask", content=b"x" * 5000,
                                      headers={"content-type": "application/json"}), 413)


@pytest.mark.server
def test_uploads_are_off(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        response = client.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert_json_error(response, 403)


# --- headers, paths, strict inputs -------------------------------------------------------------
@pytest.mark.server
@pytest.mark.parametrize("path", ["/", "/api/health", "/api/nothing", "/gradio_api/info", "/docs"])
def test_security_headers_on_every_response(server: str, path: str) -> None:
    response = httpx.get(server + path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.server
@pytest.mark.slow
def test_info_and_health_show_no_absolute_paths(built_index: Path, bot) -> None:
    with running(build_app(Settings(index_dir=built_index), assistant=bot)) as url:
        for path in ("/api/info", "/api/health"):
            body = httpx.get(url + path).json()
            leaked = [s for s in _strings(body) if s.startswith("/") or str(built_index) in s]
            assert leaked == [], path
        assert httpx.get(url + "/api/info").json()["index_dir"] == built_index.name


BAD_CHAT = [
    ('{"model": "\\ud800", "messages": [{"role": "user", "content": "Hi?"}]}', 422),
    ('{"model": "m", "stream": "yes", "messages": [{"role": "user", "content": "Hi?"}]}', 422),
    ('{"model": "m", "stream": 1, "messages": [{"role": "user", "content": "Hi?"}]}', 422),
    ('{"model": 5, "messages": [{"role": "user", "content": "Hi?"}]}', 422),
    ('{"messages": [{"role": "user", "content": "\\udfff"}], "model": "x\\u0000"}', 422),
    ('{"messages": [{"role": "assistant", "content": "Hi"}]}', 400),
    (b'\xff\xfe{"messages": []}', 422),
    ("[]", 422),
    ("null", 422),
]


@pytest.mark.server
@pytest.mark.parametrize(("body", "status"), BAD_CHAT)
def test_client_faults_in_chat_completions_are_4xx_json(server: str, body: str | bytes, status: int) -> None:
    data = body.encode() if isinstance(body, str) else body
    response = httpx.post(server + "/v1/chat/completions", content=data,
                          headers={"content-type": "application/json"})
    assert_json_error(response, status)


@pytest.mark.server
def test_a_content_length_that_is_not_a_number_is_refused(server: str) -> None:
    reply = raw(server, b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert reply.split(b" ")[1].startswith(b"4"), reply[:200]


# --- login throttling ----------------------------------------------------------------------------
@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[str]:
    settings = Settings(index_dir=tmp_path / "index", auth="ana:s3cret", login_failures=3, login_lockout_seconds=1)
    with running(build_app(settings)) as url:
        yield url


@pytest.mark.server
def test_api_logins_are_locked_out_after_failures_then_work_again(guarded: str) -> None:
    with httpx.Client(base_url=guarded) as client:
        for _ in range(3):
            assert_json_error(client.get("/api/info", auth=("ana", "wrong")), 401)
        locked = client.get("/api/info", auth=("ana", "s3cret"))  # even the right password waits
        assert_json_error(locked, 429)
        assert int(locked.headers["retry-after"]) >= 1
        time.sleep(1.2)
        assert client.get("/api/info", auth=("ana", "s3cret")).status_code != 401  # 503: no index, but let in
        assert client.get("/api/info", auth=("ana", "s3cret")).status_code not in (401, 429)
        for _ in range(3):
            client.get("/api/info", auth=("ana", "wrong"))
        assert_json_error(client.get("/api/info", auth=("ana", "wrong")), 429)


@pytest.mark.server
def test_ui_logins_are_locked_out_after_failures_then_work_again(guarded: str) -> None:
    with httpx.Client(base_url=guarded) as client:
        for _ in range(3):
            assert client.post("/login", data={"username": "ana", "password": "nope"}).status_code == 400
        assert_json_error(client.post("/login", data={"username": "ana", "password": "s3cret"}), 429)
        time.sleep(1.2)
        assert client.post("/login", data={"username": "ana", "password": "s3cret"}).status_code == 200


@pytest.fixture
def guarded_long(tmp_path: Path) -> Iterator[str]:
    """As `guarded`, with a lockout that outlasts any run of requests, so that no count depends on speed."""
    settings = Settings(index_dir=tmp_path / "index", auth="ana:s3cret", login_failures=3, login_lockout_seconds=600)
    with running(build_app(settings)) as url:
        yield url


@pytest.mark.server
def test_two_hundred_wrong_passwords_are_mostly_refused_unread(guarded_long: str) -> None:
    # With `guarded`'s one-second lockout, a loaded machine took over a second for the 200 requests and the
    # lockout ended before them: this test is about counting, `..._then_work_again` about the expiry.
    with httpx.Client(base_url=guarded_long) as client:
        codes = [client.get("/api/info", auth=("ana", f"guess{i}")).status_code for i in range(200)]
    assert codes.count(401) == 3 and codes.count(429) == 197


# --- what reaches a terminal ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    """An index of one document whose file name carries OSC-8 hyperlink, clear-screen and colour escapes."""
    from ingest.pipeline import run_ingest

    base = tmp_path_factory.mktemp("hostile")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / HOSTILE_NAME).write_text("Secondments at the BIPM last between three and twelve months.\n")
    settings = Settings(index_dir=base / "index")
    run_ingest(settings, [corpus], progress=False, embedder=embedder)
    return settings


@pytest.mark.slow
def test_cli_info_and_ask_print_no_escapes(hostile_index: Settings, embedder, monkeypatch) -> None:
    from assistant.interfaces import cli

    monkeypatch.setattr("assistant.index.embedder.make_embedder", lambda settings: embedder)
    monkeypatch.setattr("assistant.assistant.make_embedder", lambda settings: embedder)
    runner = CliRunner()
    info = runner.invoke(cli.app, ["info", "--index-dir", str(hostile_index.index_dir)])
    assert info.exit_code == 0, info.output
    assert "bulletin" in info.output and ESC not in info.output and "\x07" not in info.output
    ask = runner.invoke(cli.app, ["ask", "How long do secondments last?", "--index-dir",
                                  str(hostile_index.index_dir)])
    assert ask.exit_code == 0, ask.output
    assert "bulletin" in ask.output and ESC not in ask.output and "\x07" not in ask.output


@pytest.mark.slow
@pytest.mark.server
def test_chat_completion_text_has_no_escapes(hostile_index: Settings, embedder) -> None:
    with running(build_app(hostile_index, embedder=embedder)) as url:
        body = httpx.post(url + "/v1/chat/completions", timeout=120, json={
            "messages": [{"role": "user", "content": "How long do secondments last?"}]}).json()
    content = body["choices"][0]["message"]["content"]
    assert "bulletin" in content and ESC not in content and "\x07" not in content


def test_ingest_report_prints_no_escapes() -> None:
    from rich.console import Console

    from ingest.pipeline import IngestSummary
    from ingest.report import print_summary

    summary = IngestSummary(skipped=[(HOSTILE_NAME, "bad \x1b[2J reason")], instruction_like={HOSTILE_NAME: 2})
    console = Console(record=True, width=200, force_terminal=False)
    print_summary(summary, Settings(index_dir=Path("/tmp/x")), console)
    text = console.export_text()
    assert "bulletin" in text and ESC not in text and "\x07" not in text


def test_the_safe_filter_keeps_text_and_drops_sequences() -> None:
    from assistant.safety.terminal import safe

    assert safe(HOSTILE_NAME) == "bulletinlinkred.txt"
    assert safe("Sèvres\tFrance\nœ — «ok»") == "Sèvres\tFrance\nœ — «ok»"
    assert safe("a\x9b31mb\u202ec") == "a31mbc" or safe("a\x9b31mb\u202ec") == "abc"


def test_bm25s_debug_lines_do_not_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    from assistant.retrieve.lexical import LexicalIndex

    with caplog.at_level(logging.DEBUG):
        LexicalIndex(["The kilogram is a unit.", "The second is a unit."], ["en", "en"])
    assert [r for r in caplog.records if r.name.startswith("bm25s")] == []
    json.dumps([r.getMessage() for r in caplog.records])
