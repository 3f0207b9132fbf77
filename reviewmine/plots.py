"""Plot helpers for the notebook API and the report: tidy DataFrames in, matplotlib ``Figure`` out.

Each function takes a table as the Workspace / aggregator returns it (``db.metrics()``, ``db.drivers()``...) and
returns a new Figure built without pyplot, so nothing accumulates in global state and the report can render
figures in a loop. Text is never parsed as mathtext (a ``$`` in a brand name stays a dollar sign).

    import reviewmine, reviewmine.plots as rp
    db = reviewmine.open("demo.db")
    rp.trend(db.metrics(brand="Crustline"))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .taxonomy import CATEGORIES, CATEGORY_NAMES, LOYALTY_SIGNALS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["BRAND_COLOURS", "COLOURS", "category_trends", "drivers", "emotions", "loyalty", "quadrant", "risk", "trend"]

COLOURS = {
    "positive": "#2e7d32", "negative": "#c62828", "neutral": "#78909c", "ink": "#263238", "muted": "#90a4ae",
    "grid": "#e6eaed", "accent": "#1565c0", "band": "#bbdefb", "volume": "#cfd8dc",
}  # fmt: skip
BRAND_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")
_RC = {
    "text.parse_math": False, "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.titlelocation": "left", "axes.labelcolor": COLOURS["ink"], "axes.edgecolor": COLOURS["muted"],
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": COLOURS["grid"],
    "grid.linewidth": 0.8, "xtick.color": COLOURS["ink"], "ytick.color": COLOURS["ink"], "legend.frameon": False,
    "font.family": "DejaVu Sans",
}  # fmt: skip
_SIGNAL_NAMES = {"recommend": "Recommend", "warn": "Warn others", "return": "Will return", "churn": "Will leave"}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _figure(width: float, height: float, **kwargs: Any) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def _one_brand(frame: pd.DataFrame, brand: str | None) -> pd.DataFrame:
    """Rows of ``brand`` (default: the only brand in the frame, else the first one)."""
    if "brand" not in frame.columns or frame.empty:
        return frame
    if brand is None:
        brand = str(frame["brand"].iloc[0])
    return frame[frame["brand"].astype(str) == brand]


def _percent(axis: Any) -> None:
    """Tick labels as percentages, with a decimal only where the steps need one (2.5%)."""
    axis.set_major_formatter(lambda v, _: f"{v * 100:.1f}".rstrip("0").rstrip(".") + "%")


def _name(category: str) -> str:
    return "All reviews" if category == "all" else CATEGORY_NAMES.get(category, category)


def _empty(ax: Axes, message: str = "Not enough data") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color=COLOURS["muted"], transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _x(frame: pd.DataFrame) -> np.ndarray:
    """Period starts as naive datetimes (matplotlib's date axis)."""
    import pandas as pd

    return pd.to_datetime(frame["period_start"], utc=True).dt.tz_localize(None).to_numpy()


def _bounds(measure: str) -> tuple[str, str]:
    """The interval columns of a metrics measure (net_sentiment -> net_low/net_high, rating_mean -> rating_*)."""
    stem = {"net_sentiment": "net", "rating_mean": "rating"}.get(measure, measure.removesuffix("_share"))
    return f"{stem}_low", f"{stem}_high"


def trend(
    metrics: pd.DataFrame,
    *,
    brand: str | None = None,
    measure: str = "net_sentiment",
    categories: Sequence[str] = ("all",),
    volume: bool = True,
    title: str | None = None,
) -> Figure:
    """A measure of ``db.metrics()`` per period with its 95% band (``net_sentiment``, ``negative_share``,
    ``rating_mean``...), one line per category, and review counts as bars underneath when ``volume``."""
    low, high = _bounds(measure)
    data = _one_brand(metrics, brand)
    with _style():
        fig = _figure(10, 4.4 if volume else 3.3)
        axes = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1)) if volume else [fig.subplots()]
        ax = axes[0]
        shown = data[data["category"].astype(str).isin(categories)] if len(data) else data
        if shown.empty:
            _empty(ax)
            return fig
        for i, category in enumerate(categories):
            rows = shown[shown["category"].astype(str) == category].sort_values("period_start")
            if rows.empty:
                continue
            colour = BRAND_COLOURS[i % len(BRAND_COLOURS)]
            x = _x(rows)
            ax.fill_between(x, rows[low].astype(float), rows[high].astype(float), color=colour, alpha=0.15, lw=0)
            ax.plot(x, rows[measure].astype(float), color=colour, lw=2, marker="o", ms=3, label=_name(category))
        if measure == "net_sentiment":
            ax.axhline(0, color=COLOURS["muted"], lw=1)
            ax.set_ylim(-1.05, 1.05)
            ax.yaxis.set_major_formatter(lambda v, _: f"{v * 100:+.0f}" if v else "0")
        elif measure.endswith("_share"):
            ax.set_ylim(0, 1)
            _percent(ax.yaxis)
        if len(categories) > 1:
            ax.legend(loc="upper left", ncols=3, fontsize=8)
        ax.set_title(title or f"{measure.replace('_', ' ').capitalize()} per {_freq_word(shown)}")
        if volume:
            base = data[data["category"].astype(str) == "all"].sort_values("period_start")
            axes[1].bar(_x(base), base["reviews"], width=_bar_width(base), color=COLOURS["volume"])
            axes[1].set_ylabel("reviews", fontsize=8)
            axes[1].grid(axis="x", visible=False)
            _dates(axes[1])
        else:
            _dates(ax)
    return fig


