"""Experience drivers: which positive / negative category mentions move the rating (and recommend / warn).

Per brand and target, a linear model on ten binary review features (a positive mention of c, a negative
mention of c, kept separate). Importance is the Shapley decomposition of R²; impact is reported both as the
regression coefficient and as practitioners compute it (mean target with vs without the feature). Intervals are
percentile bootstrap over reviews. Reviews with identical features and target are one cell, so a bootstrap
replicate is a multinomial draw of cell counts and every statistic comes from weighted cross-products.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..taxonomy import CATEGORIES
from ._prepare import NEG, POS, Prepared, prepare
from ._shapley import all_subset_r2, shapley_r2
from .stats import percentile_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ALL_TARGETS",
    "FEATURE_COLUMNS",
    "LOYALTY_TARGETS",
    "MODEL_COLUMNS",
    "QUADRANTS",
    "QUADRANT_COLUMNS",
    "TARGETS",
    "Drivers",
    "FeatureFit",
    "compute_drivers",
    "fit_features",
    "replicate_stats",
]

TARGETS: tuple[str, ...] = ("rating", "recommend", "warn")
"""The default outcomes (the rating report's and the exports')."""
LOYALTY_TARGETS: tuple[str, ...] = ("at_risk", "loyal", "churn", "warn", "recommend", "return")
"""Loyalty outcomes (analysis/value.py): ``at_risk`` = a churn or warn signal, ``loyal`` = recommend or return."""
ALL_TARGETS: tuple[str, ...] = (*TARGETS, "return", "churn", "at_risk", "loyal")
STARS = 4.0
"""A 0..1 normalised rating difference times 4 is stars on a 1-5 scale."""
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "fix first",  # important, performing below the brand's average
    (True, True): "keep up",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
FEATURE_COLUMNS: tuple[str, ...] = (
    "brand", "target", "category", "sign", "feature", "status", "reviews", "mentions",
    "importance", "importance_low", "importance_high", "importance_share",
    "coef", "coef_low", "coef_high", "impact", "impact_low", "impact_high", "mean_with", "mean_without",
    "coef_stars", "coef_stars_low", "coef_stars_high", "impact_stars", "impact_stars_low", "impact_stars_high",
)  # fmt: skip
MODEL_COLUMNS = ("brand", "target", "status", "reviews", "features", "r2", "r2_low", "r2_high")
QUADRANT_COLUMNS = (
    "brand", "target", "category", "importance", "performance", "positive_mentions", "negative_mentions", "quadrant",
)  # fmt: skip


@dataclass
class Drivers:
    """``features``: one row per brand x target x feature (``FEATURE_COLUMNS``); ``models``: fit per brand x
    target; ``quadrant``: importance vs performance per category with its label."""

    features: pd.DataFrame
    models: pd.DataFrame
    quadrant: pd.DataFrame


@dataclass
class FeatureFit:
    """One model's estimates per feature (NaN where unusable) with their bootstrap bounds; see `fit_features`."""

    status: str
    n: int
    usable: np.ndarray  # (10,) bool
    mentions: np.ndarray  # (10,)
    point: dict[str, np.ndarray]  # name -> (10,) or scalar arrays, NaN for unusable features
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]


