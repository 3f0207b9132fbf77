"""Report sections built from the aggregator's tables: risk and its events, drivers, quotes.

Each function takes DataFrames from `reviewmine.analysis` and returns report-model dataclasses holding plain
Python values; quotes carry only http(s) links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..taxonomy import CATEGORY_NAMES
from ._values import iso, num, safe_url, stars
from .levels import risk_level
from .model import DriverItem, Drivers, Event, Quote, Risk

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ReviewInfo", "category_name", "driver_label", "drivers_section", "risk_section"]

_QUOTE_CHARS = 240
_SEVERITY = ("anger_disgust_share", "warn_churn_share", "low_star_share", "unanswered_negative_share")


def category_name(category: str) -> str:
    return "All reviews" if category == "all" else CATEGORY_NAMES.get(category, category)


def driver_label(category: str, sign: str) -> str:
    """``Complaints about Price & perceived value`` / ``Praise for People``."""
    name = CATEGORY_NAMES.get(category, category)
    return f"Praise for {name}" if sign == "positive" else f"Complaints about {name}"


class ReviewInfo:
    """Per review key: URL, source, publication time and stars, for quoting."""

    def __init__(self, sentences: pd.DataFrame, reviews: pd.DataFrame | None) -> None:
        frame = sentences.drop_duplicates("review_key")[["review_key", "source", "published_at", "rating_normalised"]]
        frame = frame.assign(url=None).set_index("review_key")
        if reviews is not None and len(reviews):
            cols = [c for c in ("review_key", "source", "published_at", "rating_normalised", "url") if c in reviews]
            extra = reviews[cols].drop_duplicates("review_key").set_index("review_key")
            frame = extra.combine_first(frame)
        self._rows: dict[str, dict[str, Any]] = frame.to_dict("index")

    def quote(self, review_key: str, text: Any, why: str) -> Quote:
        row = self._rows.get(str(review_key), {})
        body = "" if text is None or text != text else " ".join(str(text).split())
        if len(body) > _QUOTE_CHARS:
            body = body[: _QUOTE_CHARS - 1].rstrip() + "…"
        source = row.get("source")
        return Quote(
            text=body,
            review_key=str(review_key),
            url=safe_url(row.get("url")),
            source=None if source is None or source != source else str(source),
            published_at=iso(row.get("published_at")),
            stars=stars(row.get("rating_normalised")),
            why=why,
        )


# -- risk -----------------------------------------------------------------------------------------------------


def risk_section(
    scores: pd.DataFrame,
    events: pd.DataFrame,
    brand: str,
    start: Any,
    end: Any,
    info: ReviewInfo,
    top: int,
    weights: dict[str, float],
) -> Risk:
    """The brand's current scores and the strongest event per category and week inside [start, end)."""
    rows = scores[scores["brand"].astype(str) == brand]
    overall = rows[rows["category"].astype(str) == "all"]
    row = overall.iloc[0] if len(overall) else None
    score = num(row["score"], 1) if row is not None else None
    categories = [
        {
            "category": str(r["category"]), "name": category_name(str(r["category"])),
            "score": num(r["score"], 1), "level": risk_level(num(r["score"])).name,
            "enough_data": bool(r["enough_data"]), "reviews": int(r["reviews"]),
            "negative_share": num(r["negative_share"]), "baseline_negative_share": num(r["baseline_negative_share"]),
            "shift": num(r["shift"]), "volume_ratio": num(r["volume_ratio"]),
        }
        for _, r in rows.iterrows()
    ]  # fmt: skip
    mine = events[(events["brand"].astype(str) == brand)] if len(events) else events
    if len(mine):
        week = mine["period_start"]
        mine = mine[(week + _days(7) > start) & (week < end)]
    grouped = _event_groups(mine)
    return Risk(
        score=score,
        level=risk_level(score).name,
        enough_data=bool(row["enough_data"]) if row is not None else False,
        window_start=iso(row["window_start"]) if row is not None else None,
        window_end=iso(row["window_end"]) if row is not None else None,
        components={k: num(row[f"c_{k}"]) if row is not None else None for k in weights},
        points={k: num(100 * w * row[f"c_{k}"], 1) if row is not None else None for k, w in weights.items()},
        severity={k: num(row[k]) if row is not None else None for k in _SEVERITY}
        | {
            k: num(row[k]) if row is not None else None
            for k in ("reviews", "negative_share", "baseline_negative_share", "previous_negative_share", "volume_ratio")
        },
        categories=categories,
        events=[_event(group, info) for group in grouped[:top]],
        episodes_total=len(grouped),
        events_total=len(mine),
    )


def _days(n: int) -> Any:
    import pandas as pd

    return pd.Timedelta(days=n)


def _event_groups(events: pd.DataFrame) -> list[pd.DataFrame]:
    """Events split into episodes: per category, runs of weeks at most one quiet week apart. Ordered by their
    strongest evidence, with "all" episodes that overlap a category's episode (which explains them) last."""
    if events.empty:
        return []
    episodes: list[pd.DataFrame] = []
    for _, rows in events.groupby(events["category"].astype(str), sort=False):
        rows = rows.sort_values("period_start")
        weeks = rows["period_start"]
        new_run = (weeks - weeks.shift()).dt.days.fillna(0) > 14
        episodes += [part.sort_values(["q_value", "p_value"]) for _, part in rows.groupby(new_run.cumsum().to_numpy())]
    spans = [(str(e["category"].iloc[0]), e["period_start"].min(), e["period_end"].max()) for e in episodes]

    def overlaps_category(i: int) -> bool:
        category, lo, hi = spans[i]
        return category == "all" and any(c != "all" and lo < end and begin < hi for c, begin, end in spans)

    order = sorted(range(len(episodes)), key=lambda i: (overlaps_category(i), float(episodes[i]["q_value"].min())))
    return [episodes[i] for i in order]


