"""The headline: the risk level and why, in plain words a marketer reads in seconds.

Reasons come from the score's components (docs/methods.md) in order of weight, then the category that worries
most and the strongest event of the period. Numbers are rounded the way people say them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .levels import risk_level
from .model import Event, Headline, Kpi, Risk

__all__ = ["headline"]

_MAX_REASONS = 4


def _pct(share: float | None) -> str:
    return "?" if share is None else f"{share:.0%}"


def headline(brand: str, risk: Risk, kpis: list[Kpi]) -> Headline:
    level = risk_level(risk.score)
    episode = risk.events[0] if risk.events else None
    ongoing = episode is not None and risk.window_start is not None and episode.end > risk.window_start
    if risk.score is None:
        title = f"{brand}: risk not scored, too few recent reviews"
    else:
        title = f"{brand}: {level.name} reputation risk ({risk.score:.0f}/100)"
        if episode is None:
            title += f", {level.words}"
        elif ongoing:
            title += f": {_what(episode)} up since {_day(episode.start)}"
        else:
            title += f" now; {_what(episode)} rose from {_day(episode.start)} to {_day(episode.end, last=True)}"
    reasons = _event_reason(risk) + _component_reasons(risk) + _category_reason(risk)
    if not reasons:
        reasons.append("Complaints, volume and tone are at their usual levels.")
    rating = next((k for k in kpis if k.key == "rating"), None)
    if (rating and rating.value is not None and rating.change is not None and rating.change_note is None
            and abs(rating.change) >= 0.2):  # fmt: skip  # with a change_note, too few reviews before
        direction = "down" if rating.change < 0 else "up"
        reasons.append(f"The average rating is {direction} {abs(rating.change):.1f} stars on the period before, "
                       f"at {rating.value:.1f}.")  # fmt: skip
    return Headline(level.name, risk.score, level.colour, title, reasons[:_MAX_REASONS])


def _what(event: Event) -> str:
    if event.category == "all":
        return "negative reviews" if event.kind.startswith("negative") else "review volume"
    noun = "complaints" if event.kind.startswith("negative") else "mentions"
    return f"{event.category_name} {noun}"


def _day(iso: str, *, last: bool = False) -> str:
    """A date as people write it; ``last``: the day before (an exclusive end)."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(days=1 if last else 0)
    return when.strftime("%-d %b")


def _component_reasons(risk: Risk) -> list[str]:
    sev, comp = risk.severity, risk.components
    out = []
    reviews = sev.get("reviews")
    if not risk.enough_data:
        out.append(f"Only {reviews or 0:.0f} reviews in the last 4 weeks; at least 20 are needed for a score.")
        return out
    if (comp.get("shift") or 0) > 0:
        out.append(f"Negative reviews rose to {_pct(sev.get('negative_share'))} in the last 4 weeks, from "
                   f"{_pct(sev.get('baseline_negative_share'))} in the 12 weeks before.")  # fmt: skip
    if (comp.get("velocity") or 0) > 0:
        out.append(f"They are still rising: {_pct(sev.get('previous_negative_share'))} in the 4 weeks before that.")
    if (comp.get("volume") or 0) > 0 and sev.get("volume_ratio"):
        out.append(f"Review volume is {sev['volume_ratio']:.1f} times the usual.")
    parts = []
    if sev.get("warn_churn_share"):
        parts.append(f"{_pct(sev['warn_churn_share'])} warn others or say they will leave")
    if sev.get("low_star_share"):
        parts.append(f"{_pct(sev['low_star_share'])} give 1-2 stars")
    if sev.get("anger_disgust_share"):
        parts.append(f"{_pct(sev['anger_disgust_share'])} sound angry or disgusted")
    if parts and (comp.get("severity") or 0) >= 0.15:
        out.append("Of recent reviews, " + ", ".join(parts) + ".")
    unanswered = sev.get("unanswered_negative_share")
    if unanswered is not None and unanswered >= 0.5:
        out.append(f"{_pct(unanswered)} of recent negative reviews got no reply.")
    return out


def _category_reason(risk: Risk) -> list[str]:
    scored = [c for c in risk.categories if c["category"] != "all" and c["score"] is not None]
    if not scored:
        return []
    top = max(scored, key=lambda c: c["score"])
    if top["score"] < 15:
        return []
    return [f"The biggest concern is {top['name']}: {_pct(top['negative_share'])} of reviews mentioning it "
            f"complain (usually {_pct(top['baseline_negative_share'])})."]  # fmt: skip


def _event_reason(risk: Risk) -> list[str]:
    if not risk.events:
        return []
    event = risk.events[0]
    weeks = f"{event.weeks} weeks" if event.weeks > 1 else "1 week"
    return [f"{_what(event).capitalize()} stood out for {weeks}, worst in the week of {_day(event.peak_week)}: "
            f"{event.description}."]  # fmt: skip
