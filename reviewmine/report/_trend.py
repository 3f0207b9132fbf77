"""The trend charts' bucket (week, month or quarter), chosen from the brand's review volume, and their rows.

A weekly point of a brand with two reviews a week swings from +100 to −100 on one review: the line shows noise.
So each point should hold about `TREND_MIN_REVIEWS` reviews on average over the period; the shortest bucket that
does (and fits at least `MIN_BUCKETS` times in the period, or there is no line) is used, else the longest that
fits. docs/report.md and docs/methods.md describe the rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._values import iso, num, stars
from .model import TrendBucket

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUCKETS", "MIN_BUCKETS", "TREND_MIN_REVIEWS", "choose_bucket", "trend_rows"]

TREND_MIN_REVIEWS = 20
"""Reviews one point of a trend chart should hold on average: a share of 20 has a 95% range of about ±20 points."""
MIN_BUCKETS = 2
"""A bucket must fit this many times in the report period."""
BUCKETS: tuple[tuple[str, float], ...] = (("week", 7.0), ("month", 365.25 / 12), ("quarter", 365.25 / 4))


def choose_bucket(reviews: int, days: float) -> TrendBucket:
    """The bucket for a brand with ``reviews`` reviews in a period of ``days`` days (see the module docstring)."""
    fitting = [(unit, length) for unit, length in BUCKETS if length * MIN_BUCKETS <= days] or [BUCKETS[0]]
    unit, length = next(
        ((unit, length) for unit, length in fitting if reviews * length / days >= TREND_MIN_REVIEWS), fitting[-1]
    )
    return TrendBucket(unit, round(length, 2), round(reviews * length / days, 1), TREND_MIN_REVIEWS)


def _quarter_start(when: pd.Series) -> pd.Series:
    import pandas as pd

    when = pd.to_datetime(when, utc=True)
    month = (when.dt.month - 1) // 3 * 3 + 1
    return pd.to_datetime(pd.DataFrame({"year": when.dt.year, "month": month, "day": 1}), utc=True)


def _metrics(sentences: pd.DataFrame, reviews: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    """`analysis.compute_metrics` sentiment per week, month or quarter. A quarter is computed as a month after
    dating every row to its quarter's first day (so the definitions stay the aggregator's), then given its end."""
    import pandas as pd

    from ..analysis import compute_metrics

    if unit != "quarter":
        return compute_metrics(sentences, reviews, freq="W" if unit == "week" else "M").sentiment
    sentences = sentences.assign(published_at=_quarter_start(sentences["published_at"]))
    if reviews is not None:
        reviews = reviews.assign(published_at=_quarter_start(reviews["published_at"]), reply_at=None)
    table = compute_metrics(sentences, reviews, freq="M").sentiment
    return table.assign(period_end=table["period_start"] + pd.DateOffset(months=3))


def trend_rows(
    sentences: pd.DataFrame, reviews: pd.DataFrame | None, brand: str, bucket: TrendBucket, start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """The brand's buckets that overlap [start, end), from its whole history (so edge buckets are complete)."""
    mine = sentences[sentences["brand"].astype(str) == brand]
    theirs = reviews[reviews["brand"].astype(str) == brand] if reviews is not None else None
    table = _metrics(mine, theirs, bucket.unit)
    rows = table[(table["brand"].astype(str) == brand) & (table["period_end"] > start) & (table["period_start"] < end)]
    out = []
    for _, r in rows.iterrows():
        first, last = iso(r["period_start"]), iso(r["period_end"])
        # week_start / week_end: schema 1's names for the bucket's start and end, whatever its length
        out.append({
            "week_start": first, "week_end": last, "category": str(r["category"]), "reviews": int(r["reviews"]),
            "sentences": int(r["sentences"]), "mentions": int(r["mentions"]),
            "net_sentiment": num(r["net_sentiment"]), "net_low": num(r["net_low"]), "net_high": num(r["net_high"]),
            "negative_share": num(r["negative_share"]), "negative_low": num(r["negative_low"]),
            "negative_high": num(r["negative_high"]), "rating_stars": stars(r["rating_mean"]),
            "bucket_start": first, "bucket_end": last,
        })  # fmt: skip
    return out
