"""Parsing the dates users type (``--since 2025-01-01``, ``--since 90d``) and the dates sources send."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = [
    "EARLIEST_REVIEW_DATE",
    "FUTURE_TOLERANCE",
    "check_review_date",
    "parse_datetime",
    "parse_span",
    "parse_when",
]

_SPAN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")
_SPAN_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}

# A stored review date outside these bounds is a broken value (a wrong epoch unit, a placeholder year), not a
# review: it would move report windows to years like 5138. The first public web reviews date from 1995; a day of
# slack past now covers every time zone and a source's clock running ahead.
EARLIEST_REVIEW_DATE = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)

# Two defaults that differ in year, month and day (both leap years, both 31-day months), so a part dateutil
# had to fill in shows up as a difference instead of silently becoming today's.
_PROBE_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 3, 2))


def parse_span(text: str) -> timedelta:
    """``"90d"``, ``"12w"``, ``"6m"`` (30-day months), ``"1y"`` as a timedelta; ValueError otherwise."""
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span like 90d, 12w, 6m or 1y")
    return timedelta(days=int(match.group(1)) * _SPAN_DAYS[match.group(2)])


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date or timestamp (or anything dateutil reads unambiguously) as an aware UTC datetime.

    Naive values are taken as UTC; compact ``20250301`` is ISO too. A date lacking its year, month or day
    (``2025``, ``March 2025``, ``March 5``) is refused rather than completed with today's. Raises ValueError
    with the offending text.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        if value.isdigit() and len(value) >= 9:  # unix seconds
            try:
                return datetime.fromtimestamp(int(value), UTC)
            except (ValueError, OverflowError, OSError):
                raise ValueError(f"{text!r} is not a unix time") from None
        parsed = _parse_complete_date(text, value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_complete_date(text: str, value: str) -> datetime:
    """dateutil's reading of ``value``, refused when dateutil would have to invent the year, month or day."""
    from dateutil import parser as date_parser

    try:
        first, second = (date_parser.parse(value, default=default) for default in _PROBE_DEFAULTS)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not a date (use ISO 8601, e.g. 2025-03-01 or 2025-03-01T12:00:00Z)") from exc
    missing = [part for part in ("year", "month", "day") if getattr(first, part) != getattr(second, part)]
    if missing:
        raise ValueError(f"date {text!r} has no {'/'.join(missing)}; give a full date such as 2025-03-01")
    return first


def check_review_date(value: datetime, *, now: datetime | None = None) -> datetime:
    """``value`` when it can be a review's date (from 1995 to a day after ``now``); ValueError saying why not."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value < EARLIEST_REVIEW_DATE:
        raise ValueError(f"{value:%Y-%m-%d} is before {EARLIEST_REVIEW_DATE:%Y}, too early for a review")
    now = now or datetime.now(UTC)
    if value > now + FUTURE_TOLERANCE:
        raise ValueError(f"{value:%Y-%m-%d} is more than a day in the future (now is {now:%Y-%m-%d %H:%M} UTC)")
    return value


def parse_when(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A datetime, an ISO date, or a span back from now ("90d") as an aware UTC datetime; None stays None."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    if _SPAN.match(value):
        return (now or datetime.now(UTC)) - parse_span(value)
    return parse_datetime(value)
