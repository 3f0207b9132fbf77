"""robots.txt over loopback: disallowed URLs are never requested, failures to read it disallow the site."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

import pytest
from loopback import FAST, LoopbackServer, Reply, serve

from reviewmine.http import DisallowedError, HttpClient
from reviewmine.http.messages import Request

ROBOTS = """
User-agent: *
Disallow: /private

User-agent: reviewmine
Disallow: /private
Disallow: /no-reviewmine
Crawl-delay: 0.3
"""


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def test_disallowed_url_is_never_requested(server: LoopbackServer) -> None:
    server.route("/robots.txt", Reply(ROBOTS, content_type="text/plain"))
    server.route("/public", Reply("ok"))
    with HttpClient(FAST) as http:
        assert http.fetch(Request(server.url("/public"))).content == b"ok"
        for path in ("/private/page", "/no-reviewmine"):
            with pytest.raises(DisallowedError, match=r"disallowed by robots.txt of 127.0.0.1"):
                http.fetch(Request(server.url(path)))
        assert http.fetch(Request(server.url("/public"))).content == b"ok"
    assert [hit.route for hit in server.hits] == ["/robots.txt", "/public", "/public"]  # robots.txt read once


def test_crawl_delay_wins_when_larger(server: LoopbackServer) -> None:
    server.route("/robots.txt", Reply(ROBOTS, content_type="text/plain"))
    server.route("/public", Reply("ok"))
    with HttpClient(FAST) as http:
        for _ in range(3):
            http.fetch(Request(server.url("/public")))
        assert http.delay_for(server.url("/public")) == pytest.approx(0.3)
    times = [hit.at for hit in server.requested("/public")]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.3


def test_missing_robots_allows_everything(server: LoopbackServer) -> None:
    server.route("/private", Reply("ok"))  # robots.txt answers 404
    with HttpClient(FAST) as http:
        assert http.fetch(Request(server.url("/private"))).content == b"ok"


def test_robots_5xx_disallows_the_site_for_the_run(server: LoopbackServer) -> None:
    server.route("/robots.txt", Reply("down", status=503))
    server.route("/page", Reply("ok"))
    with HttpClient(FAST) as http, pytest.raises(DisallowedError, match=r"could not be read \(HTTP 503\).*Google"):
        http.fetch(Request(server.url("/page")))
    assert server.requested("/page") == []


def test_unreachable_robots_disallows() -> None:
    with serve() as gone:
        url = gone.url("/page")
    with HttpClient(FAST) as http, pytest.raises(DisallowedError, match=r"could not be read .*ConnectError"):
        http.fetch(Request(url))


def test_ignore_robots_skips_it(server: LoopbackServer) -> None:
    server.route("/robots.txt", Reply("User-agent: *\nDisallow: /\n", content_type="text/plain"))
    server.route("/private", Reply("ok"))
    with HttpClient(replace(FAST, obey_robots=False)) as http:
        assert http.fetch(Request(server.url("/private"))).content == b"ok"
    assert server.requested("/robots.txt") == []
