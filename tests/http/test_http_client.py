"""The HTTP layer against a real server on loopback: retries, timeouts, limits, redirects and blocks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from loopback import FAST, LoopbackServer, Reply, serve

from reviewmine import __version__
from reviewmine.errors import InputError
from reviewmine.http import (
    BlockedError,
    FetchError,
    HttpClient,
    HttpSettings,
    HttpStatusError,
    RedirectError,
    TooLargeError,
)
from reviewmine.http.messages import Request
from reviewmine.http.policy import blocked_reason, parse_retry_after


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def _get(settings: HttpSettings, url: str) -> bytes:
    with HttpClient(settings) as http:
        return http.fetch(Request(url)).content


def test_honest_user_agent_and_decompression(server: LoopbackServer) -> None:
    server.route("/page", Reply("héllo " * 100, gzip=True))
    settings = replace(FAST, contact="mailto:ops@example.org")
    with HttpClient(settings) as http:
        response = http.fetch(Request(server.url("/page"), headers={"User-Agent": "Mozilla/5.0"}))
    assert response.text == "héllo " * 100 and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    agent = server.requested("/page")[0].headers["user-agent"]
    assert agent == f"reviewmine/{__version__} (+mailto:ops@example.org)"


def test_429_with_retry_after_is_honoured(server: LoopbackServer) -> None:
    server.route("/page", Reply("slow down", status=429, headers={"Retry-After": "1"}), Reply("ok"))
    assert _get(FAST, server.url("/page")) == b"ok"
    first, second = server.requested("/page")
    assert second.at - first.at >= 1.0


def test_500_then_success(server: LoopbackServer) -> None:
    server.route("/page", Reply("oops", status=500), Reply("oops", status=502), Reply("ok"))
    assert _get(FAST, server.url("/page")) == b"ok"
    assert len(server.requested("/page")) == 3


def test_persistent_500_gives_up_after_max_attempts(server: LoopbackServer) -> None:
    server.route("/page", Reply("oops", status=503))
    with pytest.raises(FetchError, match=r"gave up after 3 attempts: HTTP 503"):
        _get(replace(FAST, max_retries=2), server.url("/page"))
    assert len(server.requested("/page")) == 3


def test_retry_after_beyond_the_cap_gives_up_at_once(server: LoopbackServer) -> None:
    server.route("/page", Reply(status=429, headers={"Retry-After": "3600"}), Reply("ok"))
    with pytest.raises(FetchError, match=r"asks to wait 3600 s \(Retry-After\)"):
        _get(FAST, server.url("/page"))
    assert len(server.requested("/page")) == 1


def test_hanging_response_times_out_is_retried_then_fails_clearly(server: LoopbackServer) -> None:
    server.route("/slow", Reply("late", delay=1.5))
    settings = replace(FAST, read_timeout=0.2, max_retries=2)
    with pytest.raises(FetchError, match=r"gave up after 3 attempts: timed out .*read timeout 0.2 s"):
        _get(settings, server.url("/slow"))
    assert len(server.requested("/slow")) == 3


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_server_trickling_bytes_hits_the_deadline_and_is_retried(server: LoopbackServer, headers_too: bool) -> None:
    """One byte every 0.1 s never trips the 0.5 s read timeout; the 0.6 s deadline ends each attempt."""
    server.route("/drip", Reply("x" * 60, trickle=0.1, trickle_headers=headers_too))
    settings = replace(FAST, read_timeout=0.5, deadline=0.6, max_retries=1)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"gave up after 2 attempts: no complete answer within the 0.6 s deadline"):
        _get(settings, server.url("/drip"))
    assert len(server.requested("/drip")) == 2 and time.monotonic() - started < 5


def test_redirects_are_followed_and_a_loop_is_an_error(server: LoopbackServer) -> None:
    server.route("/old", Reply(status=301, headers={"Location": "/new"}))
    server.route("/new", Reply("moved here"))
    with HttpClient(FAST) as http:
        response = http.fetch(Request(server.url("/old")))
    assert response.content == b"moved here" and response.url == server.url("/new")

    server.route("/a", Reply(status=302, headers={"Location": "/b"}))
    server.route("/b", Reply(status=302, headers={"Location": "/a"}))
    with pytest.raises(RedirectError, match=r"redirect loop: .*/a -> .*/b -> .*/a"):
        _get(FAST, server.url("/a"))


def test_too_many_redirects_and_non_http_redirects(server: LoopbackServer) -> None:
    for n in range(5):
        server.route(f"/r{n}", Reply(status=307, headers={"Location": f"/r{n + 1}"}))
    with pytest.raises(RedirectError, match=r"too many redirects \(more than 3\)"):
        _get(replace(FAST, max_redirects=3), server.url("/r0"))
    server.route("/ftp", Reply(status=302, headers={"Location": "ftp://example.org/file"}))
    with pytest.raises(RedirectError, match="not an http"):
        _get(FAST, server.url("/ftp"))


def test_oversized_bodies_are_refused(server: LoopbackServer) -> None:
    settings = replace(FAST, max_bytes=1000)
    server.route("/declared", Reply(b"x" * 5000))
    with pytest.raises(TooLargeError, match="Content-Length 5,000 bytes is over the 1,000 byte limit"):
        _get(settings, server.url("/declared"))
    server.route("/streamed", Reply(b"x" * 5000, chunked=True))
    with pytest.raises(TooLargeError, match="stopped reading past the 1,000 byte limit"):
        _get(settings, server.url("/streamed"))
    server.route("/bomb", Reply(b"\0" * 200_000, gzip=True))  # 200 kB that travels as a few hundred bytes
    with pytest.raises(TooLargeError, match="stopped reading"):
        _get(settings, server.url("/bomb"))
    server.route("/small", Reply(b"x" * 1000))
    assert len(_get(settings, server.url("/small"))) == 1000


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "http:///nohost", "reviews.html"]
)
def test_non_http_urls_are_refused(url: str) -> None:
    with HttpClient(FAST) as http, pytest.raises(InputError, match="http"):
        http.fetch(Request(url))


def test_403_is_blocked_and_not_retried(server: LoopbackServer) -> None:
    server.route("/page", Reply("Forbidden", status=403))
    with pytest.raises(BlockedError, match=r"blocked by the site \(HTTP 403\)"):
        _get(FAST, server.url("/page"))
    assert len(server.requested("/page")) == 1


def test_bot_challenge_is_blocked_even_on_a_retryable_status(server: LoopbackServer) -> None:
    challenge = "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    server.route("/page", Reply(challenge, status=503))
    with pytest.raises(BlockedError, match="Cloudflare challenge"):
        _get(FAST, server.url("/page"))
    assert len(server.requested("/page")) == 1


def test_block_detection_does_not_flag_reviews_that_mention_captchas() -> None:
    page = b"<html><title>Acme reviews</title><p>The captcha at checkout is annoying</p></html>"
    assert blocked_reason(200, {}, page) is None
    assert blocked_reason(403, {}, page) == "HTTP 403, a captcha page"
    assert blocked_reason(200, {"cf-mitigated": "challenge"}, b"").startswith("HTTP 200, a Cloudflare")


def test_404_is_an_error_without_retries(server: LoopbackServer) -> None:
    with pytest.raises(HttpStatusError, match=r"HTTP 404 Not Found .*check the locator") as caught:
        _get(FAST, server.url("/missing"))
    assert caught.value.status == 404 and len(server.requested("/missing")) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    from loopback import serve

    with serve() as gone:
        url = gone.url("/page")
    with pytest.raises(FetchError, match=r"gave up after 2 attempts: connection failed"):
        _get(replace(FAST, max_retries=1, obey_robots=False), url)


def test_post_form_data_is_sent(server: LoopbackServer) -> None:
    server.route("/rpc", Reply('{"ok": true}', content_type="application/json"))
    with HttpClient(FAST) as http:
        response = http.fetch(Request(server.url("/rpc"), method="POST", data={"f.req": "[1, 2]"}))
    assert response.json() == {"ok": True}
    hit = server.requested("/rpc")[0]
    assert hit.method == "POST" and hit.body == b"f.req=%5B1%2C+2%5D"


def test_dev_cache_answers_repeat_requests_from_disk(server: LoopbackServer, tmp_path: Path) -> None:

    server.route("/page", Reply("first"), Reply("second"))
    settings = replace(FAST, cache_dir=tmp_path / "cache")
    assert _get(settings, server.url("/page")) == b"first"
    assert _get(settings, server.url("/page")) == b"first"  # a new client, same folder
    assert len(server.requested("/page")) == 1
    assert _get(FAST, server.url("/page")) == b"second"  # no cache: the network


def test_retry_after_forms() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
