"""Tidy metric tables per brand x period x clue category: volume, polarity shares, net sentiment, rating, emotions,
loyalty signals, company replies, and collection coverage. Column meanings are in docs/methods.md.

Groups are integer codes (brand * periods + period) counted with ``np.bincount``; reviews without a publication
date cannot be placed in a period and are left out of these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..columns import ekman_col, emo_col
from ..errors import InputError
from ..taxonomy import EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS
from ._prepare import FREQS, NEG, NEU, POS, SCOPES, Prepared, _bool, period_end, period_start, prepare, to_timestamps
from .stats import mean_interval, net_sentiment_interval, wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COVERAGE_COLUMNS",
    "EMOTION_COLUMNS",
    "LOYALTY_COLUMNS",
    "REPLY_COLUMNS",
    "SENTIMENT_COLUMNS",
    "Metrics",
    "compute_coverage",
    "compute_metrics",
]

_KEYS = ["brand", "period_start", "period_end", "category"]
SENTIMENT_COLUMNS: tuple[str, ...] = (
    *_KEYS, "reviews", "sentences", "mentions", "positive", "negative", "neutral",
    "positive_share", "positive_low", "positive_high", "negative_share", "negative_low", "negative_high",
    "neutral_share", "neutral_low", "neutral_high", "net_sentiment", "net_low", "net_high",
    "rated", "rating_mean", "rating_low", "rating_high",
)  # fmt: skip
EMOTION_COLUMNS = (*_KEYS, "level", "label", "sentences", "count", "share", "share_low", "share_high")
LOYALTY_COLUMNS = (*_KEYS, "signal", "reviews", "count", "rate", "rate_low", "rate_high")
REPLY_COLUMNS = (
    "brand", "period_start", "period_end", "source", "reviews", "replied", "reply_rate", "reply_low", "reply_high",
    "reply_delay_median_days",
)  # fmt: skip
COVERAGE_COLUMNS = (
    "brand", "source", "locators", "runs", "last_run_at", "last_status", "expected", "fetched_last", "stored",
    "coverage",
)  # fmt: skip


@dataclass
class Metrics:
    """The metric tables; every share has a Wilson 95% interval (``*_low``/``*_high``).

    ``sentiment``: one row per brand x period x category ("all" first): reviews, sentences, mentions,
    polarity counts and shares, net sentiment with its Dirichlet interval, mean normalised rating with a t interval.
    ``emotions``: share of sentences (in the category) carrying each GoEmotions label / Ekman group.
    ``loyalty``: share of reviews (mentioning the category) carrying each loyalty signal.
    ``replies``: reply rate and median reply delay per brand x period x source, for sources with any reply.
    ``coverage``: expected vs stored reviews per brand x source, when runs were given.
    """

    sentiment: pd.DataFrame
    emotions: pd.DataFrame
    loyalty: pd.DataFrame
    replies: pd.DataFrame
    coverage: pd.DataFrame


@dataclass
class _Grid:
    """Brand x period group codes; invalid rows (no date) go to the spare group ``size``."""

    freq: str
    starts: np.ndarray  # sorted period start days
    n_brands: int
    g_review: np.ndarray
    g_sentence: np.ndarray

    @property
    def size(self) -> int:
        return self.n_brands * len(self.starts)

    def count(self, keys: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(keys, weights=weights, minlength=self.size + 1)[: self.size]


def _grid(data: Prepared, freq: str) -> _Grid:
    starts_r = period_start(data.r_day, freq)
    starts = np.unique(starts_r[data.r_has_day])
    g = data.r_brand * len(starts) + np.searchsorted(starts, starts_r)
    size = len(data.brands) * len(starts)
    g_review = np.where(data.r_has_day, g, size)
    return _Grid(freq, starts, len(data.brands), g_review, g_review[data.s_review])


def _keys_frame(grid: _Grid, data: Prepared, groups: np.ndarray, scopes: int) -> dict[str, object]:
    """Key columns for ``groups`` (each repeated ``scopes`` times, scope innermost)."""
    import pandas as pd

    n_periods = max(len(grid.starts), 1)
    brand, period = np.repeat(groups // n_periods, scopes), np.repeat(groups % n_periods, scopes)
    starts = grid.starts[period] if len(grid.starts) else np.zeros(0, dtype=np.int64)
    return {
        "brand": pd.Categorical.from_codes(brand, categories=data.brands),
        "period_start": to_timestamps(starts),
        "period_end": to_timestamps(period_end(starts, grid.freq)),
    }


def _sentiment(data: Prepared, grid: _Grid, groups: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    cols: dict[str, list[np.ndarray]] = {name: [] for name in SENTIMENT_COLUMNS[4:]}
    rated = ~np.isnan(data.r_rating)
    rating = np.where(rated, data.r_rating, 0.0)
    mentions_all = np.zeros(grid.size)
    for scope in range(len(SCOPES)):
        in_scope = np.ones(data.n_reviews, dtype=bool) if scope == 0 else data.r_mention[:, scope]
        g_r = np.where(in_scope, grid.g_review, grid.size)
        mask = data.s_scope_mask(scope)
        g_s = grid.g_sentence if mask is None else grid.g_sentence[mask]
        pol = data.s_scope_pol(scope) if mask is None else data.s_scope_pol(scope)[mask]
        by_pol = np.bincount(g_s * 4 + (pol + 1), minlength=4 * (grid.size + 1)).reshape(-1, 4)[: grid.size]
        sentences = by_pol.sum(axis=1)
        if scope:
            mentions_all += sentences
        n_rated = grid.count(g_r[rated])
        mean, low, high = mean_interval(
            grid.count(g_r[rated], rating[rated]), grid.count(g_r[rated], rating[rated] ** 2), n_rated
        )
        pos, neg, neu = (by_pol[:, code + 1].astype(float) for code in (POS, NEG, NEU))
        polar = pos + neg + neu
        values = {"reviews": grid.count(g_r), "sentences": sentences, "mentions": sentences,
                  "positive": pos, "negative": neg, "neutral": neu, "rated": n_rated,
                  "rating_mean": mean, "rating_low": low, "rating_high": high}  # fmt: skip
        for name, count in (("positive", pos), ("negative", neg), ("neutral", neu)):
            with np.errstate(invalid="ignore", divide="ignore"):
                values[f"{name}_share"] = count / polar
            values[f"{name}_low"], values[f"{name}_high"] = wilson_interval(count, polar)
        values["net_sentiment"], values["net_low"], values["net_high"] = net_sentiment_interval(pos, neg, neu)
        for name in cols:
            cols[name].append(np.asarray(values[name])[groups])
    cols["mentions"][0] = mentions_all[groups]
    frame = _keys_frame(grid, data, groups, len(SCOPES))
    frame["category"] = pd.Categorical(np.tile(SCOPES, len(groups)), categories=list(SCOPES))
    int_cols = {"reviews", "sentences", "mentions", "positive", "negative", "neutral", "rated"}
    for name, parts in cols.items():
        stacked = np.stack(parts, axis=1).ravel() if parts and len(groups) else np.zeros(0)
        frame[name] = stacked.astype(np.int64) if name in int_cols else stacked
    return pd.DataFrame(frame)[list(SENTIMENT_COLUMNS)]


def _emotions(data: Prepared, grid: _Grid, groups: np.ndarray, sentences: np.ndarray) -> pd.DataFrame:
    """Emotion shares: each label's sentences are few, so count via the indices of flagged sentences only."""
    import pandas as pd

    labels = [("emotion", e, emo_col(e)) for e in EMOTIONS] + [("ekman", g, ekman_col(g)) for g in EKMAN_GROUPS]
    counts = np.empty((len(groups), len(SCOPES), len(labels)))
    for j, (_, _, column) in enumerate(labels):
        idx = np.flatnonzero(_bool(data.sentences, column))
        keys = grid.g_sentence[idx]
        counts[:, 0, j] = grid.count(keys)[groups]
        cat = data.s_cat[idx]
        for scope in range(1, len(SCOPES)):
            counts[:, scope, j] = grid.count(keys[cat[:, scope - 1]])[groups]
    denominators = np.repeat(sentences.reshape(len(groups), len(SCOPES), 1), len(labels), axis=2).ravel()
    count = counts.ravel()
    low, high = wilson_interval(count, denominators)
    frame = _keys_frame(grid, data, groups, len(SCOPES) * len(labels))
    frame["category"] = pd.Categorical(np.tile(np.repeat(SCOPES, len(labels)), len(groups)), categories=SCOPES)
    frame["level"] = pd.Categorical(np.tile([lv for lv, _, _ in labels], len(groups) * len(SCOPES)))
    frame["label"] = pd.Categorical(np.tile([lb for _, lb, _ in labels], len(groups) * len(SCOPES)))
    frame |= {"sentences": denominators.astype(np.int64), "count": count.astype(np.int64)}
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = count / denominators
    frame["share_low"], frame["share_high"] = low, high
    return pd.DataFrame(frame)[list(EMOTION_COLUMNS)]