def _freq_word(frame: pd.DataFrame) -> str:
    if len(frame) == 0:
        return "period"
    days = (frame["period_end"].iloc[0] - frame["period_start"].iloc[0]).days
    return {1: "day", 7: "week"}.get(days, "month")


def _bar_width(frame: pd.DataFrame) -> float:
    """Bar width in days: 80% of the period length."""
    if len(frame) == 0:
        return 5.6
    days = (frame["period_end"].iloc[0] - frame["period_start"].iloc[0]).days
    return 0.8 * {1: 1, 7: 7}.get(days, 30)


def category_trends(
    metrics: pd.DataFrame, *, brand: str | None = None, measure: str = "negative_share", title: str | None = None
) -> Figure:
    """Small multiples: ``measure`` per period for each clue category, with its 95% band and a shared y axis."""
    data = _one_brand(metrics, brand)
    low, high = _bounds(measure)
    with _style():
        fig = _figure(10, 2.6)
        axes = fig.subplots(1, len(CATEGORIES), sharey=True)
        for ax, category in zip(axes, CATEGORIES, strict=True):
            rows = data[data["category"].astype(str) == category].sort_values("period_start") if len(data) else data
            ax.set_title(CATEGORY_NAMES[category], fontsize=9)
            if rows.empty:
                _empty(ax)
                continue
            x = _x(rows)
            colour = COLOURS["negative"] if measure.startswith("negative") else COLOURS["accent"]
            ax.fill_between(x, rows[low].astype(float), rows[high].astype(float), color=colour, alpha=0.15, lw=0)
            ax.plot(x, rows[measure].astype(float), color=colour, lw=1.8)
            _dates(ax)
            ax.tick_params(axis="x", labelsize=7)
        if measure.endswith("_share"):
            axes[0].set_ylim(0, 1)
            _percent(axes[0].yaxis)
        fig.suptitle(title or measure.replace("_", " ").capitalize(), x=0.01, ha="left", fontweight="bold", fontsize=11)
    return fig


