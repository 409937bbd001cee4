"""Scripted LLM servers: OpenAI-compatible (`/v1/chat/completions`, JSON or SSE) and Ollama (`/api/chat`, NDJSON).

They speak the wire formats the real LangChain clients (langchain-openai, langchain-ollama) read, so a test
exercises the whole client path. A test sets ``server.script``: a function from the request body to a
`Reply`. Every request body and its headers are recorded in ``server.requests``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the stub answers: ``text`` (in ``pieces`` deltas when streaming), after ``delay`` seconds.

    ``garbage`` sends a body that is not the protocol's JSON; ``status`` other than 200 sends an error.
    """

    text: str = ""
    delay: float = 0.0
    garbage: bool = False
    status: int = 200
    pieces: int = 5


@dataclass
class Request:
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user message (where the passages and the question are)."""
        users = [m for m in self.body.get("messages", []) if m.get("role") == "user"]
        content = users[-1]["content"] if users else ""
        return content if isinstance(content, str) else json.dumps(content)


Script = Callable[[Request], Reply]


class StubServer:
    """Base: a threaded HTTP server on 127.0.0.1 with a replaceable script."""

    path = "/"

    def __init__(self) -> None:
        self.script: Script = lambda request: Reply("")
        self.requests: list[Request] = []
        self.errors: list[Exception] = []
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping through a scripted delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def reset(self, script: Script | None = None) -> None:
        self.requests.clear()
        self.errors.clear()
        self.script = script or (lambda request: Reply(""))

    # --- protocol ---------------------------------------------------------------
    def respond(self, handler: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Request(self.path, json.loads(raw or b"{}"), {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                if self.path != server.path:
                    return _send(self, 404, b'{"error": "not found"}', "application/json")
                try:
                    reply = server.script(request)
                except Exception as exc:  # a broken script shows up as a 500 and in server.errors
                    server.errors.append(exc)
                    return _send(self, 500, json.dumps({"error": repr(exc)}).encode(), "application/json")
                if reply.delay and server._stop.wait(reply.delay):
                    return None
                # The client may have given up (timeout): nothing to do then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.respond(self, request, reply)
                return None

        return Handler


class OpenAIStub(StubServer):
    """POST /v1/chat/completions: a chat.completion JSON, or SSE ``chat.completion.chunk`` events."""

    path = "/v1/chat/completions"

    def respond(self, handler: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
        if reply.status != 200:
            return _send(handler, reply.status, b'{"error": {"message": "scripted failure"}}', "application/json")
        if request.body.get("stream"):
            return self._stream(handler, request, reply)
        if reply.garbage:
            return _send(handler, 200, b'{"id": "x", "choices": [{"message": ', "application/json")
        body = {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
            "model": request.body.get("model", "stub"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                         "finish_reason": "stop"}],
            "usage": _usage(request, reply),
        }
        return _send(handler, 200, json.dumps(body).encode(), "application/json")

    def _stream(self, handler: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
        _start(handler, "text/event-stream")
        if reply.garbage:
            return _write(handler, b"data: {\"choices\": [{\"delta\": {\"content\": \n\n")
        base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": request.body.get("model", "stub")}
        first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        _write(handler, _sse(first))
        for piece in _pieces(reply.text, reply.pieces):
            _write(handler, _sse({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}))
        _write(handler, _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        if (request.body.get("stream_options") or {}).get("include_usage"):
            _write(handler, _sse({**base, "choices": [], "usage": _usage(request, reply)}))
        return _write(handler, b"data: [DONE]\n\n")


class OllamaStub(StubServer):
    """POST /api/chat: NDJSON message chunks ending with a ``done`` line carrying token counts (as Ollama)."""

    path = "/api/chat"

    def respond(self, handler: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
        if reply.status != 200:
            return _send(handler, reply.status, b'{"error": "scripted failure"}', "application/json")
        model = request.body.get("model", "stub")
        now = "2026-01-01T00:00:00Z"
        if not request.body.get("stream", True):
            body = {"model": model, "created_at": now, "message": {"role": "assistant", "content": reply.text},
                    "done": True, "done_reason": "stop", **_ollama_counts(request, reply)}
            return _send(handler, 200, json.dumps(body).encode(), "application/json")
        _start(handler, "application/x-ndjson")
        if reply.garbage:
            return _write(handler, b'{"model": "stub", "message": {"content": \n')
        for piece in _pieces(reply.text, reply.pieces):
            line = {"model": model, "created_at": now, "message": {"role": "assistant", "content": piece}, "done": False}
            _write(handler, json.dumps(line).encode() + b"\n")
        done = {"model": model, "created_at": now, "message": {"role": "assistant", "content": ""}, "done": True,
                "done_reason": "stop", **_ollama_counts(request, reply)}
        return _write(handler, json.dumps(done).encode() + b"\n")


def _usage(request: Request, reply: Reply) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in request.body.get("messages", []))
    completion = len(reply.text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _ollama_counts(request: Request, reply: Reply) -> dict[str, int]:
    usage = _usage(request, reply)
    return {"prompt_eval_count": usage["prompt_tokens"], "eval_count": usage["completion_tokens"],
            "total_duration": 1_000_000}


def _pieces(text: str, n: int) -> list[str]:
    """``text`` cut into about ``n`` deltas at arbitrary points (also inside words and markers)."""
    if not text:
        return []
    size = max(1, -(-len(text) // max(1, n)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _start(handler: BaseHTTPRequestHandler, content_type: str) -> None:
    """Start a streamed body: no length, the connection closes at the end."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True


def _write(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    handler.wfile.write(data)
    handler.wfile.flush()
