"""The corpus boundary holds: symbolic links out of the folder given are skipped, and web ingest stays on
the site it was given (redirects, meta refreshes, sitemap indexes; link-local/loopback/private addresses).

Web tests use http.server instances on 127.0.0.1 / 127.0.0.2 with ports chosen by the OS.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.load import OUTSIDE, discover, discover_all
from ingest.web import Fetcher, WebOptions

FAST = WebOptions(delay=0.0, backoff=0.01, retries=0, timeout=3.0, max_wait=0.1)
PAGE = "<html><head><title>{t}</title></head><body><main><h1>{t}</h1><p>{t} is a page of the test site with " \
       "enough words in it to be extracted as the main text of the page.</p></main></body></html>"


# --- symbolic links --------------------------------------------------------------------------
@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """corpus/ with a real file, links to a file and a folder outside it, and a link that stays inside."""
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "secret.txt").write_text("The vault code is 1234.\n")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "real.txt").write_text("The BIPM is in Sèvres.\n")
    (corpus / "leak.txt").symlink_to(secret / "secret.txt")
    (corpus / "leakdir").symlink_to(secret, target_is_directory=True)
    (corpus / "sub" / "alias.txt").symlink_to(corpus / "real.txt")
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)
    return corpus


def test_links_that_leave_the_folder_are_skipped_with_a_reason(linked: Path) -> None:
    files, outside = discover_all([linked])
    assert files == [(linked / "real.txt").resolve()]  # the inside alias is the same file; the loop ends
    assert sorted(outside) == [(str(linked / "leak.txt"), OUTSIDE), (str(linked / "leakdir"), OUTSIDE)]
    assert discover([linked]) == files


@pytest.mark.slow
def test_ingest_skips_outside_links_and_exits_3(linked: Path, tmp_path: Path, embedder, monkeypatch) -> None:
    from assistant.interfaces import cli

    monkeypatch.setattr("assistant.index.embedder.make_embedder", lambda settings: embedder)
    monkeypatch.setattr("ingest.pipeline.make_embedder", lambda settings: embedder)
    result = CliRunner().invoke(cli.app, ["ingest", str(linked), "--index-dir", str(tmp_path / "ix"),
                                          "--no-progress"])
    assert result.exit_code == 3, result.output
    assert "leak.txt" in result.output and "leakdir" in result.output and "outside the folder" in result.output
    from assistant.assistant import Assistant
    from assistant.settings import Settings

    corpus = Assistant(Settings(index_dir=tmp_path / "ix"), embedder=embedder).corpus()
    assert [Path(d.source).name for d in corpus.documents.values()] == ["real.txt"]
    assert all("vault" not in c.text for c in corpus.chunks)


# --- web ------------------------------------------------------------------------------------
class Site:
    """One origin: fixed routes (path → (status, headers, body)) and the paths it was asked for."""

    def __init__(self, host: str) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], str]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.hits.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, "not found"))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "text/html; charset=utf-8"))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _loopback_2_works() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site, Site | None]]:
    """The site given (127.0.0.1), another port on the same host, and 127.0.0.2 when it can be bound."""
    home, port_other = Site("127.0.0.1"), Site("127.0.0.1")
    host_other = Site("127.0.0.2") if _loopback_2_works() else None
    for other in filter(None, (port_other, host_other)):
        other.routes["/page.html"] = (200, {}, PAGE.format(t="Elsewhere"))
        other.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, _urlset([other.url("/page.html")]))
    home.routes.update({
        "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nDisallow: /private/\n"),
        "/page.html": (200, {}, PAGE.format(t="Home")),
        "/private/secret.html": (200, {}, PAGE.format(t="Secret")),
        "/to-port.html": (302, {"Location": port_other.url("/page.html")}, ""),
        "/to-page.html": (301, {"Location": "/page.html"}, ""),
        "/to-private.html": (302, {"Location": "/private/secret.html"}, ""),
        "/refresh-metadata.html": (200, {}, '<html><head><meta http-equiv="refresh" '
                                   'content="0; url=http://169.254.169.254/latest/meta-data/"></head></html>'),
        "/refresh-home.html": (200, {}, "<html><head><meta http-equiv='Refresh' content='1;URL=/page.html'>"
                               "</head><body>moved</body></html>"),
        "/index.xml": (200, {"Content-Type": "application/xml"}, _index(
            [home.url("/sitemap.xml"), port_other.url("/sitemap.xml"), "http://169.254.169.254/sitemap.xml",
             *([host_other.url("/sitemap.xml")] if host_other else [])])),
        "/sitemap.xml": (200, {"Content-Type": "application/xml"}, _urlset(
            [home.url("/page.html"), port_other.url("/page.html"), "http://169.254.169.254/latest/"])),
    })
    if host_other is not None:
        home.routes["/to-host.html"] = (307, {"Location": host_other.url("/page.html")}, "")
    yield home, port_other, host_other
    for site in filter(None, (home, port_other, host_other)):
        site.close()


def _urlset(urls: list[str]) -> str:
    body = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'


def _index(urls: list[str]) -> str:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'


def test_redirects_to_another_origin_are_not_followed(sites, tmp_path: Path) -> None:
    home, port_other, host_other = sites
    urls = [home.url("/to-port.html")] + ([home.url("/to-host.html")] if host_other else [])
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        result = fetcher.collect(urls, [])
    assert result.files == {}
    assert all("redirects to another site" in why for _, why in result.failed) and len(result.failed) == len(urls)
    assert port_other.hits == [] and (host_other is None or host_other.hits == [])


def test_redirects_and_refreshes_within_the_origin_are_followed(sites, tmp_path: Path) -> None:
    home, _, _ = sites
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        result = fetcher.collect([home.url("/to-page.html"), home.url("/refresh-home.html")], [])
    assert result.failed == []
    for path in result.files:
        assert "Home is a page" in path.read_text()


def test_robots_txt_is_checked_at_every_hop(sites, tmp_path: Path) -> None:
    home, _, _ = sites
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        result = fetcher.collect([home.url("/to-private.html")], [])
    assert result.files == {} and "robots.txt does not allow" in result.failed[0][1]
    assert "/private/secret.html" not in home.hits


def test_meta_refresh_to_the_metadata_address_is_not_followed(sites, tmp_path: Path, monkeypatch) -> None:
    home, _, _ = sites
    asked: list[str] = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: asked.append(host) or real(host, *a, **k))
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        result = fetcher.collect([home.url("/refresh-metadata.html")], [])
    assert result.files == {} and "another site" in result.failed[0][1]
    assert "169.254.169.254" not in asked  # never even resolved, let alone requested


def test_sitemap_index_and_sitemaps_stay_on_the_origin(sites, tmp_path: Path) -> None:
    home, port_other, host_other = sites
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        urls = fetcher.sitemap_urls(home.url("/index.xml"))
        result = fetcher.collect([], [home.url("/index.xml")])
    assert urls == [home.url("/page.html")]
    assert list(result.files.values()) == [home.url("/page.html")]
    assert port_other.hits == [] and (host_other is None or host_other.hits == [])


def test_hosts_resolving_to_link_local_or_private_addresses_are_refused(tmp_path: Path, monkeypatch) -> None:
    addresses = {"metadata.test": "169.254.169.254", "intranet.test": "10.1.2.3", "public.test": "93.184.215.14",
                 "local.test": "127.0.0.1"}

    def fake(host: str, port: object, *args: object, **kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with Fetcher(tmp_path / "cache", FAST) as fetcher:
        for url, kind in [("http://metadata.test/", "link-local"), ("http://local.test/x", "loopback")]:
            with pytest.raises(Exception, match=kind):
                fetcher._check_address(url, "http://public.test/")
        with pytest.raises(Exception, match="private"):
            fetcher._check_address("http://intranet.test/", "http://public.test/")
        with pytest.raises(Exception, match="link-local"):  # even when the URL given is link-local
            fetcher._check_address("http://metadata.test/", "http://metadata.test/")
        fetcher._check_address("http://local.test/a", "http://local.test/")  # a loopback start URL may
        fetcher._check_address("http://intranet.test/a", "http://intranet.test/")  # an intranet start URL may
        result = fetcher.collect(["http://metadata.test/latest/meta-data/"], [])
    assert result.files == {} and "link-local address" in result.failed[0][1]