def drivers(features: pd.DataFrame, *, brand: str | None = None, target: str = "rating", top: int = 10) -> Figure:
    """Key drivers of ``db.drivers()``: importance (share of explained variance) and impact with 95% intervals,
    in stars for the rating target (other features held fixed), features sorted by importance."""
    data = _one_brand(features, brand)
    if len(data) and "target" in data.columns:
        data = data[data["target"] == target]
    data = data[data["status"] == "ok"] if len(data) else data
    stars = target == "rating"
    col = "coef_stars" if stars else "coef"
    with _style():
        fig = _figure(10, 0.36 * max(min(len(data), top), 3) + 1.0)
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=(1, 1.2))
        if data.empty:
            _empty(left)
            _empty(right)
            return fig
        data = data.sort_values("importance_share", ascending=False).head(top).iloc[::-1]
        y = np.arange(len(data))
        colours = [COLOURS["positive"] if s == "positive" else COLOURS["negative"] for s in data["sign"]]
        left.barh(y, data["importance_share"].astype(float), color=colours, height=0.6)
        left.set_yticks(y, [_feature_label(c, s) for c, s in zip(data["category"], data["sign"], strict=True)])
        _percent(left.xaxis)
        left.set_title("Importance")
        left.grid(axis="y", visible=False)
        est = data[col].astype(float).to_numpy()
        err = np.vstack([est - data[f"{col}_low"].astype(float), data[f"{col}_high"].astype(float) - est])
        right.errorbar(est, y, xerr=np.clip(err, 0, None), fmt="none", ecolor=COLOURS["muted"], capsize=3, lw=1.2)
        right.scatter(est, y, c=colours, s=40, zorder=3)
        right.axvline(0, color=COLOURS["muted"], lw=1)
        right.set_title("Impact on the rating (stars)" if stars else f"Impact on {target} (share points)")
        if stars:
            right.xaxis.set_major_formatter(lambda v, _: f"{v:+.1f}★" if v else "0")
        else:
            right.xaxis.set_major_formatter(lambda v, _: f"{v:+.0%}")
        right.grid(axis="y", visible=False)
    return fig


def _feature_label(category: str, sign: str) -> str:
    return f"{'Praise' if sign == 'positive' else 'Complaint'}: {CATEGORY_NAMES.get(category, category)}"


def quadrant(table: pd.DataFrame, *, brand: str | None = None, target: str = "rating") -> Figure:
    """Importance vs performance per category (``db.drivers(table="quadrant")``), split at the brand's means."""
    data = _one_brand(table, brand)
    if len(data) and "target" in data.columns:
        data = data[data["target"] == target]
    data = data.dropna(subset=["importance", "performance"]) if len(data) else data
    with _style():
        fig = _figure(5.2, 4.2)
        ax = fig.subplots()
        if data.empty:
            _empty(ax)
            return fig
        imp, perf = data["importance"].astype(float), data["performance"].astype(float)
        ax.axvline(imp.mean(), color=COLOURS["muted"], lw=1, ls="--")
        ax.axhline(perf.mean(), color=COLOURS["muted"], lw=1, ls="--")
        colours = [COLOURS["negative"] if q == "fix first" else COLOURS["positive"] if q == "keep up"
                   else COLOURS["neutral"] for q in data["quadrant"]]  # fmt: skip
        ax.scatter(imp, perf, s=90, c=colours, zorder=3)
        for x, y, c in zip(imp, perf, data["category"], strict=True):
            ax.annotate(CATEGORY_NAMES.get(c, c), (x, y), xytext=(6, 4), textcoords="offset points", fontsize=8)
        ax.set_xlabel("Importance (share of explained rating)")
        ax.set_ylabel("Performance (praise share)")
        _percent(ax.xaxis)
        _percent(ax.yaxis)
        ax.set_xlim(0, max(imp.max() * 1.3, 0.1))
        ax.set_ylim(max(0, perf.min() - 0.15), min(1.0, perf.max() + 0.1))
        kw = {"transform": ax.transAxes, "fontsize": 8, "color": COLOURS["muted"]}
        ax.text(0.99, 0.02, "fix first", ha="right", va="bottom", **kw)
        ax.text(0.99, 0.98, "keep up", ha="right", va="top", **kw)
        ax.set_title("Where to act")
    return fig


