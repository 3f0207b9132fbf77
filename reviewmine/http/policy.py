"""What an answer means for the next step: retry (and after how long), give up as blocked, or accept.

Kept free of I/O so the rules read as a table: transient statuses are retried with exponential backoff and
jitter unless the server says how long to wait (Retry-After, seconds or an HTTP date); 401/403 and
bot-protection pages mean "blocked by the site", which no amount of retrying fixes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "backoff_delay", "blocked_reason", "parse_retry_after"]

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_BLOCK_STATUSES = frozenset({401, 403})
_SNIFF_BYTES = 32_768
# Markers that only ever appear on challenge / captcha pages, safe to look for even in a 200 answer.
_CHALLENGE_TITLES = {
    b"<title>just a moment...</title>": "a Cloudflare challenge page",
    b"<title>attention required! | cloudflare</title>": "a Cloudflare block page",
    b"<title>access denied</title>": "an access-denied page",
    b"<title>robot check</title>": "a robot-check page",
    b"<title>are you a robot?</title>": "a robot-check page",
}
# Markers that are telling on an error answer (403/429/503) but could appear on an ordinary page.
_CHALLENGE_MARKERS = {
    b"/cdn-cgi/challenge-platform/": "a Cloudflare challenge page",
    b"captcha-delivery.com": "a DataDome captcha page",
    b"px-captcha": "a PerimeterX captcha page",
    b"g-recaptcha": "a reCAPTCHA page",
    b"h-captcha": "an hCaptcha page",
    b"captcha": "a captcha page",
}


def blocked_reason(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why this answer means the site is blocking us, or None when it does not look like a block."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return f"HTTP {status}, a Cloudflare challenge (cf-mitigated: challenge)"
    head = body[:_SNIFF_BYTES].lower()
    for marker, what in _CHALLENGE_TITLES.items():
        if marker in head:
            return f"HTTP {status}, {what}"
    if status in _BLOCK_STATUSES or status in (429, 503):
        for marker, what in _CHALLENGE_MARKERS.items():
            if marker in head:
                return f"HTTP {status}, {what}"
    if status in _BLOCK_STATUSES:
        return f"HTTP {status}"
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(retry: int, base: float) -> float:
    """Wait before retry ``retry`` (1-based): base * 2**(retry-1) with "equal jitter" (half fixed, half random)."""
    span = base * 2 ** (retry - 1)
    return span / 2 + random.uniform(0, span / 2)
