"""robots.txt, fetched once per origin and kept for the life of the client (one run).

Follows Google's reading of RFC 9309: a missing robots.txt (404 or another 4xx) allows everything; a 5xx or
429 answer, or no answer at all, disallows the whole site for this run, because the site may be struggling.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx
from protego import Protego

from .errors import DisallowedError
from .urls import origin

__all__ = ["RobotsCache", "RobotsRules"]

MAX_ROBOTS_BYTES = 512_000  # Google reads the first 500 KiB and ignores the rest


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says; ``unavailable`` set means disallow-all, with the reason."""

    origin: str
    parser: Protego | None = None  # None: no robots.txt, everything allowed
    unavailable: str | None = None

    def allows(self, url: str, agent: str) -> bool:
        if self.unavailable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        return self.parser.crawl_delay(agent) if self.parser is not None else None


class RobotsCache:
    """Reads and remembers robots.txt per origin. Call `rules` while holding the host's pacing slot."""

    def __init__(self, client: httpx.Client, agent: str) -> None:
        self._client = client
        self.agent = agent
        self._rules: dict[str, RobotsRules] = {}
        self._guard = threading.Lock()

    def cached(self, url: str) -> RobotsRules | None:
        with self._guard:
            return self._rules.get(origin(url))

    def rules(self, url: str) -> RobotsRules:
        key = origin(url)
        with self._guard:
            found = self._rules.get(key)
        if found is None:
            found = self._fetch(key)
            with self._guard:
                self._rules[key] = found
        return found

    def check(self, url: str) -> RobotsRules:
        """Raise DisallowedError unless robots.txt allows ``url``; return the origin's rules."""
        rules = self.rules(url)
        if rules.allows(url, self.agent):
            return rules
        host = httpx.URL(url).host
        if rules.unavailable is not None:
            message = (
                f"not requested: robots.txt of {host} could not be read ({rules.unavailable}), so the site is "
                "treated as disallowed for this run, as Google does; try again later"
            )
        else:
            message = f"disallowed by robots.txt of {host} (user agent {self.agent!r}); not requested"
        raise DisallowedError(message, url=url)

    def _fetch(self, key: str) -> RobotsRules:
        url = f"{key}/robots.txt"
        try:
            with self._client.stream("GET", url, follow_redirects=True) as response:
                status = response.status_code
                body = _read_capped(response) if 200 <= status < 300 else b""
        except httpx.TooManyRedirects:
            return RobotsRules(key)  # Google: no robots.txt within a few hops counts as none
        except httpx.HTTPError as exc:
            return RobotsRules(key, unavailable=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        if status == 429 or status >= 500:
            return RobotsRules(key, unavailable=f"HTTP {status}")
        if not 200 <= status < 300:
            return RobotsRules(key)
        return RobotsRules(key, parser=Protego.parse(body.decode("utf-8", errors="replace")))


def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ROBOTS_BYTES:
            break
    return b"".join(chunks)[:MAX_ROBOTS_BYTES]