def emotions(
    table: pd.DataFrame, *, brand: str | None = None, labels: Sequence[str] | None = None, title: str | None = None
) -> Figure:
    """Emotion shares with 95% intervals as horizontal bars.

    ``table`` is ``db.metrics(table="emotions")`` (counts are summed over its periods; ``labels`` picks the
    emotions, default the key ones of taxonomy.md) or any frame with ``label, share, share_low, share_high``
    (and optionally ``previous_share``, drawn as a tick: the report's emotion call-outs).
    """
    data = _emotion_shares(_one_brand(table, brand), labels)
    with _style():
        fig = _figure(5.5, 0.36 * max(len(data), 3) + 1.0)
        ax = fig.subplots()
        if data.empty:
            _empty(ax)
            return fig
        data = data.iloc[::-1]
        y = np.arange(len(data))
        share = data["share"].astype(float).to_numpy()
        colours = [_emotion_colour(str(label)) for label in data["label"]]
        ax.barh(y, share, color=colours, height=0.6)
        err = np.vstack([share - data["share_low"].astype(float), data["share_high"].astype(float) - share])
        ax.errorbar(share, y, xerr=np.clip(err, 0, None), fmt="none", ecolor=COLOURS["ink"], capsize=2, lw=0.8)
        if "previous_share" in data.columns:
            ax.scatter(data["previous_share"].astype(float), y, marker="|", s=200, color=COLOURS["ink"],
                       label="previous period", zorder=4)  # fmt: skip
            ax.legend(loc="lower right", bbox_to_anchor=(1, 1), fontsize=8, borderaxespad=0.2)
        ax.set_yticks(y, [str(label).capitalize() for label in data["label"]])
        _percent(ax.xaxis)
        ax.grid(axis="y", visible=False)
        ax.set_title(title or "Share of sentences showing each emotion")
    return fig


_NEGATIVE_EMOTIONS = {"disappointment", "annoyance", "anger", "annoyance / anger", "confusion", "fear",
                      "nervousness", "fear / nervousness", "disgust", "sadness", "disapproval", "embarrassment",
                      "grief", "remorse"}  # fmt: skip
_NEUTRAL_EMOTIONS = {"neutral", "surprise", "realization", "curiosity"}


def _emotion_colour(label: str) -> str:
    key = label.lower()
    if key in _NEGATIVE_EMOTIONS:
        return COLOURS["negative"]
    return COLOURS["neutral"] if key in _NEUTRAL_EMOTIONS else COLOURS["positive"]


