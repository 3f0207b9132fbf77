"""The report's charts: `reviewmine.plots` figures drawn from the report model and written as inline SVG.

SVG keeps text as text (``svg.fonttype: none``, escaped by matplotlib's XML writer), scales with the page and
needs no external file. Element ids (and references to them) are prefixed with the chart's name so several SVGs
share one HTML page, and the output is deterministic (hash salt fixed, no date in the metadata). matplotlib is
imported here only, on first use.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .model import ReportModel

__all__ = ["figure_svg", "report_charts"]

_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')
_IDS = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def figure_svg(fig: Figure, name: str, label: str) -> str:
    """``fig`` as an ``<svg>`` element (no XML prolog) that fills its container's width, with an aria-label."""
    from html import escape

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"reviewmine-{name}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = _SIZE.sub(lambda m: f'<svg{m.group(1)} role="img" aria-label="{escape(label)}" class="chart"', text, 1)
    text = _IDS.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)  # ids unique across the page's charts
    if "<script" in text.lower() or "<foreignobject" in text.lower():  # matplotlib never writes these
        raise ValueError(f"unexpected element in the {name} chart")
    return text


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


def _trend_frame(model: ReportModel) -> pd.DataFrame:
    """The model's trend (one row per bucket and category) in the aggregator's metric columns, as plots.trend
    expects."""
    import pandas as pd

    frame = _frame(model.trend)
    if frame.empty:
        return frame
    return pd.DataFrame({
        "brand": model.brand, "category": frame["category"],
        "period_start": pd.to_datetime(frame["bucket_start"], utc=True),
        "period_end": pd.to_datetime(frame["bucket_end"], utc=True), "reviews": frame["reviews"],
        "net_sentiment": frame["net_sentiment"], "net_low": frame["net_low"], "net_high": frame["net_high"],
        "negative_share": frame["negative_share"], "negative_low": frame["negative_low"],
        "negative_high": frame["negative_high"],
    }).astype({c: float for c in ("net_sentiment", "net_low", "net_high", "negative_share", "negative_low",
                                  "negative_high")})  # fmt: skip


def report_charts(model: ReportModel) -> dict[str, str]:
    """Every chart of the report as SVG, by name: trend, categories, risk, drivers, quadrant, emotions, loyalty."""
    import pandas as pd

    from .. import plots

    charts: dict[str, str] = {}
    trend = _trend_frame(model)

    def add(name: str, fig: Figure, label: str) -> None:
        charts[name] = figure_svg(fig, name, label)

    if not trend.empty:
        unit = model.trend_bucket.unit
        add("trend", plots.trend(trend, title=f"Net sentiment per {unit} (bars: reviews)"),
            f"Net sentiment and review volume of {model.brand} per {unit}")  # fmt: skip
        add("categories", plots.category_trends(trend, title=f"Share of negative mentions per category, per {unit}"),
            f"Share of negative mentions per category for {model.brand}, per {unit}")  # fmt: skip
    scores = _frame(model.risk.categories)
    if not scores.empty:
        add("risk", plots.risk(scores.assign(score=scores["score"].astype(float))),
            f"Risk score per category for {model.brand}")  # fmt: skip
    items = [i for i in model.drivers.items if i.status == "ok"]
    if items:
        features = pd.DataFrame({
            "category": [i.category for i in items], "sign": [i.sign for i in items], "status": "ok",
            "importance_share": [i.importance_share for i in items],
            "coef_stars": [i.impact_stars for i in items], "coef_stars_low": [i.impact_low for i in items],
            "coef_stars_high": [i.impact_high for i in items],
        })  # fmt: skip
        add("drivers", plots.drivers(features.astype({c: float for c in features.columns[4:]}), top=8),
            f"What drives the rating of {model.brand}")  # fmt: skip
    quadrant = _frame(model.drivers.quadrant)
    if not quadrant.empty and quadrant[["importance", "performance"]].notna().all(axis=1).sum() >= 2:
        add("quadrant", plots.quadrant(quadrant.astype({"importance": float, "performance": float})),
            "Importance against performance per category")  # fmt: skip
    ekman = _frame(model.ekman)
    if not ekman.empty and ekman["share"].notna().any():
        ekman = ekman.assign(label=ekman["label"].str.capitalize())
        add("emotions", plots.emotions(ekman[["label", "share", "share_low", "share_high", "previous_share"]]
                                       .astype({c: float for c in ("share", "share_low", "share_high",
                                                                   "previous_share")}),
                                       title="Emotion mix (share of sentences)"),
            f"Emotion mix in reviews of {model.brand}")  # fmt: skip
    loyalty = pd.DataFrame({
        "brand": [model.brand] * len(model.loyalty) * 2,
        "signal": [i.signal for i in model.loyalty] * 2,
        "rate": [i.rate for i in model.loyalty] + [i.previous_rate for i in model.loyalty],
        "rate_low": [i.rate_low for i in model.loyalty] + [None] * len(model.loyalty),
        "rate_high": [i.rate_high for i in model.loyalty] + [None] * len(model.loyalty),
    })  # fmt: skip
    loyalty["brand"] = ["This period"] * len(model.loyalty) + ["Period before"] * len(model.loyalty)
    if loyalty["rate"].notna().any():
        add("loyalty", plots.loyalty(loyalty.astype({"rate": float, "rate_low": float, "rate_high": float}),
                                   colours=(plots.BRAND_COLOURS[0], plots.COLOURS["volume"]), values=True),
            f"Loyalty signals in reviews of {model.brand}")  # fmt: skip
    from ._worth_render import worth_chart

    charts |= worth_chart(model)
    return charts
