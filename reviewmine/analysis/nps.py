"""Net Promoter Score from survey responses stored beside the reviews, and what in the comments drives it.

**Survey data** is a review whose rating scale is 0-10 (``rating_min`` 0 and ``rating_max`` 10, as ``reviewmine
import --rating-scale 0-10`` stores it) and that has a score. The scale decides, not the source name: a source
called "survey" holding 1-5 stars gives no NPS, and NPS is never derived from stars or any other scale (a
4-star review is not a "promoter"). Promoters score 9-10, passives 7-8, detractors 0-6; NPS = % promoters −
% detractors, in points on −100..100.

- **Interval**: the Dirichlet-posterior interval of ``stats.net_sentiment_interval`` (Jeffreys' prior over the
  three shares, moment-matched Beta), times 100. NPS is the same statistic as net sentiment (a share minus a
  share of one multinomial), its variance is the standard multinomial one, (p₊ + p₋ − (p₊ − p₋)²)/n, and
  unlike the Wald interval it stays inside ±100 and is not degenerate at 0 or 100% promoters with small n.
- Below ``min_responses`` (default 30) a row shows counts only: NPS, shares and interval are NaN, ``status``
  says "too few responses".
- **Change** vs the period just before (same brand and segment): the difference with a normal interval whose
  variance is the sum of the two standard variances; shown only when both periods have enough responses.
- **Drivers** (`compute_nps_drivers`): per brand, each response's outcome is its NPS contribution (+100
  promoter, 0 passive, −100 detractor; its mean is the NPS), regressed on binary features of its comment with
  the rating drivers' method (`drivers.fit_features`: Shapley R², OLS coefficient, with/without, percentile
  bootstrap). Two models, because all-subset Shapley is exact only up to about 12 features: ``category``
  (``pos_<c>`` / ``neg_<c>``, as the rating drivers) and ``emotion`` (any sentence in an Ekman group, neutral
  excluded). Coefficients and impacts are NPS points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..columns import REVIEW_COLUMNS, ekman_col
from ..errors import InputError
from ..taxonomy import CATEGORIES
from .drivers import FeatureFit, fit_features
from .stats import net_sentiment_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DETRACTOR_MAX",
    "EMOTION_GROUPS",
    "MIN_DRIVER_RESPONSES",
    "MIN_RESPONSES",
    "NPS_COLUMNS",
    "NPS_DRIVER_COLUMNS",
    "NPS_MODEL_COLUMNS",
    "PERIODS",
    "PROMOTER_MIN",
    "SURVEY_SCALE",
    "NpsDrivers",
    "compute_nps",
    "compute_nps_drivers",
    "nps_interval",
    "nps_variance",
    "survey_responses",
]

SURVEY_SCALE = (0.0, 10.0)
PROMOTER_MIN, DETRACTOR_MAX = 9.0, 6.0
MIN_RESPONSES = 30
"""Fewest responses for an NPS to be shown; below it a row has counts only."""
MIN_DRIVER_RESPONSES = 100
"""Fewest responses with a tagged comment for the NPS drivers to be fitted (as the rating drivers' min_reviews)."""
PERIODS: dict[str, str | None] = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y", "all": None}
_ALIASES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
EMOTION_GROUPS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
ALL = "all"

NPS_COLUMNS: tuple[str, ...] = (
    "brand", "period", "period_start", "period_end", "segment_by", "segment", "responses", "promoters", "passives",
    "detractors", "promoter_share", "detractor_share", "nps", "nps_low", "nps_high", "status",
    "previous_responses", "previous_nps", "change", "change_low", "change_high",
)  # fmt: skip
NPS_DRIVER_COLUMNS: tuple[str, ...] = (
    "brand", "family", "feature", "category", "sign", "emotion", "status", "responses", "mentions",
    "importance", "importance_low", "importance_high", "importance_share", "coef", "coef_low", "coef_high",
    "impact", "impact_low", "impact_high", "nps_with", "nps_without",
)  # fmt: skip
NPS_MODEL_COLUMNS = ("brand", "family", "status", "responses", "features", "r2", "r2_low", "r2_high")


@dataclass
class NpsDrivers:
    """``features``: one row per brand x feature (``NPS_DRIVER_COLUMNS``); ``models``: one per brand x family."""

    features: pd.DataFrame
    models: pd.DataFrame


def _period_name(period: str) -> str:
    name = _ALIASES.get(period, period)
    if name not in PERIODS:
        raise InputError(f"unknown period {period!r}; use {', '.join(PERIODS)}", where="period")
    return name


def survey_responses(reviews: pd.DataFrame | None) -> pd.DataFrame:
    """The survey responses among ``reviews`` (0-10 scale and a score) with ``score`` and ``group`` (promoter,
    passive, detractor) added; no rows when there are none (or no review frame)."""
    import pandas as pd

    needed = ("review_key", "brand", "published_at", "rating", "rating_min", "rating_max")
    if reviews is None or not len(reviews):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*needed, "score", "group")})
    missing = [c for c in needed if c not in reviews.columns]
    if missing:
        raise InputError(f"missing columns {', '.join(missing)}", where="reviews")
    lo = pd.to_numeric(reviews["rating_min"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    hi = pd.to_numeric(reviews["rating_max"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    score = pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = (lo == SURVEY_SCALE[0]) & (hi == SURVEY_SCALE[1]) & (score >= 0) & (score <= 10)
    out = reviews[keep].assign(score=score[keep]).drop_duplicates("review_key")
    out["group"] = np.where(out["score"] >= PROMOTER_MIN, "promoter",
                            np.where(out["score"] <= DETRACTOR_MAX, "detractor", "passive"))  # fmt: skip
    return out.reset_index(drop=True)


def nps_interval(
    promoters: np.ndarray, passives: np.ndarray, detractors: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(NPS, low, high) in points; NaN without responses (see the module docstring for the interval)."""
    estimate, low, high = net_sentiment_interval(promoters, detractors, passives, level=level)
    return 100 * estimate, 100 * low, 100 * high


def nps_variance(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The standard variance of an NPS on 0..1 units: (p₊ + p₋ − (p₊ − p₋)²) / n."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p, d = promoters / n, detractors / n
        return (p + d - (p - d) ** 2) / n


def _segment_values(responses: pd.DataFrame, column: str) -> pd.Series:
    """The segment of each response: a review column, else a key of the ``extra`` JSON (imported ``--extra``)."""
    import pandas as pd

    if column in responses.columns and column != "extra":
        values = responses[column]
    elif column not in REVIEW_COLUMNS and "extra" in responses.columns:
        values = responses["extra"].map(lambda e: _extra(e).get(column))
        if values.isna().all():
            raise InputError(f"no review column or extra field {column!r} in the survey responses", where="by")
    else:
        raise InputError(f"no review column {column!r}", where="by")
    return pd.Series(values, index=responses.index).astype(object).where(lambda s: s.notna(), "unknown").astype(str)


def _extra(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _periods(when: pd.Series, name: str) -> tuple[pd.Series, pd.Series]:
    """(start, end) of each timestamp's period (UTC); the whole span of the responses for "all"."""
    import pandas as pd

    when = pd.to_datetime(when, utc=True)
    if name == ALL:
        start, end = when.min().floor("D"), when.max().floor("D") + pd.Timedelta(days=1)
        return pd.Series(start, index=when.index), pd.Series(end, index=when.index)
    period = when.dt.tz_localize(None).dt.to_period(PERIODS[name])
    start = period.dt.start_time.dt.tz_localize("UTC")
    end = (period + 1).dt.start_time.dt.tz_localize("UTC")
    return start, end


def compute_nps(
    reviews: pd.DataFrame | None,
    *,
    period: str = "month",
    by: str | Sequence[str] | None = "source",
    min_responses: int = MIN_RESPONSES,
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS per brand x period x segment (``NPS_COLUMNS``), oldest period first.

    ``period``: day, week (ISO, Monday), month, quarter, year (or D/W/M/Q/Y) or "all" (one period spanning the
    responses). Each brand and period has a row for all its responses (``segment_by`` and ``segment`` "all")
    and one per value of each column named in ``by`` (a review column such as ``source`` or ``language``, or a
    field of the imported ``extra`` columns); a missing value is segment "unknown". Responses without a date
    count only in "all" periods. No survey responses gives an empty frame with these columns.
    """
    import pandas as pd

    name = _period_name(period)
    columns = [by] if isinstance(by, str) else list(by or [])
    responses = survey_responses(reviews)
    if name != ALL:
        responses = responses[pd.to_datetime(responses["published_at"], utc=True).notna()]
    if responses.empty:
        return _empty(NPS_COLUMNS)
    start, end = _periods(responses["published_at"], name)
    base = pd.DataFrame({"brand": responses["brand"].astype(str), "period_start": start, "period_end": end,
                         "group": responses["group"]})  # fmt: skip
    parts = [base.assign(segment_by=ALL, segment=ALL)]
    parts += [base.assign(segment_by=c, segment=_segment_values(responses, c)) for c in columns]
    keys = ["brand", "period_start", "period_end", "segment_by", "segment"]
    counts = pd.concat(parts).groupby([*keys, "group"]).size().unstack("group", fill_value=0)
    counts = counts.reindex(columns=["promoter", "passive", "detractor"], fill_value=0).reset_index()
    table = counts.rename(columns={"promoter": "promoters", "passive": "passives", "detractor": "detractors"})
    table.columns.name = None
    table.insert(1, "period", name)
    promoters, passives, detractors = (table[c].to_numpy(dtype=float) for c in ("promoters", "passives", "detractors"))
    n = promoters + passives + detractors
    table["responses"] = n.astype(np.int64)
    nps, low, high = nps_interval(promoters, passives, detractors, level)
    ok = n >= min_responses
    with np.errstate(invalid="ignore", divide="ignore"):
        table["promoter_share"] = np.where(ok, promoters / n, np.nan)
        table["detractor_share"] = np.where(ok, detractors / n, np.nan)
    table["nps"], table["nps_low"], table["nps_high"] = (np.where(ok, v, np.nan) for v in (nps, low, high))
    table["status"] = np.where(ok, "ok", "too few responses")
    table = _changes(table, nps_variance(promoters, detractors, n), level)
    order = ["brand", "period_start", "_segmented", "segment_by", "segment"]  # the brand's "all" row first
    table = table.assign(_segmented=table["segment_by"] != ALL).sort_values(order)
    return table[list(NPS_COLUMNS)].reset_index(drop=True)


def _changes(table: pd.DataFrame, variance: np.ndarray, level: float) -> pd.DataFrame:
    """The change on the period just before (the previous row of the same brand and segment, if adjacent)."""
    from scipy import stats

    table = table.assign(_var=variance).sort_values(["brand", "segment_by", "segment", "period_start"])
    same = ["brand", "segment_by", "segment"]
    before = table.groupby(same, sort=False)[["period_end", "responses", "nps", "_var"]].shift()
    adjacent = (before["period_end"] == table["period_start"]).to_numpy()
    table["previous_responses"] = np.where(adjacent, before["responses"], np.nan)
    table["previous_responses"] = table["previous_responses"].astype("Int64")
    table["previous_nps"] = np.where(adjacent, before["nps"], np.nan)
    change = table["nps"].to_numpy(dtype=float) - table["previous_nps"].to_numpy(dtype=float)
    half = stats.norm.ppf((1 + level) / 2) * 100 * np.sqrt(table["_var"].to_numpy() + before["_var"].to_numpy())
    table["change"], table["change_low"], table["change_high"] = change, change - half, change + half
    return table.drop(columns="_var")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    """A typed frame without rows, so CSV has its header and Parquet its schema."""
    import pandas as pd

    text = {"brand", "period", "segment_by", "segment", "status", "family", "feature", "category", "sign", "emotion"}
    dtypes = {c: "object" if c in text else "float64" for c in columns}
    for c in ("period_start", "period_end"):
        dtypes[c] = "datetime64[ns, UTC]"
    for c in ("responses", "promoters", "passives", "detractors", "mentions", "features"):
        dtypes[c] = "int64"
    dtypes["previous_responses"] = "Int64"
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in columns})


def compute_nps_drivers(
    sentences: pd.DataFrame | None,
    reviews: pd.DataFrame | None,
    *,
    min_mentions: int = 30,
    min_responses: int = MIN_DRIVER_RESPONSES,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> NpsDrivers:
    """Which clue categories and emotions in the comments separate promoters from detractors, per brand.

    Responses whose comment has tagged sentences enter the models (module docstring). Statuses as the rating
    drivers: "insufficient mentions" per feature, "insufficient responses" below ``min_responses``.
    """
    import pandas as pd

    from ._prepare import prepare

    responses = survey_responses(reviews)
    empty = NpsDrivers(_empty(NPS_DRIVER_COLUMNS), _empty(NPS_MODEL_COLUMNS))
    if responses.empty or sentences is None or sentences.empty:
        return empty
    mine = sentences[sentences["review_key"].isin(responses["review_key"])]
    if mine.empty:
        return empty
    data = prepare(mine.reset_index(drop=True), responses[["review_key", "brand", "published_at"]])
    contribution = responses.set_index("review_key")["group"].map({"promoter": 100.0, "passive": 0.0,
                                                                   "detractor": -100.0})  # fmt: skip
    y_all = contribution.reindex(data.review_keys).to_numpy(dtype=float)
    families = {
        "category": (np.concatenate([data.r_positive[:, 1:], data.r_negative[:, 1:]], axis=1),
                     [(f"{s[:3]}_{c}", c, s, None) for s in ("positive", "negative") for c in CATEGORIES]),
        "emotion": (np.column_stack([np.bincount(data.s_review[mine[ekman_col(g)].to_numpy(dtype=bool, na_value=False)],
                                                 minlength=data.n_reviews) > 0 for g in EMOTION_GROUPS]),
                    [(ekman_col(g), None, None, g) for g in EMOTION_GROUPS]),
    }  # fmt: skip
    features, models = [], []
    for b, brand in enumerate(data.brands):
        rows = np.flatnonzero((data.r_brand == b) & data.r_mention[:, 0] & ~np.isnan(y_all))
        for f, (family, (x, names)) in enumerate(families.items()):
            rng = np.random.default_rng([seed, b, f])
            fit = fit_features(x[rows], y_all[rows], min_mentions, min_responses, resamples, level, rng)
            models.append(_model_row(str(brand), family, fit))
            features.append(_feature_rows(str(brand), family, fit, names))
    if not models:
        return empty
    return NpsDrivers(pd.concat(features, ignore_index=True)[list(NPS_DRIVER_COLUMNS)],
                      pd.DataFrame(models, columns=list(NPS_MODEL_COLUMNS)))  # fmt: skip


def _status(status: str) -> str:
    return "insufficient responses" if status == "insufficient reviews" else status


def _model_row(brand: str, family: str, fit: FeatureFit) -> dict[str, object]:
    return {
        "brand": brand, "family": family, "status": _status(fit.status), "responses": fit.n,
        "features": int(fit.usable.sum()) if fit.status == "ok" else 0,
        "r2": float(fit.point["r2"]), "r2_low": float(fit.low["r2"]), "r2_high": float(fit.high["r2"]),
    }  # fmt: skip


def _feature_rows(brand: str, family: str, fit: FeatureFit, names: list[tuple]) -> pd.DataFrame:
    import pandas as pd

    frame: dict[str, object] = {
        "brand": brand, "family": family, "feature": [n[0] for n in names], "category": [n[1] for n in names],
        "sign": [n[2] for n in names], "emotion": [n[3] for n in names],
        "status": np.where(fit.usable, _status(fit.status), "insufficient mentions"), "responses": fit.n,
        "mentions": fit.mentions.astype(np.int64),
    }  # fmt: skip
    for name in ("importance", "coef", "impact"):
        frame[name], frame[f"{name}_low"], frame[f"{name}_high"] = fit.point[name], fit.low[name], fit.high[name]
    r2 = fit.point["r2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["importance_share"] = fit.point["importance"] / r2 if r2 > 0 else np.full(len(names), np.nan)
    frame["nps_with"], frame["nps_without"] = fit.point["mean_with"], fit.point["mean_without"]
    return pd.DataFrame(frame)