def _emotion_shares(data: pd.DataFrame, labels: Sequence[str] | None) -> pd.DataFrame:
    """One row per label: the given shares, or counts summed over periods with a Wilson interval."""
    import pandas as pd

    from .analysis.stats import wilson_interval
    from .taxonomy import KEY_EMOTIONS

    if data.empty or "count" not in data.columns:
        return data if labels is None or data.empty else data[data["label"].isin(labels)]
    if "level" in data.columns:
        data = data[data["level"] == "emotion"]
    if "category" in data.columns:
        data = data[data["category"].astype(str) == "all"]
    wanted = list(labels or KEY_EMOTIONS)
    summed = data[data["label"].astype(str).isin(wanted)].groupby(data["label"].astype(str))[["count", "sentences"]]
    out = summed.sum().reindex(wanted).dropna().reset_index(names="label")
    low, high = wilson_interval(out["count"].to_numpy(), out["sentences"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["count"] / out["sentences"]
    return pd.DataFrame({"label": out["label"], "share": share, "share_low": low, "share_high": high})


def loyalty(
    table: pd.DataFrame,
    *,
    brands: Sequence[str] | None = None,
    colours: Sequence[str] = BRAND_COLOURS,
    values: bool = False,
) -> Figure:
    """Loyalty signal rates (share of reviews) with 95% intervals; one bar group per signal, a bar per brand.

    ``table`` is ``db.metrics(table="loyalty")`` (counts summed over periods, scope "all") or any frame with
    ``brand, signal, count, reviews`` or ``brand, signal, rate, rate_low, rate_high``. ``values`` writes the first
    brand's rates on its bars.
    """
    data = _loyalty_rates(table)
    names = list(brands or dict.fromkeys(data["brand"].astype(str))) if len(data) else []
    with _style():
        fig = _figure(5.5, 3.0)
        ax = fig.subplots()
        if data.empty:
            _empty(ax)
            return fig
        x = np.arange(len(LOYALTY_SIGNALS))
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            rows = data[data["brand"].astype(str) == name].set_index("signal").reindex(LOYALTY_SIGNALS)
            rate = rows["rate"].astype(float).to_numpy()
            err = np.vstack([rate - rows["rate_low"].astype(float), rows["rate_high"].astype(float) - rate])
            pos = x - 0.4 + width * (i + 0.5)
            ax.bar(pos, rate, width=width * 0.9, color=colours[i % len(colours)], label=name)
            if i == 0 and values:  # above the interval, so the label never sits on the error bar
                tops = np.fmax(rate, rows["rate_high"].astype(float).to_numpy())
                for x_i, top, r in zip(pos, tops, rate, strict=True):
                    if r == r:
                        ax.annotate(f"{r:.0%}", (x_i, top), xytext=(0, 3), textcoords="offset points",
                                    ha="center", fontsize=8, fontweight="bold")  # fmt: skip
            if np.isfinite(err).any():
                ax.errorbar(pos, rate, yerr=np.clip(err, 0, None), fmt="none", ecolor=COLOURS["ink"], capsize=2, lw=0.8)
        ax.set_xticks(x, [_SIGNAL_NAMES[s] for s in LOYALTY_SIGNALS])
        _percent(ax.yaxis)
        ax.grid(axis="x", visible=False)
        if len(names) > 1:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=8, ncols=len(names))
        ax.set_title("Share of reviews with each loyalty signal")
    return fig


def _loyalty_rates(table: pd.DataFrame) -> pd.DataFrame:
    from .analysis.stats import wilson_interval

    if table.empty or ("rate_low" in table.columns and "count" not in table.columns):
        return table
    data = table[table["category"].astype(str) == "all"] if "category" in table.columns else table
    keys = [data["brand"].astype(str), data["signal"].astype(str)]
    out = data.groupby(keys)[["count", "reviews"]].sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = out["count"] / out["reviews"]
    out["rate_low"], out["rate_high"] = wilson_interval(out["count"].to_numpy(), out["reviews"].to_numpy())
    return out


def risk(scores: pd.DataFrame, *, brand: str | None = None) -> Figure:
    """Risk scores (0-100) per category from ``db.risk()``, with bands for the report's risk levels."""
    from .report.levels import LEVELS

    data = _one_brand(scores, brand)
    with _style():
        fig = _figure(5.5, 3.0)
        ax = fig.subplots()
        if data.empty:
            _empty(ax)
            return fig
        data = data.iloc[::-1]
        y = np.arange(len(data))
        score = data["score"].astype(float).to_numpy()
        lower = 0.0
        for level in LEVELS:
            ax.axvspan(lower, level.upper, color=level.colour, alpha=0.12, lw=0)
            lower = level.upper
        ax.barh(y, np.nan_to_num(score), color=[_level_colour(s) for s in score], height=0.6)
        for yi, s in zip(y, score, strict=True):
            ax.text((0 if np.isnan(s) else s) + 1, yi, "too few reviews" if np.isnan(s) else f"{s:.0f}",
                    va="center", fontsize=8, color=COLOURS["ink"])  # fmt: skip
        ax.set_yticks(y, [_name(str(c)) for c in data["category"]])
        ax.set_xlim(0, 100)
        ax.grid(axis="y", visible=False)
        ax.set_title("Risk score by category (0-100)")
    return fig


def _level_colour(score: float) -> str:
    from .report.levels import risk_level

    return risk_level(score).colour