def _bootstrap_weights(cell: np.ndarray, n_cells: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples + 1, cells) review counts per cell: the data itself, then bootstrap replicates."""
    n = cell.size
    counts = np.bincount(cell, minlength=n_cells)
    weights = np.empty((resamples + 1, n_cells))
    weights[0] = counts
    if n_cells * 4 < n:  # few distinct cells: a multinomial draw over cells is exact and cheap
        weights[1:] = rng.multinomial(n, counts / n, size=resamples)
    else:
        for i in range(1, resamples + 1):
            weights[i] = np.bincount(cell[rng.integers(0, n, n)], minlength=n_cells)
    return weights


def fit_features(x: np.ndarray, y: np.ndarray, min_mentions: int, min_reviews: int, resamples: int, level: float,
                 rng: np.random.Generator) -> FeatureFit:  # fmt: skip
    """Shapley importance, coefficients and with/without impacts with bootstrap intervals for one model.

    ``x`` (n, p <= ~12) holds binary features, ``y`` (n,) any numeric outcome: the rating here, the NPS
    contribution of a survey response in `analysis.nps`, so both share one method."""
    n, p_all = x.shape
    status, usable, mentions = usable_features(x, min_mentions, min_reviews)
    empty = {k: np.full(p_all, np.nan) for k in ("importance", "coef", "impact", "mean_with", "mean_without")}
    empty["r2"] = np.array(np.nan)
    if status != "ok":
        return FeatureFit(status, n, usable, mentions, empty, dict(empty), dict(empty))
    stats = replicate_stats(x[:, usable], y, resamples, rng)
    del stats["x_mean"]
    point, low, high = {}, {}, {}
    for name, values in stats.items():
        lo, hi = percentile_interval(values[1:], level) if resamples else (values[0],) * 2
        if values.ndim == 1:
            point[name], low[name], high[name] = values[0], lo, hi
        else:
            point[name], low[name], high[name] = (np.full(p_all, np.nan) for _ in range(3))
            point[name][usable], low[name][usable], high[name][usable] = values[0], lo, hi
    return FeatureFit("ok", n, usable, mentions, point, low, high)


def usable_features(x: np.ndarray, min_mentions: int, min_reviews: int) -> tuple[str, np.ndarray, np.ndarray]:
    """Whether a model can be fitted on ``x`` ("ok", else why not), which features enter it, and their mentions."""
    n = x.shape[0]
    mentions = x.sum(axis=0)
    usable = (mentions >= min_mentions) & (n - mentions >= min_mentions)
    if n < min_reviews or not usable.any():
        return ("insufficient reviews" if n < min_reviews else "no feature with enough mentions"), usable, mentions
    return "ok", usable, mentions


def replicate_stats(xu: np.ndarray, y: np.ndarray, resamples: int, rng: np.random.Generator, *,
                    importance: bool = True) -> dict[str, np.ndarray]:  # fmt: skip
    """Per-replicate statistics of the linear model of ``y`` on the features ``xu`` (all usable): row 0 of each
    array is the data itself, every further row a bootstrap replicate. ``x_mean`` (the share of reviews with each
    feature) and ``coef`` let analysis/value.py carry one bootstrap through derived figures; without
    ``importance`` the Shapley decomposition (the costly part) is skipped."""
    p = xu.shape[1]
    y_values, y_code = np.unique(y, return_inverse=True)
    pattern = xu.astype(np.int64) @ (1 << np.arange(p))
    _, cells_first, cell = np.unique(pattern * len(y_values) + y_code, return_index=True, return_inverse=True)
    z = np.column_stack([np.ones(len(cells_first)), xu[cells_first], y[cells_first]])  # (K, p + 2)
    weights = _bootstrap_weights(cell, len(cells_first), resamples, rng)
    moments = (weights @ (z[:, :, None] * z[:, None, :]).reshape(len(z), -1)).reshape(-1, p + 2, p + 2)
    total = moments[:, 0, 0]
    mean = moments[:, 0, :] / total[:, None]
    cov = moments / total[:, None, None] - mean[:, :, None] * mean[:, None, :]
    cov_x, cov_xy, var_y = cov[:, 1:-1, 1:-1], cov[:, 1:-1, -1], cov[:, -1, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = {
            "coef": (np.linalg.pinv(cov_x) @ cov_xy[..., None])[..., 0],
            "mean_with": moments[:, 1:-1, -1] / moments[:, 1:-1, 0],
            "mean_without": (moments[:, :1, -1] - moments[:, 1:-1, -1]) / (total[:, None] - moments[:, 1:-1, 0]),
            "x_mean": mean[:, 1:-1],
        }
        if importance:
            r2_all = all_subset_r2(cov_x, cov_xy, np.where(var_y > 0, var_y, np.nan))
            stats["importance"], stats["r2"] = shapley_r2(r2_all), r2_all[:, -1]
            if not (var_y[0] > 0):
                stats["importance"][:], stats["r2"][:] = np.nan, np.nan
    stats["impact"] = stats["mean_with"] - stats["mean_without"]
    return stats


def _targets(data: Prepared, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Target values per review of ``rows`` (NaN where unknown)."""
    loyalty = data.r_loyalty[rows]  # LOYALTY_SIGNALS: recommend, warn, return, churn
    return {  # new outcomes go last: each outcome's position seeds its bootstrap
        "rating": data.r_rating[rows],
        "recommend": loyalty[:, 0].astype(float),
        "warn": loyalty[:, 1].astype(float),
        "return": loyalty[:, 2].astype(float),
        "churn": loyalty[:, 3].astype(float),
        "at_risk": (loyalty[:, 1] | loyalty[:, 3]).astype(float),
        "loyal": (loyalty[:, 0] | loyalty[:, 2]).astype(float),
    }


