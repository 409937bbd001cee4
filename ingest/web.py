"""Fetch web pages (URLs, or every page a sitemap lists) into a cache folder, so they ingest like files.

Polite and bounded: one request at a time with a pause between requests to a host (longer if robots.txt
asks for a Crawl-delay), pages robots.txt disallows are not fetched, at most ``max_pages`` pages and
``max_bytes`` per response, a timeout per request, and retries with exponential backoff (or the server's
Retry-After) on connection errors, 429 and 5xx. Re-fetches are conditional (ETag / Last-Modified), so
an unchanged page costs a 304 and is not re-embedded. A page that answers 404 or 410 is dropped from the
cache and, through it, from the index.

Cache layout, inside the index folder: ``web/<host>/<sha1 of URL>.<ext>`` plus a ``.json`` sidecar
(url, etag, last_modified, content_type, fetched).
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from assistant.errors import IngestError
from ingest.load import SUFFIXES

log = logging.getLogger(__name__)
USER_AGENT = "bipm-assistant/0.1 (document ingest; polite: robots.txt, delays, retries)"
RETRY_STATUS = {429, 500, 502, 503, 504}
GONE_STATUS = {404, 410}
CONTENT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


@dataclass(frozen=True)
class WebOptions:
    """How politely and how much to fetch."""

    max_pages: int = 500
    delay: float = 1.0  # seconds between two requests to the same host
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 1.0  # first retry waits this long, then doubles
    max_wait: float = 60.0  # cap on any single wait (Retry-After, Crawl-delay, backoff)
    max_bytes: int = 50_000_000
    robots: bool = True


class TooLarge(Exception):
    """A response bigger than ``max_bytes``: not retried, reported."""


@dataclass(frozen=True)
class Reply:
    """A fully read HTTP response."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def status(self) -> str:
        """'HTTP 404 Not Found': the standard phrase, whatever the server wrote."""
        return f"HTTP {self.status_code} {httpx.codes.get_reason_phrase(self.status_code)}".strip()

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@dataclass
class Fetched:
    """The outcome for one URL: a cached file, or the reason there is none."""

    url: str
    path: Path | None = None
    error: str = ""
    gone: bool = False
    not_modified: bool = False


@dataclass
class WebResult:
    """Pages fetched for one ingest: cached files with their URLs, failures, and pages now gone."""

    files: dict[Path, str] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    gone: list[Path] = field(default_factory=list)
    fetched: int = 0
    not_modified: int = 0


