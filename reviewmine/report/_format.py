"""How numbers and dates read in the HTML and Markdown reports (the JSON keeps the raw values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Kpi

__all__ = [
    "change_class", "day", "day_before", "fmt_change", "fmt_kpi", "net", "pct", "period_text", "signed",
    "stars_signed", "stars_text",
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


def fmt_change(kpi: Kpi) -> str:
    """The change on the period before, in the KPI's own terms."""
    if kpi.change is None:
        return "no earlier data"
    if kpi.unit == "count":
        if not kpi.previous:
            return "no earlier data"
        return f"{signed(100 * kpi.change / kpi.previous)}% vs period before"
    if kpi.unit == "stars":
        return f"{stars_signed(kpi.change)} vs period before"
    return f"{signed(kpi.change * 100)} pts vs period before"


def change_class(kpi: Kpi) -> str:
    """``good``, ``bad`` or ``flat``: whether the change is good news for the brand."""
    if kpi.change is None or kpi.good_when == "neither":
        return "flat"
    threshold = {"stars": 0.05, "count": 0.0}.get(kpi.unit, 0.005)
    if abs(kpi.change) <= threshold:
        return "flat"
    return "good" if (kpi.change > 0) == (kpi.good_when == "up") else "bad"
