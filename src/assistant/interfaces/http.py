"""HTTP API (FastAPI): ask, health, index info, and an OpenAI-compatible chat completions endpoint.

    POST /api/ask               {question, history?, filters?} → Answer.to_dict()
    GET  /api/health            {"status": "ok", "index_version": ...}
    GET  /api/info              what is indexed (documents, chunks, version, last ingest)
    POST /v1/chat/completions   OpenAI chat.completion (or SSE chunks with "stream": true)

Every error is JSON ``{"error": "..."}``: 4xx for bad requests, 503 when the index or a backend is
missing, a bare 500 (no traceback) for a fault of the server. When ``settings.auth`` is set, the API asks
for the same user:password (HTTP Basic), and a client that keeps guessing is locked out for a while.
Every route (the Gradio UI, mounted on the same app by ui.py, included) sits behind `assistant.safety.asgi`:
a body-size limit checked before parsing, no file uploads, security headers, login throttling.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    IndexBusy,
    IndexNotFound,
)
from assistant.interfaces.apidocs import add_api_docs
from assistant.safety.asgi import BodyLimit, LoginGuard, LoginThrottle, SecurityHeaders, client_of
from assistant.safety.terminal import safe
from assistant.settings import Settings
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.index.embedder import Embedder

# C0 controls except tab/newline, DEL, and lone surrogates (they cannot be encoded as UTF-8 JSON).
UNSAFE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_TURNS = 50
UNAVAILABLE = (IndexNotFound, BackendUnavailable, IndexBusy)
# Answers computed at once. Answering is CPU-bound: on 2 cores more parallel answers only make each
# one slower, so the UI's streaming and the API's extra requests wait here instead.
ANSWER_SLOTS = 2
Credentials = Annotated[HTTPBasicCredentials | None, Depends(HTTPBasic(auto_error=False))]


def clean_input(text: str) -> str:
    """``text`` without control characters and lone surrogates."""
    return UNSAFE_RE.sub("", text)


class Service:
    """The one `Assistant` of a server, built on first need and rebuilt until the index exists.

    A missing index or a Chroma server that is down must not stop the server from starting: every
    question retries the build, so `assistant ingest` in another terminal fixes a running server.
    """

    def __init__(self, settings: Settings, assistant: Assistant | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._embedder = embedder
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(ANSWER_SLOTS)

    def get(self) -> Assistant:
        """The assistant, or the `AssistantError` that says why it cannot be built yet."""
        with self._lock:
            if self._assistant is None:
                from assistant.assistant import Assistant

                if self._embedder is None:
                    self._assistant = Assistant.from_settings(self.settings)
                else:
                    self._assistant = Assistant(self.settings, embedder=self._embedder)
            return self._assistant

    def ask(self, question: str, history: list[dict[str, str]] | None = None,
            filters: dict[str, str] | None = None) -> Answer:
        """`Assistant.ask` on text that the tokenizer and the JSON encoder can take."""
        turns = [{**t, "content": clean_input(t["content"])} for t in history or []]
        flt = {k: clean_input(v) for k, v in (filters or {}).items() if v}
        assistant = self.get()
        with self._slots:
            return assistant.ask(clean_input(question), history=turns, filters=flt or None)

    def info(self) -> dict[str, Any]:
        """`index_info` without absolute paths (what any client of the server may see)."""
        from assistant.interfaces.render import index_info

        return public_info(index_info(self.settings))


def public_info(data: dict[str, Any]) -> dict[str, Any]:
    """Index facts with the index folder reduced to its name and absolute document paths to file names."""
    items = [{**item, **{k: _public_path(item.get(k, "")) for k in ("source", "path")}} for item in data["items"]]
    return {**data, "index_dir": _public_path(str(data["index_dir"])), "items": items}


def _public_path(path: str) -> str:
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return re.split(r"[\\/]", path.rstrip("/\\"))[-1]
    return path


# --- request bodies ----------------------------------------------------------
class Turn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant", "system"]
    content: StrictStr = Field(max_length=20_000)


class FilterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: StrictStr | None = Field(None, max_length=16, description="e.g. en, fr")
    source: StrictStr | None = Field(None, max_length=500, description="glob over the document path")
    date_from: StrictStr | None = Field(None, max_length=32, description="ISO date, inclusive")
    date_to: StrictStr | None = Field(None, max_length=32, description="ISO date, inclusive")


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(description="The question, in English or French.")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_TURNS,
                                description="Earlier turns, oldest first, for follow-up questions.")
    filters: FilterBody | None = None


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # OpenAI clients send temperature, top_p, ...
    model: StrictStr = Field("bipm-assistant", max_length=200)
    messages: list[Turn] = Field(min_length=1, max_length=MAX_TURNS + 1)
    stream: StrictBool = False  # "yes" or 1 is a client error, not true

    @field_validator("model")
    @classmethod
    def _printable(cls, value: str) -> str:
        if UNSAFE_RE.search(value):
            raise ValueError("must not contain control characters or lone surrogates")
        return value


# --- app ---------------------------------------------------------------------
def create_api(service: Service) -> FastAPI:
    """A FastAPI app with the API routes and JSON error handlers (the UI is mounted by ui.py)."""
    api = FastAPI(title="BIPM Assistant API", version="1", docs_url=None, redoc_url=None,
                  description="Answers questions about BIPM documents with cited passages.")
    add_api_docs(api)  # /docs from installed assets, never a CDN (apidocs.py)
    api.state.assistant_service = service
    _add_error_handlers(api)
    logins = LoginGuard(service.settings.login_failures, service.settings.login_lockout_seconds)
    api.state.login_guard = logins
    # Added last = runs first: headers on every response, then the size limit, then login throttling.
    api.add_middleware(LoginThrottle, guard=logins)
    api.add_middleware(BodyLimit, max_bytes=service.settings.max_request_kb * 1024)
    api.add_middleware(SecurityHeaders)
    guard = [Depends(_auth_dependency(service.settings, logins))]

    @api.get("/api/health", tags=["api"])
    def health() -> dict[str, Any]:
        """Always 200 while the server runs; says whether questions can be answered yet."""
        try:
            data = service.info()
        except AssistantError as exc:
            return {"status": "ok", "ready": False, "index_version": None, "message": str(exc)}
        body = {"status": "ok", "ready": data["chunks"] > 0, "index_version": data["version"],
                "documents": data["documents"], "chunks": data["chunks"], "last_ingest": data["last_ingest"]}
        if not body["ready"]:  # its first ingest is running, or found nothing: questions get a 503
            body["message"] = "The index holds no documents yet."
        return body

    @api.get("/api/info", tags=["api"], dependencies=guard)
    def info() -> dict[str, Any]:
        """Documents, chunks, version and last ingest of the index."""
        return service.info()

    @api.post("/api/ask", tags=["api"], dependencies=guard)
    def ask(body: AskBody) -> dict[str, Any]:
        """Answer a question with numbered citations (the `assistant ask --json` shape)."""
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        history = [t.model_dump() for t in body.history]
        return service.ask(body.question, history, filters).to_dict()

    @api.post("/v1/chat/completions", tags=["openai"], dependencies=guard, response_model=None)
    def chat_completions(body: ChatBody) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible: the last user message is the question, earlier messages the history."""
        question, history = _split_messages(body.messages)
        answer = service.ask(question, history)
        if body.stream:
            return StreamingResponse(_sse(answer, body.model), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return _completion(answer, body.model)

    known = {r.path for r in api.routes if hasattr(r, "methods")}

    # Without this, unknown /api/ paths would fall through to the Gradio app mounted at "/".
    @api.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @api.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def not_here(request: Request) -> JSONResponse:
        if request.url.path in known:
            return JSONResponse({"error": f"{request.method} is not allowed here."}, status_code=405)
        return JSONResponse({"error": f"No such endpoint: {request.url.path} (see /docs)."}, status_code=404)

    return api


def _split_messages(messages: list[Turn]) -> tuple[str, list[dict[str, str]]]:
    turns = [t for t in messages if t.role != "system"]
    if not turns or turns[-1].role != "user":
        raise _BadRequest("The last message must come from the user (role 'user').")
    return turns[-1].content, [t.model_dump() for t in turns[:-1]]


class _BadRequest(AssistantError):
    pass


def _auth_dependency(settings: Settings, logins: LoginGuard) -> Any:
    """A dependency that checks HTTP Basic credentials when ``settings.auth`` is set; wrong ones count
    towards the client's lock-out, during which even right ones get 429."""
    if not settings.auth:
        return lambda: None
    user, _, password = settings.auth.partition(":")

    def check(request: Request, credentials: Credentials) -> None:
        client = client_of(request.scope)
        refusal = logins.refusal(client)
        if refusal is not None:
            status, body, headers = refusal
            raise StarletteHTTPException(status, body["error"], headers={k.decode(): v.decode() for k, v in headers})
        ok = credentials is not None and secrets.compare_digest(
            f"{credentials.username}:{credentials.password}".encode("utf-8", "replace"),
            f"{user}:{password}".encode())
        if not ok:
            if credentials is not None:
                logins.failed(client)
            raise StarletteHTTPException(401, "Log in with the user:password of ASSISTANT_AUTH (HTTP Basic).",
                                         headers={"WWW-Authenticate": "Basic"})
        logins.succeeded(client)

    return check


# --- responses ---------------------------------------------------------------
def answer_with_sources(answer: Answer) -> str:
    """Answer text followed by a plain "Sources:" list (what chat clients show), without control characters
    (a file name with terminal escapes must not reach a client's terminal)."""
    if not answer.citations:
        return safe(answer.text)
    lines = [answer.text, "", "Sources:"]
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "", c.date) if x)
        lines.append(f"[{c.n}] {c.title} — {c.source}" + (f" ({where})" if where else ""))
    return safe("\n".join(lines))


