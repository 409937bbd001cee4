"""Fetch web pages (URLs, or every page a sitemap lists) into a cache folder, so they ingest like files.

Stays on the site it was given: redirects are followed by hand, one hop at a time, and like meta refreshes
and the sitemaps of a sitemap index only within the origin (scheme, host, port) of the URL given; each
request is checked against robots.txt and against the address its host resolves to (never link-local such
as the cloud metadata address 169.254.169.254, never loopback or private unless the URL given is).

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
import ipaddress
import json
import logging
import re
import socket
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


class OffSite(Exception):
    """A redirect, refresh or address that would leave the site given: not followed, reported."""


MAX_HOPS = 5  # redirects and meta refreshes followed for one URL
META_REFRESH_RE = re.compile(r"<meta\b[^>]*\bhttp-equiv\s*=\s*[\"']?refresh\b[^>]*>", re.I)
REFRESH_URL_RE = re.compile(r"\bcontent\s*=\s*[\"']?\s*\d*\s*[;,]?\s*url\s*=\s*[\"']?([^\"'>\s]+)", re.I)


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
            follow_redirects=False,  # each hop is checked by `_get` (origin, address, robots.txt)
        )
        self._last: dict[str, float] = {}  # host → time of the last request
        self._robots: dict[str, RobotFileParser | None] = {}
        self._addresses: dict[str, list[ipaddress.IPv4Address | ipaddress.IPv6Address]] = {}

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

    def sitemap_urls(self, url: str, depth: int = 0, start: str = "") -> list[str]:
        """Page URLs listed by the sitemap at ``url`` (a sitemap index is followed, 3 levels deep), only those
        on the origin of the first sitemap; a sitemap elsewhere is not read."""
        start = start or url
        try:
            if depth and not self._allowed(url):
                raise OffSite(f"robots.txt does not allow fetching {url}")
            response = self._get(url, start=start)
            if response.status_code >= 400:
                raise IngestError(f"Cannot read the sitemap {url}: {response.status}.")
            root = ET.fromstring(_maybe_gunzip(response.content))
        except (httpx.HTTPError, httpx.InvalidURL, TooLarge, OffSite, ET.ParseError, OSError) as exc:
            raise IngestError(f"Cannot read the sitemap {url}: {_describe(exc)}.") from None
        locs = [urljoin(url, el.text.strip()) for el in root.iter() if _local(el.tag) == "loc" and el.text]
        here = [u for u in locs if origin(u) == origin(start)]
        for other in sorted(set(locs) - set(here)):
            log.warning("not following %s: it is not on %s", other, _origin_text(start))
        if _local(root.tag) == "sitemapindex" and depth < 3:
            return [page for sub in here for page in self.sitemap_urls(sub, depth + 1, start)]
        return here

    def fetch(self, url: str) -> Fetched:
        """Fetch one page into the cache (conditionally, when it is cached already)."""
        if urlsplit(url).scheme not in ("http", "https"):
            return Fetched(url, error="not an http(s) URL")
        if not self._allowed(url):
            return Fetched(url, error="robots.txt does not allow fetching it")
        cached, sidecar = self._cached(url)
        try:
            response = self._get(url, _conditional(cached, sidecar), stream_limit=self.options.max_bytes)
        except (httpx.HTTPError, httpx.InvalidURL, TooLarge, OffSite) as exc:
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

    def _get(self, url: str, headers: dict[str, str] | None = None, stream_limit: int = 0, start: str = "",
             robots: bool = True) -> Reply:
        """GET ``url``, following redirects and meta refreshes by hand while they stay on the origin of
        ``start`` (default ``url``) and robots.txt allows them; every hop's address is checked first.
        Raises `OffSite` for a hop that is not followed."""
        start = start or url
        for _ in range(MAX_HOPS + 1):
            self._check_address(url, start)
            reply = self._get_once(url, headers, stream_limit)
            target = _next_hop(reply)
            if target is None:
                return reply
            if origin(target) != origin(start):
                raise OffSite(f"it redirects to another site ({_origin_text(target)}), which is not followed")
            if robots and not self._allowed(target):
                raise OffSite(f"it redirects to {target}, which robots.txt does not allow fetching")
            url = target
        raise OffSite(f"more than {MAX_HOPS} redirects")

    def _get_once(self, url: str, headers: dict[str, str] | None, stream_limit: int) -> Reply:
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

    def _check_address(self, url: str, start: str) -> None:
        """`OffSite` unless every address of ``url``'s host is public, or of the kind ``start``'s is
        (a loopback or private start URL is the operator's choice); link-local addresses never pass."""
        kinds = {_kind(a) for a in self._resolve(url)}
        allowed = {"public"} | ({_kind(a) for a in self._resolve(start)} - {"link-local", "reserved"})
        bad = kinds - allowed
        if bad:
            raise OffSite(f"{urlsplit(url).hostname} is a {sorted(bad)[0]} address, which is not fetched")

    def _resolve(self, url: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        host = urlsplit(url).hostname or ""
        if host not in self._addresses:
            try:
                infos = socket.getaddrinfo(host, urlsplit(url).port or 80, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError):
                infos = []  # the request itself then fails with a clear connection error
            self._addresses[host] = [ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos]
        return self._addresses[host]

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
                response = self._get(f"{parts.scheme}://{parts.netloc}/robots.txt", stream_limit=500_000,
                                     robots=False)
            except (httpx.HTTPError, httpx.InvalidURL, TooLarge, OffSite):
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


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in: two URLs are on one site when these match."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """public, loopback, link-local, private or reserved (unspecified, multicast, ...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "link-local"
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "reserved"
    return "private" if address.is_private else "public"


def _next_hop(reply: Reply) -> str | None:
    """Where a redirect (3xx Location) or an HTML meta refresh sends the client, if anywhere."""
    if reply.status_code in (301, 302, 303, 307, 308):
        location = reply.headers.get("location")
        return urljoin(reply.url, location.strip()) if location else None
    mime = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    if reply.status_code == 200 and mime in ("text/html", "application/xhtml+xml"):
        head = reply.content[:20_000].decode("utf-8", errors="replace")
        tag = META_REFRESH_RE.search(head)
        found = REFRESH_URL_RE.search(tag.group(0)) if tag else None
        if found:
            return urljoin(reply.url, found.group(1).strip())
    return None


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
    if isinstance(exc, (TooLarge, OffSite)):
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
