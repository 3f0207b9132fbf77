"""Small conversions shared by the report builders: numpy/pandas values to plain JSON-ready Python, safe URLs."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

__all__ = ["STARS", "iso", "num", "safe_url", "stars"]

STARS = 4.0
"""A 0..1 normalised rating times 4, plus 1, is stars on a 1-5 scale."""


def num(value: Any, digits: int = 4) -> float | None:
    """A finite float rounded to ``digits``, or None for NaN, NA, None and infinities."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return round(out, digits) if math.isfinite(out) else None


def stars(normalised: Any) -> float | None:
    """A 0..1 normalised rating in stars on 1..5."""
    value = num(normalised, 6)
    return None if value is None else round(1 + STARS * value, 2)


def iso(value: Any) -> str | None:
    """A timestamp as ISO 8601 UTC (``2026-09-07T00:00:00Z``), None when missing."""
    import pandas as pd

    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None (never link javascript:, data: ...)."""
    if not isinstance(value, str) or not value or any(c in value for c in "\x00\r\n\t"):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None