def _completion(answer: Answer, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer_with_sources(answer)}}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [c.to_dict() for c in answer.citations],
        "support": answer.support, "support_score": round(answer.support_score, 4),
        "abstained": answer.abstained,
    }


def _sse(answer: Answer, model: str) -> Iterator[str]:
    """chat.completion.chunk events: the role, the content a few words at a time, then the finish."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}

    def event(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in word_pieces(answer_with_sources(answer)):
        yield event({"content": piece})
    yield event({}, "stop", citations=[c.to_dict() for c in answer.citations], support=answer.support)
    yield "data: [DONE]\n\n"


def word_pieces(text: str, words: int = 3) -> Iterator[str]:
    """``text`` in pieces of a few words, whitespace kept, so that joining them gives ``text`` back."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])


# --- errors ------------------------------------------------------------------
def _status(exc: AssistantError) -> int:
    return 503 if isinstance(exc, UNAVAILABLE) else 400


def _add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(AssistantError)
    async def assistant_error(_: Request, exc: AssistantError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=_status(exc))

    @api.exception_handler(RequestValidationError)
    async def bad_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log (uvicorn), never to the client.
        return JSONResponse({"error": f"Internal error ({type(exc).__name__}); see the server log."},
                            status_code=500)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        if err.get("type") == "json_invalid":
            return "Bad request: the body is not valid JSON."
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "Bad request: " + "; ".join(parts)


# --- running -----------------------------------------------------------------
@contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields its base URL (tests, load runs)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port or _free_port(host), log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The server did not start on {host}:{server.config.port}.")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
