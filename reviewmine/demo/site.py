"""The demo site: a loopback HTTP server that serves the generated reviews as Trustpilot, the App Store feed and
schema.org product pages do, so `reviewmine collect ... --base-url` runs against it exactly as against the real sites.

    with DemoSite(generate_demo()) as site:
        site.base_url            # http://127.0.0.1:PORT
        site.locators            # {"Crustline": {"trustpilot": ["crustline.example"], ...}, ...}

``site.as_of`` (a UTC datetime, or None for the end of the data) hides reviews, replies and edits from later, so a
second collection after moving it forward sees new and updated reviews. Serve it by hand with
``python -m reviewmine.demo.site`` (prints the URLs; Ctrl-C stops).
"""

from __future__ import annotations

import argparse
import gzip
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .model import Brand, DemoData, DemoReview, Product
from .pages import appstore, render, robots_txt, schemaorg, trustpilot

__all__ = ["DemoSite", "DemoTarget", "main"]

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

_TRUSTPILOT = re.compile(r"^/review/(?P<domain>[^/]+)$")
_APPSTORE = re.compile(
    r"^/(?P<cc>[a-z]{2})/rss/customerreviews/(?:page=(?P<page>\d+)/)?id=(?P<id>\d+)/sortby=mostrecent/(?P<fmt>json|xml)$"
)
_PRODUCT = re.compile(r"^/menu/(?P<brand>[\w-]+)/(?P<product>[\w-]+)$")
_GZIP_MIN = 1024


@dataclass(frozen=True)
class DemoTarget:
    """One thing to collect: a brand on a source, its locator, and the URL of its first page on this site.

    Locators do not depend on the port: schema.org pages are named by their "real" URL
    (``https://www.crustline.example/menu/...``), which the collector maps onto ``--base-url``.
    """

    brand: str
    source: str
    locator: str
    url: str


