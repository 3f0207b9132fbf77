"""`HttpClient`: the one way collectors reach the network, polite by default.

Per request: validate the URL (http/https only), answer from the dev cache if one is set, check robots.txt
(fetched once per origin), wait for the host's slot and its minimum delay, send with timeouts, read at most
``max_bytes``, retry transient failures with backoff (honouring Retry-After), and follow redirects one hop at a
time so every hop passes the same checks. Like scrapy's downloader middlewares, but as one small class.

Every attempt also has a deadline (``HttpSettings.deadline``): a server that sends one byte every few seconds
never trips the read timeout, which counts the gap between bytes, so the answer must be complete in time or the
attempt counts as a timeout (retried, then failed).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx

from ..errors import InputError
from .cache import FileCache
from .errors import BlockedError, FetchError, HttpStatusError, RedirectError, TooLargeError
from .messages import Request, Response
from .pacing import HostPacer
from .policy import RETRY_STATUSES, backoff_delay, blocked_reason, parse_retry_after
from .robots import RobotsCache
from .settings import DEFAULT_MIN_DELAY, HttpSettings
from .urls import host_key, validate_url

__all__ = ["HttpClient"]

_RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_DEADLINE_GRACE_S = 1.0  # the worker's own check fires first whenever a byte arrives; this covers header trickles


class DeadlineExceeded(httpx.TimeoutException):
    """No complete answer within the deadline of one attempt."""


@dataclass
class _Answer:
    url: str
    status: int
    reason: str
    headers: dict[str, str]
    content: bytes
    encoding: str | None
    redirect: httpx.Request | None


class HttpClient:
    """Fetches `Request`s politely; thread-safe, so collectors for different hosts can run in parallel.

    ``transport`` is the seam for tests and embedding (any httpx transport); the default is the network.
    """

    def __init__(self, settings: HttpSettings | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings or HttpSettings()
        s = self.settings
        self._client = httpx.Client(
            headers={"User-Agent": s.user_agent},
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=False,
            max_redirects=max(s.max_redirects, 1),
            verify=True,
            transport=transport,
        )
        self._pacer = HostPacer()
        self._robots = RobotsCache(self._client, s.robots_agent)
        self._cache = FileCache(s.cache_dir) if s.cache_dir is not None else None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def delay_for(self, url: str, min_delay: float | None = None) -> float:
        """The gap kept between requests to ``url``'s host: the user's setting, else the source's, else 1 s;
        a larger robots.txt Crawl-delay wins."""
        s = self.settings
        base = s.min_delay if s.min_delay is not None else (min_delay if min_delay is not None else DEFAULT_MIN_DELAY)
        rules = self._robots.cached(url) if s.obey_robots else None
        crawl = rules.crawl_delay(self._robots.agent) if rules is not None else None
        return max(base, crawl or 0.0)

    def fetch(self, request: Request, *, min_delay: float | None = None) -> Response:
        """The final 2xx answer to ``request``; raises a FetchError subclass saying why there is none.

        ``min_delay`` is the source's own pace (``Collector.min_delay``); `HttpSettings.min_delay` overrides it.
        """
        request = replace(request, url=validate_url(request.url), method=request.method.upper())
        if self._cache is not None and (hit := self._cache.get(request)) is not None:
            return hit
        chain = [request.url]
        current = request
        while True:
            answer = self._fetch_hop(current, min_delay)
            if answer.redirect is None:
                break
            current = self._redirect_request(current, answer, chain)
            chain.append(current.url)
        response = Response(answer.url, answer.status, answer.headers, answer.content, answer.encoding)
        if self._cache is not None:
            self._cache.put(request, response)
        return response

    # -- one hop: robots, pacing, retries ---------------------------------------------------------------

    def _fetch_hop(self, request: Request, min_delay: float | None) -> _Answer:
        s = self.settings
        with self._pacer.hold(host_key(request.url)) as slot:
            if s.obey_robots:
                if self._robots.cached(request.url) is None:
                    slot.wait(self.delay_for(request.url, min_delay))
                    try:
                        self._robots.rules(request.url)
                    finally:
                        slot.done()
                self._robots.check(request.url)
            delay = self.delay_for(request.url, min_delay)
            waited = 0.0
            for attempt in range(1, s.max_retries + 2):
                slot.wait(delay)
                answer: _Answer | None = None
                try:
                    answer = self._send(request)
                except _RETRY_ERRORS as exc:
                    problem, retry_after = _describe(exc, s), None
                finally:
                    slot.done()
                if answer is not None:
                    reason = blocked_reason(answer.status, answer.headers, answer.content)
                    if reason is not None:
                        raise BlockedError(
                            f"blocked by the site ({reason}); not retried. The site refuses automated access "
                            "from here: use its official API or export, or try later",
                            url=request.url,
                        )
                    if answer.status not in RETRY_STATUSES:
                        return self._accept(request, answer)
                    problem = f"HTTP {answer.status} {answer.reason}".rstrip()
                    retry_after = parse_retry_after(answer.headers.get("retry-after"))
                if attempt > s.max_retries:
                    raise FetchError(f"gave up after {attempt} attempts: {problem}", url=request.url)
                if retry_after is not None and retry_after > s.max_retry_wait:
                    raise FetchError(
                        f"{problem}: the site asks to wait {retry_after:.0f} s (Retry-After), more than the "
                        f"{s.max_retry_wait:.0f} s allowed per request; try again later",
                        url=request.url,
                    )
                wait = retry_after if retry_after is not None else backoff_delay(attempt, s.backoff)
                if waited + wait > s.max_retry_wait:
                    raise FetchError(
                        f"gave up after {attempt} attempts and {waited:.0f} s of waiting: {problem}", url=request.url
                    )
                time.sleep(wait)  # inside the host's slot: a 429 or 503 slows every request to that host
                waited += wait
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, request: Request) -> _Answer:
        """One attempt, within the deadline: sent from a daemon thread, so that a server trickling its headers
        cannot hold the run (the abandoned thread ends when that server stops or the process exits)."""
        limit = self.settings.deadline
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def attempt() -> None:
            try:
                outcome["answer"] = self._send_now(request, time.monotonic() + limit)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=attempt, name="reviewmine-fetch", daemon=True).start()
        if not done.wait(limit + _DEADLINE_GRACE_S):
            raise DeadlineExceeded(f"no complete answer within {limit:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["answer"]

    def _send_now(self, request: Request, deadline: float) -> _Answer:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "user-agent"}  # we stay honest
        try:
            built = self._client.build_request(request.method, request.url, headers=headers, data=request.data)
            response = self._client.send(built, stream=True)
            try:
                content = b"" if response.next_request is not None else self._read(response, request.url, deadline)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if isinstance(exc, _RETRY_ERRORS) and "CERTIFICATE_VERIFY_FAILED" not in str(exc):
                raise
            raise _fatal(exc, request.url) from None
        return _Answer(
            url=str(response.url),
            status=response.status_code,
            reason=response.reason_phrase,
            headers=dict(response.headers),
            content=content,
            encoding=response.charset_encoding,
            redirect=response.next_request,
        )

    def _read(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(
                f"response too large: Content-Length {int(declared):,} bytes is over the {limit:,} byte limit; "
                "not read",
                url=url,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"response too large: stopped reading past the {limit:,} byte limit", url=url)
            if time.monotonic() > deadline:
                raise DeadlineExceeded(f"no complete answer within {self.settings.deadline:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def _accept(self, request: Request, answer: _Answer) -> _Answer:
        if answer.redirect is not None or 200 <= answer.status < 300:
            return answer
        hint = " (not found: check the locator or --base-url)" if answer.status in (404, 410) else ""
        message = f"HTTP {answer.status} {answer.reason}".rstrip() + hint
        raise HttpStatusError(message, url=request.url, status=answer.status)

    def _redirect_request(self, current: Request, answer: _Answer, chain: list[str]) -> Request:
        assert answer.redirect is not None
        target = str(answer.redirect.url)
        try:
            target = validate_url(target)
        except InputError:
            raise RedirectError(f"redirected to {target!r}, which is not an http(s) URL", url=chain[0]) from None
        if target in chain:
            raise RedirectError("redirect loop: " + " -> ".join([*chain, target]), url=chain[0])
        if len(chain) > self.settings.max_redirects:
            raise RedirectError(f"too many redirects (more than {self.settings.max_redirects})", url=chain[0])
        method = answer.redirect.method
        data = current.data if method == current.method else None
        return Request(url=target, method=method, headers=dict(current.headers), data=data)


def _describe(exc: httpx.HTTPError, settings: HttpSettings) -> str:
    if isinstance(exc, DeadlineExceeded):
        return f"no complete answer within the {settings.deadline:g} s deadline (the server sends too slowly)"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out (after {settings.connect_timeout:g} s)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out waiting for the server (read timeout {settings.read_timeout:g} s)"
    detail = str(exc) or type(exc).__name__
    return f"connection failed ({detail})"


def _fatal(exc: httpx.HTTPError, url: str) -> FetchError:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return FetchError(f"TLS certificate verification failed ({text}); it is never switched off", url=url)
    return FetchError(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, url=url)
