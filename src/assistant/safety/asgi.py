"""ASGI middleware that guards the HTTP server (API and Gradio UI alike) before any route runs.

- `BodyLimit`: a request body over the limit is refused with 413 — from its Content-Length before a byte
  is read, or while streaming once the bytes counted pass it — and file uploads are off (the UI has none).
- `SecurityHeaders`: nosniff, no framing, a Content-Security-Policy the Gradio UI works with, no referrer.
- `LoginGuard` + `LoginThrottle`: after ``failures`` wrong passwords a client (by IP) is refused with 429
  for a lock-out window that doubles with each lock-out; a right password after the window resets it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Gradio's front end runs inline bootstrap scripts and styles, loads its own assets, workers and blobs, and
# talks to the same origin; nothing comes from elsewhere (the app works offline).
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; "
       "connect-src 'self' ws: wss:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'; object-src 'none'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
]
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")
LOGIN_PATHS = ("/login", "/login/")
MAX_LOCKOUT_DOUBLINGS = 10  # the window stops doubling after this many lock-outs in a row


async def send_json(send: Send, status: int, payload: dict[str, Any],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A complete JSON response."""
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for request bodies over ``max_bytes`` (checked before the app parses anything); no uploads."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/").endswith(UPLOAD_PATHS) and scope["method"] != "GET":
            await send_json(send, 403, {"error": "File uploads are not accepted by this server."})
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await send_json(send, 413, {"error": self._message()})
            return
        started = refused = False
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now; the app then sees a client that went away, and whatever it sends is dropped.
                    refused = True
                    if not started:
                        await send_json(send, 413, {"error": self._message()})
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, tracked_send)

    def _message(self) -> str:
        return (f"The request body is larger than {self.max_bytes // 1024} KB (ASSISTANT_MAX_REQUEST_KB) "
                "or its length is not a number.")


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in have)]
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class _Client:
    failures: int = 0
    lockouts: int = 0
    until: float = 0.0


class LoginGuard:
    """Counts wrong passwords per client and says how long a client must still wait (thread-safe)."""

    def __init__(self, failures: int, lockout_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds before ``client`` may try again (0 = now)."""
        with self._lock:
            state = self._clients.get(client)
            return max(0.0, state.until - self.clock()) if state else 0.0

    def failed(self, client: str) -> None:
        with self._lock:
            state = self._clients.setdefault(client, _Client())
            state.failures += 1
            if state.failures >= self.failures:
                state.until = self.clock() + self.lockout_seconds * 2 ** min(state.lockouts, MAX_LOCKOUT_DOUBLINGS)
                state.lockouts += 1
                state.failures = 0

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def refusal(self, client: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]] | None:
        """The 429 response for a locked-out client, or None."""
        wait = self.wait(client)
        if not wait:
            return None
        seconds = int(wait) + 1
        return 429, {"error": f"Too many wrong passwords; try again in {seconds} s."}, \
            [(b"retry-after", str(seconds).encode())]


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class LoginThrottle:
    """Applies a `LoginGuard` to Gradio's login form (POST …/login): refused while locked out, and each
    answer it gives (200 = right, 4xx = wrong) is counted."""

    def __init__(self, app: ASGIApp, guard: LoginGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(LOGIN_PATHS):
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        refusal = self.guard.refusal(client)
        if refusal is not None:
            await send_json(send, refusal[0], refusal[1], refusal[2])
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status < 300:
                    self.guard.succeeded(client)
                elif status in (400, 401, 403):
                    self.guard.failed(client)
            await send(message)

        await self.app(scope, receive, watch)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None