class DemoSite:
    """The loopback server; a context manager that starts it in a thread and stops it on exit."""

    def __init__(self, data: DemoData | None = None, *, port: int = 0, as_of: datetime | None = None) -> None:
        if data is None:
            from .generate import generate_demo

            data = generate_demo()
        self.data = data
        self.request_log: list[tuple[str, str, int]] = []  # (method, path?query, status)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._visible: dict[tuple[str, str], list[DemoReview]] = {}
        self.as_of = as_of

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def as_of(self) -> datetime | None:
        return self._as_of

    @as_of.setter
    def as_of(self, value: datetime | None) -> None:
        """Show the site as it was at ``value``: reviews published later are not there yet."""
        visible: dict[tuple[str, str], list[DemoReview]] = {}
        for review in reversed(self.data.reviews):  # newest first
            if value is None or review.published_at <= value:
                visible.setdefault((review.brand, review.source), []).append(review)
        self._as_of, self._visible = value, visible

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo site is not running; use it as a context manager or call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def targets(self) -> list[DemoTarget]:
        """Every brand x source locator the site serves, with the URL of its first page."""
        out: list[DemoTarget] = []
        for brand in self.data.brands:
            out.append(
                DemoTarget(
                    brand.name,
                    "trustpilot",
                    brand.domain,
                    f"{self.base_url}/review/{brand.domain}?languages=all&sort=recency",
                )
            )
            if brand.app_id and brand.appstore_locator:
                url = f"{self.base_url}{appstore.feed_path(brand.app_country, brand.app_id, 1)}"
                out.append(DemoTarget(brand.name, "appstore", brand.appstore_locator, url))
            for product in brand.products:
                path = brand.product_path(product)
                out.append(
                    DemoTarget(brand.name, "schemaorg", f"https://www.{brand.domain}{path}", self.base_url + path)
                )
        return out

    @property
    def locators(self) -> dict[str, dict[str, list[str]]]:
        """``{brand: {source: [locator, ...]}}`` for `reviewmine collect SOURCE LOCATOR --brand B --base-url URL`."""
        out: dict[str, dict[str, list[str]]] = {}
        for target in self.targets:
            out.setdefault(target.brand, {}).setdefault(target.source, []).append(target.locator)
        return out

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> DemoSite:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="reviewmine-demo-site", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- routing (pure: no sockets, so it is easy to test and to reuse) ---------------------------------------
    def respond(self, path_and_query: str, base_url: str | None = None) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path_and_query``."""
        base = base_url or self.base_url
        parts = urlsplit(path_and_query)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return 200, TEXT, robots_txt()
        if path == "/":
            return 200, HTML, render("index.html.j2", data=self.data, targets=self.targets)
        if match := _TRUSTPILOT.match(path):
            return self._trustpilot(match["domain"], query, base)
        if match := _APPSTORE.match(path):
            return self._appstore(match["cc"], match["id"], match["page"], match["fmt"], base)
        if match := _PRODUCT.match(path):
            return self._product(match["brand"], match["product"], base)
        return 404, HTML, render("notfound.html.j2", what=path)

    def _brand(self, key: str) -> Brand | None:
        try:
            return self.data.brand(key)
        except KeyError:
            return None

    def _trustpilot(self, domain: str, query: dict[str, list[str]], base: str) -> tuple[int, str, bytes]:
        brand = self._brand(domain)
        raw_page = query.get("page", ["1"])[0]
        if brand is None or brand.domain != domain or not raw_page.isdigit():
            return 404, HTML, render("notfound.html.j2", what=domain)
        wanted = trustpilot.TrustpilotQuery(
            page=int(raw_page),
            all_languages=query.get("languages", [""])[0] == "all",
            sort=query.get("sort", ["recency"])[0],
        )
        reviews = self._visible.get((brand.name, "trustpilot"), [])
        competitors = [self.data.brand(name) for name in self.data.competitors[brand.name]]
        status, body = trustpilot.page(brand, reviews, wanted, base_url=base, competitors=competitors, as_of=self.as_of)
        return status, HTML, body

    def _appstore(self, country: str, app_id: str, page: str | None, fmt: str, base: str) -> tuple[int, str, bytes]:
        brand = next((b for b in self.data.brands if b.app_id == app_id), None)
        if brand is None:
            return 404, TEXT, b"Not Found"
        if fmt != "json":
            return 404, TEXT, b"This demo serves the JSON feed only (.../sortby=mostrecent/json)."
        reviews = self._visible.get((brand.name, "appstore"), []) if country == brand.app_country else []
        status, body = appstore.feed(brand, reviews, int(page) if page else None, base_url=base, now=self.as_of)
        return status, JSON if status == 200 else TEXT, body

    def _product(self, brand_slug: str, product_slug: str, base: str) -> tuple[int, str, bytes]:
        brand = self._brand(brand_slug)
        product: Product | None = None
        if brand is not None and brand.slug == brand_slug:
            product = next((p for p in brand.products if p.slug == product_slug), None)
        if brand is None or product is None:
            return 404, HTML, render("notfound.html.j2", what=f"/menu/{brand_slug}/{product_slug}")
        path = brand.product_path(product)
        reviews = [r for r in self._visible.get((brand.name, "schemaorg"), []) if r.target == path]
        return 200, HTML, schemaorg.page(brand, product, reviews, base_url=base)


def _handler_for(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "reviewmine-demo/1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms between them

        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _serve(self, *, head: bool) -> None:
            host = self.headers.get("Host") or "127.0.0.1"
            status, content_type, body = site.respond(self.path, base_url=f"http://{host}")
            site.request_log.append((self.command, self.path, status))
            gzipped = len(body) >= _GZIP_MIN and "gzip" in self.headers.get("Accept-Encoding", "")
            if gzipped:
                body = gzip.compress(body, compresslevel=5, mtime=0)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept-Encoding")
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the site keeps request_log instead
            return

    return Handler


def main(argv: list[str] | None = None) -> None:
    """``python -m reviewmine.demo.site [--port N] [--seed N]``: serve the demo until Ctrl-C."""
    from .generate import generate_demo

    parser = argparse.ArgumentParser(prog="python -m reviewmine.demo.site", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    args = parser.parse_args(argv)
    data = generate_demo(args.seed)
    with DemoSite(data, port=args.port) as site:
        print(f"reviewmine demo site on {site.base_url} ({len(data.reviews)} reviews, seed {data.seed})")
        for target in site.targets:
            print(f"  {target.brand:<13} {target.source:<10} {target.url}")
        print("Ctrl-C stops.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
