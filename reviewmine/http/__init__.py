"""The polite HTTP layer every collector goes through: robots.txt, per-host pacing, retries, limits, a dev cache.

from reviewmine.http import HttpClient, HttpSettings
with HttpClient(HttpSettings(min_delay=2.0)) as http:
    response = http.fetch(collector.request_for(cursor), min_delay=collector.min_delay)

Names load on first use, so a collector importing ``reviewmine.http.messages`` (Request, Response) to parse saved
pages does not pay for httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import HttpClient
    from .errors import BlockedError, DisallowedError, FetchError, HttpStatusError, RedirectError, TooLargeError
    from .messages import Request, Response
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
    "Request",
    "Response",
    "TooLargeError",
    "validate_url",
]

_HOMES = {
    "HttpClient": "client",
    **dict.fromkeys(
        ("BlockedError", "DisallowedError", "FetchError", "HttpStatusError", "RedirectError", "TooLargeError"),
        "errors",
    ),
    "Request": "messages",
    "Response": "messages",
    **dict.fromkeys(("DEFAULT_MIN_DELAY", "PROJECT_URL", "HttpSettings"), "settings"),
    "validate_url": "urls",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reviewmine.http' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