def compute_drivers(
    sentences: pd.DataFrame | Prepared | None,
    reviews: pd.DataFrame | None = None,
    *,
    targets: tuple[str, ...] = TARGETS,
    min_mentions: int = 30,
    min_reviews: int = 100,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> Drivers:
    """Key-driver analysis per brand of the normalised rating and the loyalty signals (``ALL_TARGETS``: by default
    rating, recommend and warn; `LOYALTY_TARGETS` adds return, churn and the at_risk / loyal pairs).

    Features are per review: ``pos_<c>`` / ``neg_<c>`` (at least one positive / negative mention of category
    c). A feature mentioned in fewer than ``min_mentions`` reviews (or absent from fewer) is reported with
    status "insufficient mentions" and left out of the model. Intervals: ``resamples`` bootstrap replicates,
    percentile at ``level``. Rating impacts are also given in stars (x4, for a 1-5 scale).
    """
    import pandas as pd

    unknown = [t for t in targets if t not in ALL_TARGETS]
    if unknown:
        raise InputError(f"unknown target {', '.join(unknown)}; use {', '.join(ALL_TARGETS)}", where="targets")
    data = prepare(sentences, reviews)
    x_all = np.concatenate([data.r_positive[:, 1:], data.r_negative[:, 1:]], axis=1)
    names = [(c, sign) for sign in ("positive", "negative") for c in CATEGORIES]
    feature_rows, model_rows = [], []
    order = np.argsort(data.r_brand, kind="stable")
    bounds = np.searchsorted(data.r_brand[order], np.arange(len(data.brands) + 1))
    for b, brand in enumerate(data.brands):
        rows = order[bounds[b] : bounds[b + 1]]
        rows = rows[data.r_mention[rows, 0]]  # reviews with tagged sentences
        for t, (target, y) in enumerate(_targets(data, rows).items()):
            if target not in targets:
                continue
            known = ~np.isnan(y)
            rng = np.random.default_rng([seed, b, t])
            fit = fit_features(x_all[rows][known], y[known], min_mentions, min_reviews, resamples, level, rng)
            model_rows.append(_model_row(brand, target, fit))
            feature_rows.append(_feature_rows(brand, target, fit, names))
    features = pd.concat(feature_rows, ignore_index=True) if feature_rows else pd.DataFrame(columns=FEATURE_COLUMNS)
    models = pd.DataFrame(model_rows, columns=list(MODEL_COLUMNS))
    return Drivers(features=features, models=models, quadrant=_quadrant(data, features))


def _model_row(brand: str, target: str, fit: FeatureFit) -> dict[str, object]:
    return {
        "brand": brand, "target": target, "status": fit.status, "reviews": fit.n,
        "features": int(fit.usable.sum()) if fit.status == "ok" else 0,
        "r2": float(fit.point["r2"]), "r2_low": float(fit.low["r2"]), "r2_high": float(fit.high["r2"]),
    }  # fmt: skip


def _feature_rows(brand: str, target: str, fit: FeatureFit, names: list[tuple[str, str]]) -> pd.DataFrame:
    import pandas as pd

    frame: dict[str, object] = {
        "brand": brand,
        "target": target,
        "category": [c for c, _ in names],
        "sign": [s for _, s in names],
        "feature": [f"{s[:3]}_{c}" for c, s in names],
        "status": np.where(fit.usable, fit.status, "insufficient mentions"),
        "reviews": fit.n,
        "mentions": fit.mentions.astype(np.int64),
    }
    for name in ("importance", "coef", "impact"):
        frame[name], frame[f"{name}_low"], frame[f"{name}_high"] = fit.point[name], fit.low[name], fit.high[name]
    r2 = fit.point["r2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["importance_share"] = fit.point["importance"] / r2 if r2 > 0 else np.full(len(names), np.nan)
    frame["mean_with"], frame["mean_without"] = fit.point["mean_with"], fit.point["mean_without"]
    scale = STARS if target == "rating" else np.nan
    for name in ("coef", "impact"):
        for suffix in ("", "_low", "_high"):
            frame[f"{name}_stars{suffix}"] = np.asarray(frame[f"{name}{suffix}"]) * scale
    return pd.DataFrame(frame)[list(FEATURE_COLUMNS)]


def _quadrant(data: Prepared, features: pd.DataFrame) -> pd.DataFrame:
    """Importance (Shapley share of the category's two features) vs performance (positive share of its
    polar mentions); quadrant split at the brand's mean of each over categories with data."""
    import pandas as pd

    if features.empty:
        return pd.DataFrame(columns=list(QUADRANT_COLUMNS))
    brand_of = data.r_brand[data.s_review]
    counts = {}
    for code, name in ((POS, "positive_mentions"), (NEG, "negative_mentions")):
        counts[name] = np.stack(
            [np.bincount(brand_of[data.s_catpol[:, i] == code], minlength=len(data.brands)) for i in
             range(len(CATEGORIES))], axis=1)  # fmt: skip
    frame = (
        features.groupby(["brand", "target", "category"], sort=False)
        .agg(importance=("importance_share", lambda s: s.sum(min_count=1)))
        .reset_index()
    )
    b = data.brands.get_indexer(frame["brand"])
    c = np.array([CATEGORIES.index(x) for x in frame["category"]], dtype=np.int64)
    frame["positive_mentions"] = counts["positive_mentions"][b, c]
    frame["negative_mentions"] = counts["negative_mentions"][b, c]
    polar = frame["positive_mentions"] + frame["negative_mentions"]
    frame["performance"] = (frame["positive_mentions"] / polar.where(polar > 0)).astype(float)
    keys = ["brand", "target"]
    has = frame["importance"].notna() & frame["performance"].notna()
    imp_mean = frame["importance"].where(has).groupby([frame[k] for k in keys]).transform("mean")
    perf_mean = frame["performance"].where(has).groupby([frame[k] for k in keys]).transform("mean")
    labels = [
        QUADRANTS[(bool(i >= im), bool(p >= pm))] if ok else "insufficient data"
        for i, p, im, pm, ok in zip(frame["importance"], frame["performance"], imp_mean, perf_mean, has, strict=True)
    ]
    frame["quadrant"] = labels
    return frame[list(QUADRANT_COLUMNS)]