def _loyalty(data: Prepared, grid: _Grid, groups: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    n_sig = len(LOYALTY_SIGNALS)
    reviews = np.empty((len(groups), len(SCOPES), n_sig))
    counts = np.empty_like(reviews)
    loyalty = data.r_loyalty
    for scope in range(len(SCOPES)):
        in_scope = data.r_mention[:, scope] if scope else np.ones(data.n_reviews, dtype=bool)
        g_r = grid.g_review[in_scope]
        reviews[:, scope, :] = grid.count(g_r)[groups][:, None]
        for j in range(n_sig):
            counts[:, scope, j] = grid.count(g_r[loyalty[in_scope, j]])[groups]
    count, total = counts.ravel(), reviews.ravel()
    frame = _keys_frame(grid, data, groups, len(SCOPES) * n_sig)
    frame["category"] = pd.Categorical(np.tile(np.repeat(SCOPES, n_sig), len(groups)), categories=SCOPES)
    frame["signal"] = pd.Categorical(np.tile(LOYALTY_SIGNALS, len(groups) * len(SCOPES)), categories=LOYALTY_SIGNALS)
    frame |= {"reviews": total.astype(np.int64), "count": count.astype(np.int64)}
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rate"] = count / total
    frame["rate_low"], frame["rate_high"] = wilson_interval(count, total)
    return pd.DataFrame(frame)[list(LOYALTY_COLUMNS)]


def _replies(data: Prepared, grid: _Grid) -> pd.DataFrame:
    """Reply rate and median delay per brand x period x source, for sources where any review has a reply."""
    import pandas as pd

    if data.r_replied is None or data.r_reply_days is None or not data.r_replied.any():
        return pd.DataFrame(columns=list(REPLY_COLUMNS))
    sources = np.unique(data.r_source[data.r_replied & (data.r_source >= 0)])
    keep = np.isin(data.r_source, sources) & data.r_has_day
    frame = pd.DataFrame(
        {
            "group": grid.g_review[keep],
            "source": data.r_source[keep],
            "replied": data.r_replied[keep],
            "delay": data.r_reply_days[keep],
        }
    )
    out = frame.groupby(["group", "source"], sort=True).agg(
        reviews=("replied", "size"), replied=("replied", "sum"), reply_delay_median_days=("delay", "median")
    )
    groups = out.index.get_level_values("group").to_numpy()
    keys = _keys_frame(grid, data, groups, 1)
    result = pd.DataFrame(keys)
    result["source"] = pd.Categorical.from_codes(out.index.get_level_values("source"), categories=data.sources)
    result["reviews"] = out["reviews"].to_numpy(dtype=np.int64)
    result["replied"] = out["replied"].to_numpy(dtype=np.int64)
    result["reply_rate"] = result["replied"] / result["reviews"]
    result["reply_low"], result["reply_high"] = wilson_interval(
        result["replied"].to_numpy(), result["reviews"].to_numpy()
    )
    result["reply_delay_median_days"] = out["reply_delay_median_days"].to_numpy()
    return result[list(REPLY_COLUMNS)]


def compute_metrics(
    sentences: pd.DataFrame | Prepared | None,
    reviews: pd.DataFrame | None = None,
    *,
    freq: str = "W",
    runs: pd.DataFrame | None = None,
) -> Metrics:
    """Metric tables per brand x period (``freq`` "D", "W" ISO weeks from Monday, or "M") x category.

    ``sentences`` has ``columns.SENTENCE_COLUMNS`` (or is a `Prepared` from `prepare`); ``reviews``
    (``columns.REVIEW_COLUMNS``) adds reviews without sentences, URLs and company replies; ``runs`` adds the
    coverage table (see `compute_coverage`). Periods with no review of a brand have no rows.
    """
    if freq not in FREQS:
        raise InputError(f"unknown period {freq!r}; use one of {', '.join(FREQS)}", where="freq")
    data = prepare(sentences, reviews)
    grid = _grid(data, freq)
    groups = np.flatnonzero(grid.count(grid.g_review) > 0)
    sentiment = _sentiment(data, grid, groups)
    per_scope_sentences = sentiment["sentences"].to_numpy()
    return Metrics(
        sentiment=sentiment,
        emotions=_emotions(data, grid, groups, per_scope_sentences),
        loyalty=_loyalty(data, grid, groups),
        replies=_replies(data, grid),
        coverage=compute_coverage(runs, reviews),
    )


def compute_coverage(runs: pd.DataFrame | None, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expected vs stored reviews per brand x source.

    ``runs`` has columns ``brand, source, expected_total`` and optionally ``locator, started_at, status,
    fetched`` (one row per collection run). ``expected`` sums, over locators, the latest run's
    ``expected_total``; ``stored`` counts rows of ``reviews``; ``coverage`` = stored / expected (NaN when the
    source does not say how many it has).
    """
    import pandas as pd

    if runs is None or runs.empty:
        return pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    missing = [c for c in ("brand", "source", "expected_total") if c not in runs.columns]
    if missing:
        raise InputError(f"missing columns {', '.join(missing)}", where="runs")
    frame = runs.copy()
    for column, default in (("locator", ""), ("started_at", pd.NaT), ("status", None), ("fetched", np.nan)):
        if column not in frame.columns:
            frame[column] = default
    frame = frame.reset_index(drop=True).sort_values("started_at", kind="stable")
    latest = frame.groupby(["brand", "source", "locator"], sort=False, dropna=False).tail(1)
    keys = ["brand", "source"]
    out = latest.groupby(keys, sort=True, dropna=False).agg(
        locators=("locator", "size"),
        last_run_at=("started_at", "max"),
        expected=("expected_total", lambda s: s.sum(min_count=1)),
        fetched_last=("fetched", lambda s: s.sum(min_count=1)),
    )
    last = frame.groupby(keys, sort=True, dropna=False).agg(runs=("source", "size"), last_status=("status", "last"))
    out = out.join(last)
    if reviews is not None and not reviews.empty:
        stored = reviews.groupby([reviews["brand"].astype(str), reviews["source"].astype(str)]).size()
        stored.index.names = keys
        out = out.join(stored.rename("stored"))
    else:
        out["stored"] = np.nan
    out["stored"] = out["stored"].fillna(0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage"] = out["stored"] / out["expected"].astype(float)
    return out.reset_index()[list(COVERAGE_COLUMNS)]
