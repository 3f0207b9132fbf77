"""Reputation risk: a 0-100 score per brand and clue category with its components, and a list of risk events.

Everything is computed on a weekly panel (brand x category x ISO week) of review counts: reviews are the
independent units, weekly totals are immune to weekday seasonality. Formulas and defaults: docs/methods.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..records import utc
from ..timeparse import parse_when
from ._events import EVENT_COLUMNS, find_events
from ._prepare import SCOPES, Prepared, period_start, prepare, to_timestamps
from ._risk_settings import RiskSettings
from ._weekly import Panel, baseline_rate, lag, rolling_sum, weekly_panel
from .stats import count_excess_pvalue, share_shift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCORE_COLUMNS", "RiskResult", "RiskSettings", "compute_risk"]

SCORE_COLUMNS: tuple[str, ...] = (
    "brand", "category", "window_start", "window_end", "score", "enough_data",
    "c_shift", "c_velocity", "c_volume", "c_severity",
    "reviews", "negative_share", "baseline_reviews", "baseline_negative_share", "shift", "shift_low", "shift_p",
    "previous_negative_share", "velocity", "velocity_low", "velocity_p",
    "volume", "volume_expected", "volume_ratio", "volume_ratio_low", "volume_p",
    "anger_disgust_share", "warn_churn_share", "low_star_share", "unanswered_negative_share", "severity",
)  # fmt: skip


@dataclass
class RiskResult:
    """``scores``: one row per brand x category ("all" first) for the current window, with ``SCORE_COLUMNS``.
    ``events``: one row per detected event (``_events.EVENT_COLUMNS``), strongest evidence first."""

    scores: pd.DataFrame
    events: pd.DataFrame
    settings: RiskSettings


_Z95 = 1.6448536269514722
"""One-sided 95% standard-normal quantile: the volume component counts only what exceeds this prediction bound."""


def _as_of_week(panel: Panel, as_of: datetime | str | None) -> int:
    if as_of is None:
        return len(panel.week_days) - 1
    when = utc(parse_when(as_of))
    if when is None:
        raise InputError(f"{as_of!r} is not a date", where="as_of")
    day = np.datetime64(when.replace(tzinfo=None), "D").astype(np.int64)
    return int((period_start(np.array([day]), "W")[0] - panel.week_days[0]) // 7)


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _saturate(x: np.ndarray, scale: float) -> np.ndarray:
    """0 at or below 0, rising to 1: 1 - exp(-x / scale) (63% at x = scale); NaN counts as 0."""
    return 1 - np.exp(-np.maximum(np.nan_to_num(x), 0) / scale)


def _components(panel: Panel, settings: RiskSettings, now: int) -> dict[str, np.ndarray]:
    """Every ``SCORE_COLUMNS`` value after the keys, as (brands, scopes) arrays, for the window ending at ``now``."""
    win, base = settings.window_weeks, settings.baseline_weeks
    counts = {k: v[..., : now + 1] for k, v in panel.counts.items()}
    cur = {k: rolling_sum(v, win)[..., now] for k, v in counts.items()}
    prev = {k: np.nan_to_num(lag(rolling_sum(counts[k], win), win)[..., now]) for k in ("n", "neg")}
    before = {k: np.nan_to_num(lag(rolling_sum(counts[k], base), win)[..., now]) for k in ("n", "neg")}
    out: dict[str, np.ndarray] = {
        "reviews": cur["n"], "negative_share": _share(cur["neg"], cur["n"]),
        "baseline_reviews": before["n"], "baseline_negative_share": _share(before["neg"], before["n"]),
        "previous_negative_share": _share(prev["neg"], prev["n"]),
    }  # fmt: skip
    out["shift"], out["shift_low"], out["shift_p"] = share_shift(cur["neg"], cur["n"], before["neg"], before["n"])
    out["velocity"], out["velocity_low"], out["velocity_p"] = share_shift(cur["neg"], cur["n"], prev["neg"], prev["n"])

    # Volume: the window's count against W weeks of the robust weekly baseline that ends where the window starts.
    mean, var = baseline_rate(counts["volume"], base)
    expected = win * lag(mean, win - 1)[..., now]
    var_pred = win * lag(var, win - 1)[..., now] * (1 + win / base)
    out["volume"], out["volume_expected"] = cur["volume"], expected
    out["volume_ratio"] = _share(cur["volume"], expected)
    out["volume_ratio_low"] = _share(cur["volume"] - _Z95 * np.sqrt(var_pred), expected)
    out["volume_p"] = count_excess_pvalue(cur["volume"], expected, var_pred)

    parts = {
        "anger_disgust_share": _share(cur["angry"], cur["n"]),
        "warn_churn_share": _share(cur["warn_churn"], cur["volume"]),
        "low_star_share": _share(cur["low"], cur["rated"]),
        "unanswered_negative_share": _share(cur["neg_unanswered"], cur["neg_replyable"]),
    }
    out |= parts
    stacked = np.stack(list(parts.values()))
    known = ~np.isnan(stacked)
    out["severity"] = np.where(known, stacked, 0).sum(axis=0) / np.maximum(known.sum(axis=0), 1)

    out["c_shift"] = _saturate(out["shift_low"], settings.scale)
    out["c_velocity"] = _saturate(out["velocity_low"], settings.scale)
    out["c_volume"] = _saturate(out["volume_ratio_low"] - 1, 1.0)
    out["c_severity"] = out["severity"]
    out["enough_data"] = (cur["n"] >= settings.min_reviews) & (before["n"] >= settings.min_baseline)
    score = 100 * sum(w * out[f"c_{k}"] for k, w in settings.weights.items())
    out["score"] = np.where(out["enough_data"], score, np.nan)
    return out


def _scores(data: Prepared, panel: Panel, settings: RiskSettings, now: int) -> pd.DataFrame:
    import pandas as pd

    n_b, n_s = len(data.brands), len(SCOPES)
    values = _components(panel, settings, now)
    window_end = np.full(n_b * n_s, panel.week_days[now] + 7)
    frame: dict[str, object] = {
        "brand": pd.Categorical.from_codes(np.repeat(np.arange(n_b), n_s), categories=data.brands),
        "category": pd.Categorical(np.tile(SCOPES, n_b), categories=list(SCOPES)),
        "window_start": to_timestamps(window_end - 7 * settings.window_weeks),
        "window_end": to_timestamps(window_end),
    }
    for name in SCORE_COLUMNS[4:]:
        flat = np.broadcast_to(values[name], (n_b, n_s)).ravel()
        frame[name] = flat.astype(np.int64) if name in ("reviews", "baseline_reviews", "volume") else flat
    return pd.DataFrame(frame)[list(SCORE_COLUMNS)]


def compute_risk(
    sentences: pd.DataFrame | Prepared | None,
    reviews: pd.DataFrame | None = None,
    *,
    as_of: datetime | str | None = None,
    settings: RiskSettings | None = None,
) -> RiskResult:
    """Risk scores for the ``window_weeks`` weeks ending with the week of ``as_of`` (default: the latest week
    with a review), and risk events over every week up to it.

    Events are weeks whose negative share, negative-review count or review count rose significantly above the
    brand's own trailing baseline, after Benjamini-Hochberg control over all tests in the call.
    """
    import pandas as pd

    settings = settings or RiskSettings()
    data = prepare(sentences, reviews)
    panel = weekly_panel(data)
    if not len(panel.week_days):
        empty_scores = pd.DataFrame({c: pd.Series(dtype=float) for c in SCORE_COLUMNS})
        return RiskResult(empty_scores, pd.DataFrame(columns=list(EVENT_COLUMNS)), settings)
    now = min(_as_of_week(panel, as_of), len(panel.week_days) - 1)
    if now < 0:
        raise InputError("as_of is before the first review", where="as_of")
    scores = _scores(data, panel, settings, now)
    events = find_events(data, panel.week_days, panel.first_week, panel.counts, settings, now)
    return RiskResult(scores=scores, events=events, settings=settings)
