"""The polite HTTP layer every collector goes through: robots.txt, per-host pacing, retries, limits, a dev cache.

from reviewmine.http import HttpClient, HttpSettings
with HttpClient(HttpSettings(min_delay=2.0)) as http:
    response = http.fetch(collector.request_for(cursor), min_delay=collector.min_delay)
"""

from __future__ import annotations

from .client import HttpClient
from .errors import BlockedError, DisallowedError, FetchError, HttpStatusError, RedirectError, TooLargeError
from .settings import DEFAULT_MIN_DELAY, PROJECT_URL, HttpSettings
from .urls import validate_url

__all__ = [
    "DEFAULT_MIN_DELAY",
    "PROJECT_URL",
    "BlockedError",
    "DisallowedError",
    "FetchError",
    "HttpClient",
    "HttpSettings",
    "HttpStatusError",
    "RedirectError",
    "TooLargeError",
    "validate_url",
]
