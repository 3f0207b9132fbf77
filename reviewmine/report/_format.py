"""How numbers and dates read in the HTML and Markdown reports (the JSON keeps the raw values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Kpi, TrendBucket

__all__ = [
    "change_class", "day", "day_before", "fmt_change", "fmt_kpi", "net", "other_languages_text", "pct",
    "period_text", "signed", "stars_signed", "stars_text", "trend_text",
]  # fmt: skip

_DASH = "–"


def pct(share: float | None, digits: int = 0) -> str:
    return _DASH if share is None else f"{share * 100:.{digits}f}%"


def signed(value: float | None, unit: str = "") -> str:
    """+12 / −3 with a real minus sign."""
    if value is None:
        return _DASH
    text = f"{value:+.0f}" if abs(value) >= 0.5 or value == 0 else f"{value:+.1f}"
    return text.replace("-", "−") + unit


def stars_text(value: float | None) -> str:
    return _DASH if value is None else f"{value:.1f}★"


def day(iso: str | None, with_year: bool = True) -> str:
    if not iso:
        return _DASH
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when.strftime("%-d %b %Y" if with_year else "%-d %b")


def day_before(iso: str | None) -> str:
    """The last day of a period given its exclusive end."""
    from datetime import timedelta

    if not iso:
        return _DASH
    return day((datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(days=1)).isoformat())


def period_text(period: dict[str, Any]) -> str:
    """``3 Aug – 31 Oct 2026 (90 days)``: the end is exclusive, so the last day shown is the day before."""
    from datetime import timedelta

    start = datetime.fromisoformat(str(period["start"]).replace("Z", "+00:00"))
    last = datetime.fromisoformat(str(period["end"]).replace("Z", "+00:00")) - timedelta(seconds=1)
    first = start.strftime("%-d %b" if start.year == last.year else "%-d %b %Y")
    return f"{first} – {last.strftime('%-d %b %Y')} ({period['days']} days)"


def net(value: float | None) -> str:
    """Net sentiment on -1..1 shown on -100..+100."""
    return signed(None if value is None else value * 100)


def stars_signed(value: float | None) -> str:
    return _DASH if value is None else f"{value:+.1f}★".replace("-", "−")


def fmt_kpi(kpi: Kpi, value: float | str | None = "value") -> str:
    """The KPI's value (or another number in its unit, e.g. an interval bound) as it reads on the page."""
    number = kpi.value if value == "value" else value
    assert not isinstance(number, str)
    if kpi.unit == "count":
        return _DASH if number is None else f"{number:,.0f}"
    if kpi.unit == "stars":
        return stars_text(number)
    if kpi.unit == "net":
        return net(number)
    return pct(number)


def fmt_change(kpi: Kpi, short: bool = False) -> str:
    """The change on the period before, in the KPI's own terms; on too small a base (the KPI's ``change_note``)
    both values instead: ``731 vs 4 in the period before``. ``short`` leaves out "(in the) period before"."""
    if kpi.change is None or (kpi.unit == "count" and not kpi.previous):
        return "no earlier data"
    if kpi.change_note is not None:
        if kpi.unit == "count":
            return f"{fmt_kpi(kpi)} vs {fmt_kpi(kpi, kpi.previous)}" + ("" if short else " in the period before")
        base = kpi.previous_reviews
        reviews = f"{base} review{'' if base == 1 else 's'}"
        return f"was {fmt_kpi(kpi, kpi.previous)} " + (f"({reviews})" if short else f"in the period before ({reviews})")
    after = "" if short else " vs period before"
    if kpi.unit == "count":
        percent = kpi.change_pct if kpi.change_pct is not None else 100 * kpi.change / kpi.previous
        return f"{signed(percent)}%{after}"
    if kpi.unit == "stars":
        return f"{stars_signed(kpi.change)}{after}"
    return f"{signed(kpi.change * 100)} pts{after}"


def change_class(kpi: Kpi) -> str:
    """``good``, ``bad`` or ``flat``: whether the change is good news for the brand (``flat`` on a small base)."""
    if kpi.change is None or kpi.good_when == "neither" or kpi.change_note is not None:
        return "flat"
    threshold = {"stars": 0.05, "count": 0.0}.get(kpi.unit, 0.005)
    if abs(kpi.change) <= threshold:
        return "flat"
    return "good" if (kpi.change > 0) == (kpi.good_when == "up") else "bad"


def trend_text(bucket: TrendBucket) -> str:
    """Why the trend charts have one point per week, month or quarter, in a sentence."""
    average = f"{bucket.reviews_per_bucket:,.0f}" if bucket.reviews_per_bucket >= 1 else "under 1"
    text = f"One point per {bucket.unit}, about {average} reviews each"
    if bucket.reviews_per_bucket < bucket.aim:
        return f"{text}: fewer than the {bucket.aim} a point should hold, so read the bands more than the line."
    if bucket.unit != "week":
        return f"{text}: weekly points would hold fewer than {bucket.aim} and mostly show noise."
    return f"{text}."


def other_languages_text(counts: dict[str, int]) -> str:
    """``Reviews in other languages, not in these figures: fr 20, no 1.`` (what the figures leave out)."""
    listed = ", ".join(f"{code} {count:,}" for code, count in counts.items())
    return f"Reviews in other languages, not in these figures: {listed}."
