"""What the HTTP layer may do: identity, timeouts, limits, pacing, retries, robots and the dev cache."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from ..errors import InputError

__all__ = ["DEFAULT_MIN_DELAY", "PROJECT_URL", "HttpSettings"]

PROJECT_URL = "https://github.com/reviewmine/reviewmine"
DEFAULT_MIN_DELAY = 1.0  # seconds between two requests to one host, unless a source or the user says otherwise
_BAD_CONTACT = re.compile(r"[\x00-\x1f\x7f()]")


@dataclass(frozen=True)
class HttpSettings:
    """Settings shared by every request of one `HttpClient`.

    ``min_delay`` set here overrides the per-source delay (``Collector.min_delay``); left None, the source's
    delay applies (default 1 s). A robots.txt Crawl-delay larger than either always wins.
    """

    contact: str = PROJECT_URL  # shown in the User-Agent so a site owner can reach whoever runs the crawl
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # the longest silence between two bytes
    deadline: float = 120.0  # the longest one attempt may take, from sending to the last byte
    max_bytes: int = 20_000_000  # largest body accepted (after decompression)
    max_redirects: int = 5
    min_delay: float | None = None
    max_retries: int = 4  # retries after the first attempt: at most 5 attempts per request
    backoff: float = 1.0  # first retry waits about this long, doubling each time (with jitter)
    max_retry_wait: float = 60.0  # total waiting for retries of one request; a longer Retry-After gives up
    obey_robots: bool = True
    cache_dir: Path | None = None  # on-disk cache for development re-runs; off by default

    def __post_init__(self) -> None:
        contact = self.contact.strip()
        if not contact or _BAD_CONTACT.search(contact):
            message = f"contact {self.contact!r} must be a URL or e-mail address without brackets"
            raise InputError(message, where="--contact")
        object.__setattr__(self, "contact", contact)
        for name in ("connect_timeout", "read_timeout", "backoff", "max_retry_wait"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must not be negative", where="http settings")
        if self.deadline <= 0:
            raise InputError("deadline must be positive", where="http settings")
        if self.min_delay is not None and self.min_delay < 0:
            raise InputError("the delay must not be negative", where="--delay")
        if self.max_bytes <= 0 or self.max_redirects < 0 or self.max_retries < 0:
            message = "max_bytes must be positive, max_redirects and max_retries not negative"
            raise InputError(message, where="http settings")

    @property
    def user_agent(self) -> str:
        """An honest User-Agent: who we are and how to reach whoever runs the crawl."""
        return f"reviewmine/{__version__} (+{self.contact})"

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt groups are matched against."""
        return "reviewmine"