class Fetcher:
    """Fetches URLs into ``cache_dir`` with one shared HTTP client; use as a context manager."""

    def __init__(self, cache_dir: Path, options: WebOptions | None = None) -> None:
        self.cache_dir = cache_dir
        self.options = options or WebOptions()
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=self.options.timeout,
            follow_redirects=True,
            max_redirects=5,
        )
        self._last: dict[str, float] = {}  # host → time of the last request
        self._robots: dict[str, RobotFileParser | None] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    # --- public ----------------------------------------------------------------
    def collect(self, urls: Iterable[str], sitemaps: Iterable[str], include: Iterable[str] = (),
                exclude: Iterable[str] = ()) -> WebResult:
        """Fetch ``urls`` and the pages listed by ``sitemaps`` (filtered by globs over the URL)."""
        wanted = list(dict.fromkeys(urls))
        for sitemap in sitemaps:
            listed = _filter(self.sitemap_urls(sitemap), list(include), list(exclude))
            wanted += [u for u in listed if u not in wanted]
        result = WebResult()
        if len(wanted) > self.options.max_pages:
            log.warning("fetching the first %d of %d pages", self.options.max_pages, len(wanted))
        for url in wanted[: self.options.max_pages]:
            _record(result, self.fetch(url))
        return result

    def sitemap_urls(self, url: str, depth: int = 0) -> list[str]:
        """Page URLs listed by the sitemap at ``url`` (a sitemap index is followed, 3 levels deep)."""
        try:
            response = self._get(url)
            if response.status_code >= 400:
                raise IngestError(f"Cannot read the sitemap {url}: {response.status}.")
            root = ET.fromstring(_maybe_gunzip(response.content))
        except (httpx.HTTPError, httpx.InvalidURL, TooLarge, ET.ParseError, OSError) as exc:
            raise IngestError(f"Cannot read the sitemap {url}: {_describe(exc)}.") from None
        locs = [el.text.strip() for el in root.iter() if _local(el.tag) == "loc" and el.text]
        if _local(root.tag) == "sitemapindex" and depth < 3:
            return [page for sub in locs for page in self.sitemap_urls(urljoin(url, sub), depth + 1)]
        host = urlsplit(url).netloc
        return [u for u in (urljoin(url, loc) for loc in locs) if urlsplit(u).netloc == host]

    def fetch(self, url: str) -> Fetched:
        """Fetch one page into the cache (conditionally, when it is cached already)."""
        if urlsplit(url).scheme not in ("http", "https"):
            return Fetched(url, error="not an http(s) URL")
        if not self._allowed(url):
            return Fetched(url, error="robots.txt does not allow fetching it")
        cached, sidecar = self._cached(url)
        try:
            response = self._get(url, _conditional(cached, sidecar), stream_limit=self.options.max_bytes)
        except (httpx.HTTPError, httpx.InvalidURL, TooLarge) as exc:
            return Fetched(url, error=_describe(exc))
        return self._store(url, response, cached, sidecar)

    # --- steps ---------------------------------------------------------------------
    def _store(self, url: str, response: Reply, cached: Path | None, sidecar: Path) -> Fetched:
        if response.status_code == 304 and cached is not None:
            return Fetched(url, cached, not_modified=True)
        if response.status_code in GONE_STATUS:
            gone = self._forget(cached, sidecar)
            return Fetched(url, gone, error=response.status, gone=gone is not None)
        if response.status_code >= 400:
            return Fetched(url, error=response.status)
        suffix = _suffix(url, response.headers.get("content-type", ""))
        if suffix is None:
            return Fetched(url, error=f"unsupported content type {response.headers.get('content-type')!r}")
        path = self._path(url, suffix)
        if cached is not None and cached != path:
            cached.unlink(missing_ok=True)
        _write_atomic(path, response.content)
        meta = {"url": url, "final_url": response.url, "etag": response.headers.get("etag"),
                "last_modified": response.headers.get("last-modified"),
                "content_type": response.headers.get("content-type"), "fetched": _now()}
        _write_atomic(sidecar, json.dumps(meta, indent=1).encode())
        return Fetched(url, path)

    def _get(self, url: str, headers: dict[str, str] | None = None, stream_limit: int = 0) -> Reply:
        """GET with politeness delay and retries; the body is read up to ``stream_limit`` bytes."""
        for attempt in range(self.options.retries + 1):
            self._wait_turn(url)
            try:
                response = self._send(url, headers or {}, stream_limit or self.options.max_bytes)
            except httpx.TransportError as exc:
                if attempt == self.options.retries:
                    raise
                log.info("retrying %s after %s", url, type(exc).__name__)
                time.sleep(self._backoff(attempt, None))
                continue
            if response.status_code not in RETRY_STATUS or attempt == self.options.retries:
                return response
            log.info("retrying %s after HTTP %d", url, response.status_code)
            time.sleep(self._backoff(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")

    def _send(self, url: str, headers: dict[str, str], limit: int) -> Reply:
        with self.client.stream("GET", url, headers=headers) as response:
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > limit:
                    raise TooLarge(f"the response is over the {limit / 1e6:g} MB limit (ASSISTANT_MAX_FILE_MB)")
            return Reply(response.status_code, response.headers, bytes(body), str(response.url))

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        wait = self.options.backoff * 2**attempt
        if retry_after and retry_after.strip().isdigit():
            wait = float(retry_after)
        return min(wait, self.options.max_wait)

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        delay = max(self.options.delay, self._crawl_delay(host))
        pause = self._last.get(host, float("-inf")) + delay - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, self.options.max_wait))
        self._last[host] = time.monotonic()

    # --- robots.txt ----------------------------------------------------------------
    def _allowed(self, url: str) -> bool:
        robots = self._robots_for(url)
        return robots is None or robots.can_fetch(USER_AGENT, url)

    def _crawl_delay(self, host: str) -> float:
        robots = self._robots.get(host)
        delay = robots.crawl_delay(USER_AGENT) if robots is not None else None
        return float(delay or 0.0)

    def _robots_for(self, url: str) -> RobotFileParser | None:
        """The host's robots.txt rules; None (everything allowed) when it has none or it is unreadable."""
        if not self.options.robots:
            return None
        parts = urlsplit(url)
        if parts.netloc not in self._robots:
            self._robots[parts.netloc] = None
            try:
                response = self._get(f"{parts.scheme}://{parts.netloc}/robots.txt", stream_limit=500_000)
            except (httpx.HTTPError, TooLarge):
                return None
            if response.status_code == 200:
                parser = RobotFileParser()
                parser.parse(response.text.splitlines())
                self._robots[parts.netloc] = parser
        return self._robots[parts.netloc]

    # --- cache -------------------------------------------------------------------------
    def _path(self, url: str, suffix: str) -> Path:
        host = urlsplit(url).netloc.replace(":", "_") or "local"
        return self.cache_dir / host / (hashlib.sha1(url.encode()).hexdigest()[:20] + suffix)

    def _cached(self, url: str) -> tuple[Path | None, Path]:
        """The cached file for ``url`` if any, and its sidecar path."""
        sidecar = self._path(url, ".json")
        for suffix in sorted(set(CONTENT_TYPES.values()) | SUFFIXES):
            path = self._path(url, suffix)
            if path.exists() and sidecar.exists():
                return path, sidecar
        return None, sidecar

    def _forget(self, cached: Path | None, sidecar: Path) -> Path | None:
        sidecar.unlink(missing_ok=True)
        if cached is not None:
            cached.unlink(missing_ok=True)
        return cached