def _describe(r: pd.Series) -> str:
    name, kind = category_name(str(r["category"])), str(r["kind"])
    overall = str(r["category"]) == "all"
    if kind == "negative_share":
        what = "of reviews were negative" if overall else f"of reviews mentioning {name} complained about it"
        return f"{r['value']:.0%} {what}, against {r['baseline']:.0%} usually"
    if kind == "negative_volume":
        what = "negative reviews" if overall else f"reviews complaining about {name}"
        return f"{r['value']:.0f} {what}, {r['size']:.1f} times the usual {r['baseline']:.1f}"
    what = "reviews" if overall else f"reviews mentioning {name}"
    return f"{r['value']:.0f} {what}, {r['size']:.1f} times the usual {r['baseline']:.0f}"


def _event(episode: pd.DataFrame, info: ReviewInfo) -> Event:
    """One episode (rows sorted by q-value): described by its strongest week, quoted from its worst weeks."""
    peak = episode.iloc[0]
    in_peak = episode[episode["period_start"] == peak["period_start"]]
    parts = [_describe(r) for _, r in in_peak.iterrows()][:2]
    quotes: list[Quote] = []
    seen: set[str] = set()
    for examples in episode["examples"]:
        for ex in examples or []:
            if ex.get("review_key") not in seen and ex.get("text") and ex.get("why") != "typical":
                seen.add(ex["review_key"])
                quotes.append(info.quote(ex["review_key"], ex["text"], str(ex.get("why") or "")))
    return Event(
        category=str(peak["category"]),
        category_name=category_name(str(peak["category"])),
        start=iso(episode["period_start"].min()) or "",
        end=iso(episode["period_end"].max()) or "",
        weeks=int(episode["period_start"].nunique()),
        alerts=len(episode),
        peak_week=iso(peak["period_start"]) or "",
        kind=str(peak["kind"]),
        description="; ".join(parts),
        size=num(peak["size"]),
        unit=str(peak["unit"]),
        value=num(peak["value"]),
        baseline=num(peak["baseline"]),
        reviews=int(peak["reviews"]),
        q_value=num(peak["q_value"], 8),
        quotes=quotes[:3],
    )


# -- drivers --------------------------------------------------------------------------------------------------


def drivers_section(
    features: pd.DataFrame, models: pd.DataFrame, quadrant: pd.DataFrame, brand: str, sentences: pd.DataFrame,
    info: ReviewInfo, quotes_for: int = 3,
) -> Drivers:  # fmt: skip
    """The brand's rating drivers, most important first, with quotes for the top ``quotes_for`` features."""
    mine = features[(features["brand"].astype(str) == brand) & (features["target"] == "rating")]
    model = models[(models["brand"].astype(str) == brand) & (models["target"] == "rating")]
    m = model.iloc[0] if len(model) else None
    mine = mine.assign(_ok=mine["status"] == "ok").sort_values(["_ok", "importance_share"], ascending=[False, False])
    items = []
    for rank, (_, r) in enumerate(mine.iterrows()):
        category, sign = str(r["category"]), str(r["sign"])
        quotes = _driver_quotes(sentences, brand, category, sign, info) if rank < quotes_for and r["_ok"] else []
        items.append(DriverItem(
            feature=str(r["feature"]), category=category, sign=sign, label=driver_label(category, sign),
            status=str(r["status"]), mentions=int(r["mentions"]), importance_share=num(r["importance_share"]),
            importance=num(r["importance"]), importance_low=num(r["importance_low"]),
            importance_high=num(r["importance_high"]), impact_stars=num(r["coef_stars"], 3),
            impact_low=num(r["coef_stars_low"], 3), impact_high=num(r["coef_stars_high"], 3),
            with_without_stars=num(r["impact_stars"], 3), quotes=quotes,
        ))  # fmt: skip
    rows = quadrant[(quadrant["brand"].astype(str) == brand) & (quadrant["target"] == "rating")]
    quad = [
        {"category": str(r["category"]), "name": category_name(str(r["category"])),
         "importance": num(r["importance"]), "performance": num(r["performance"]),
         "positive_mentions": int(r["positive_mentions"]), "negative_mentions": int(r["negative_mentions"]),
         "quadrant": str(r["quadrant"])}
        for _, r in rows.iterrows()
    ]  # fmt: skip
    return Drivers(
        target="rating",
        status=str(m["status"]) if m is not None else "no data",
        reviews=int(m["reviews"]) if m is not None else 0,
        r2=num(m["r2"]) if m is not None else None,
        r2_low=num(m["r2_low"]) if m is not None else None,
        r2_high=num(m["r2_high"]) if m is not None else None,
        items=items,
        quadrant=quad,
    )


def _driver_quotes(
    sentences: pd.DataFrame, brand: str, category: str, sign: str, info: ReviewInfo, k: int = 2
) -> list[Quote]:
    """The ``k`` clearest sentences (extreme score, distinct reviews) of the brand's mentions with that sign."""
    from ..columns import catpol_col

    rows = sentences[(sentences["brand"].astype(str) == brand) & (sentences[catpol_col(category)] == sign)]
    if rows.empty:
        return []
    score = rows["score"].astype(float).to_numpy()
    order = np.argsort(-score if sign == "positive" else score, kind="stable")
    picked = rows.iloc[order].drop_duplicates("review_key").head(k)
    why = "strongest praise" if sign == "positive" else "strongest complaint"
    return [info.quote(key, text, why) for key, text in zip(picked["review_key"], picked["text"], strict=True)]
