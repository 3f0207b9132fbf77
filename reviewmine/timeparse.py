"""Parsing the dates users type (``--since 2025-01-01``, ``--since 90d``) and the dates sources send."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["parse_datetime", "parse_span", "parse_when"]

_SPAN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")
_SPAN_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_span(text: str) -> timedelta:
    """``"90d"``, ``"12w"``, ``"6m"`` (30-day months), ``"1y"`` as a timedelta; ValueError otherwise."""
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span like 90d, 12w, 6m or 1y")
    return timedelta(days=int(match.group(1)) * _SPAN_DAYS[match.group(2)])


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date or timestamp (or anything dateutil reads unambiguously) as an aware UTC datetime.

    Naive values are taken as UTC. Raises ValueError with the offending text.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        if value.isdigit() and len(value) >= 9:  # unix seconds
            return datetime.fromtimestamp(int(value), UTC)
        from dateutil import parser as date_parser

        try:
            parsed = date_parser.parse(value)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"{text!r} is not a date (use ISO 8601, e.g. 2025-03-01 or 2025-03-01T12:00:00Z)") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_when(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A datetime, an ISO date, or a span back from now ("90d") as an aware UTC datetime; None stays None."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    if _SPAN.match(value):
        return (now or datetime.now(UTC)) - parse_span(value)
    return parse_datetime(value)