def cache_dir_for(index_dir: Path) -> Path:
    return Path(index_dir) / "web"


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _record(result: WebResult, fetched: Fetched) -> None:
    if fetched.gone and fetched.path is not None:
        result.gone.append(fetched.path)
    if fetched.error:
        result.failed.append((fetched.url, fetched.error))
        log.warning("not fetched %s: %s", fetched.url, fetched.error)
        return
    assert fetched.path is not None
    result.files[fetched.path.resolve()] = fetched.url
    result.fetched += not fetched.not_modified
    result.not_modified += fetched.not_modified


def _filter(urls: list[str], include: list[str], exclude: list[str]) -> list[str]:
    if include:
        urls = [u for u in urls if any(fnmatch.fnmatch(u, g) for g in include)]
    return [u for u in urls if not any(fnmatch.fnmatch(u, g) for g in exclude)]


def _conditional(cached: Path | None, sidecar: Path) -> dict[str, str]:
    if cached is None:
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    headers = {"If-None-Match": meta.get("etag"), "If-Modified-Since": meta.get("last_modified")}
    return {k: v for k, v in headers.items() if v}


def _suffix(url: str, content_type: str) -> str | None:
    mime = content_type.split(";")[0].strip().lower()
    if mime in CONTENT_TYPES:
        return CONTENT_TYPES[mime]
    path_suffix = Path(urlsplit(url).path).suffix.lower()
    return path_suffix if path_suffix in SUFFIXES else None


def _maybe_gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _describe(exc: Exception) -> str:
    if isinstance(exc, TooLarge):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file then rename, so a killed run never leaves half a page in the cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
