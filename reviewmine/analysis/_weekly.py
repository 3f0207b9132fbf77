"""The weekly panel risk works on: review counts per brand x category x ISO week, and trailing-baseline helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._prepare import SCOPES, Prepared, period_start

__all__ = ["LOW_STARS", "Panel", "baseline_rate", "lag", "rolling_sum", "weekly_panel"]

LOW_STARS = 0.25 + 1e-9
"""Normalised ratings at or below this are "1-2 stars" on a 1-5 scale (thumbs down on a 0-1 scale)."""


@dataclass
class Panel:
    """Weekly review counts, arrays of shape (brands, scopes, weeks)."""

    week_days: np.ndarray
    first_week: np.ndarray
    counts: dict[str, np.ndarray]


def weekly_panel(data: Prepared) -> Panel:
    n_b, n_s = len(data.brands), len(SCOPES)
    week_r = period_start(data.r_day, "W")
    has_day = data.r_has_day
    if not has_day.any():
        return Panel(np.zeros(0, dtype=np.int64), np.zeros(n_b, dtype=np.int64), {})
    first_day, last_day = week_r[has_day].min(), week_r[has_day].max()
    n_w = int((last_day - first_day) // 7 + 1)
    week_idx = (week_r - first_day) // 7

    rated = ~np.isnan(data.r_rating)
    low = rated & (data.r_rating <= LOW_STARS)
    warn_churn = data.r_loyalty[:, 1] | data.r_loyalty[:, 3]  # LOYALTY_SIGNALS: recommend, warn, return, churn
    replyable = np.zeros(data.n_reviews, dtype=bool)
    if data.r_replied is not None and data.r_replied.any():
        replyable = np.isin(data.r_source, np.unique(data.r_source[data.r_replied]))
    answered = data.r_replied if data.r_replied is not None else replyable

    def count(flags_by_scope: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((n_b, n_s, n_w))
        for s, flags in enumerate(flags_by_scope):
            keys = (data.r_brand * n_w + week_idx)[flags & has_day]
            out[:, s, :] = np.bincount(keys, minlength=n_b * n_w).reshape(n_b, n_w)
        return out

    scopes = range(n_s)
    mention, negative, angry = data.r_mention, data.r_negative, data.r_anger_disgust
    volume = [np.ones(data.n_reviews, dtype=bool)] + [mention[:, s] for s in scopes if s]
    counts = {
        "n": count([mention[:, s] for s in scopes]),
        "neg": count([negative[:, s] for s in scopes]),
        "volume": count(volume),
        "angry": count([angry[:, s] for s in scopes]),
        "warn_churn": count([warn_churn & volume[s] for s in scopes]),
        "rated": count([rated & volume[s] for s in scopes]),
        "low": count([low & volume[s] for s in scopes]),
        "neg_replyable": count([negative[:, s] & replyable for s in scopes]),
        "neg_unanswered": count([negative[:, s] & replyable & ~answered for s in scopes]),
    }
    active = counts["volume"][:, 0, :] > 0
    first_week = np.where(active.any(axis=1), active.argmax(axis=1), n_w)
    return Panel(first_day + 7 * np.arange(n_w), first_week, counts)


def rolling_sum(x: np.ndarray, length: int) -> np.ndarray:
    """Sum over the ``length`` weeks ending at each week (fewer at the start)."""
    cs = np.concatenate([np.zeros((*x.shape[:-1], 1)), np.cumsum(x, axis=-1)], axis=-1)
    end = np.arange(1, x.shape[-1] + 1)
    return cs[..., end] - cs[..., np.maximum(end - length, 0)]


def lag(x: np.ndarray, weeks: int) -> np.ndarray:
    """``x`` shifted ``weeks`` later along the week axis (NaN where there is no earlier week)."""
    out = np.full(x.shape, np.nan)
    if weeks < x.shape[-1]:
        out[..., weeks:] = x[..., : x.shape[-1] - weeks]
    return out


def baseline_rate(x: np.ndarray, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Robust weekly mean and variance of the ``weeks`` weeks before each week (NaN without enough history).

    Mean: 10%-trimmed mean (scipy), floored at 0.5 so a quiet baseline still has an expectation; variance:
    the squared normal-scaled MAD, floored at the mean (Poisson).
    """
    from scipy import stats

    mean, var = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    if x.shape[-1] > weeks:
        windows = np.lib.stride_tricks.sliding_window_view(x[..., :-1], weeks, axis=-1)
        m = np.maximum(stats.trim_mean(windows, 0.1, axis=-1), 0.5)
        mean[..., weeks:] = m
        var[..., weeks:] = np.maximum(stats.median_abs_deviation(windows, axis=-1, scale="normal") ** 2, m)
    return mean, var
