"""Loyalty to value: loyalty-signal rates per brand x period, the customers (and, given a CLV, the value) at risk,
and per clue category what the at-risk signals of complaining reviews are associated with. Methods: docs/methods.md.

"At risk" is a review saying the customer will leave (churn) or warning others (warn). Every count is corrected
for the tagger's measured precision and recall when they are known (`TagQuality`), and every interval is one
bootstrap that resamples the reviews *and* the tagger's precision / recall, so both uncertainties are in it. The
per-category counterfactual uses the loyalty key-driver model of analysis/drivers.py (the same features and
bootstrap): how many fewer at-risk customers are associated with complaints about a category falling to the
brand's usual level, or to the best competitor's. These are associations, not effects of fixing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..taxonomy import CATEGORIES, LOYALTY_SIGNALS
from ._prepare import FREQS, Prepared, period_end, period_start, prepare, to_timestamps
from ._value_inputs import AT_RISK_SIGNALS, TagQuality, ValueInputs, tag_quality_for, value_inputs
from .drivers import LOYALTY_TARGETS, Drivers, compute_drivers, replicate_stats, usable_features
from .stats import percentile_interval, wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AT_RISK_COLUMNS", "CATEGORY_VALUE_COLUMNS", "RATE_COLUMNS", "VALUE_SIGNALS", "TagQuality", "Value",
    "ValueInputs", "compute_value", "loyalty_drivers", "tag_quality_for", "value_inputs",
]  # fmt: skip

VALUE_SIGNALS: tuple[str, ...] = (*LOYALTY_SIGNALS, "at_risk", "loyal")
_KEYS = ("brand", "period_start", "period_end")
RATE_COLUMNS = (*_KEYS, "signal", "reviews", "count", "rate", "rate_low", "rate_high", "previous_reviews",
                "previous_count", "previous_rate")  # fmt: skip
_BAND = ("", "_low", "_high")
AT_RISK_COLUMNS = (*_KEYS, "reviews", "at_risk_reviews", "tag_factor",
                   *(f"customers{s}" for s in _BAND), *(f"value{s}" for s in _BAND))  # fmt: skip
CATEGORY_VALUE_COLUMNS = (
    *_KEYS, "category", "status", "reviews", "complaint_reviews", "complaint_share", "at_risk_complaining",
    *(f"customers_complaining{s}" for s in _BAND), *(f"value_complaining{s}" for s in _BAND),
    *(f"effect{s}" for s in _BAND), "usual_share", "best_competitor", "best_share",
    *(f"{m}_vs_{ref}{s}" for ref in ("usual", "best") for m in ("fewer", "value") for s in _BAND), "rank",
)  # fmt: skip


@dataclass
class Value:
    """``rates``: share of reviews with each signal (``VALUE_SIGNALS``) per brand x period, with the period
    before; ``at_risk``: at-risk customers (and value) per brand x period; ``categories``: per brand x period x
    category, what complaints are associated with (ranked, 1 = the largest reduction); ``inputs`` and
    ``quality`` are what the figures assume, ``settings`` how they were computed."""

    rates: pd.DataFrame
    at_risk: pd.DataFrame
    categories: pd.DataFrame
    inputs: ValueInputs
    quality: TagQuality | None
    settings: dict[str, Any] = field(default_factory=dict)


def _band(point: np.ndarray, draws: np.ndarray, level: float, name: str) -> dict[str, np.ndarray]:
    lo, hi = percentile_interval(draws, level, axis=-1)
    return {name: point, f"{name}_low": lo, f"{name}_high": hi}


def _money(band: dict[str, np.ndarray], inputs: ValueInputs, old: str, new: str) -> dict[str, np.ndarray]:
    """The customer figures of ``band`` as value (x CLV), NaN without a CLV."""
    clv = inputs.clv if inputs.money else np.nan
    return {new + key[len(old) :]: np.asarray(values, dtype=float) * clv for key, values in band.items()}


def compute_value(
    sentences: pd.DataFrame | Prepared | None,
    reviews: pd.DataFrame | None = None,
    *,
    inputs: ValueInputs | None = None,
    quality: TagQuality | None = None,
    freq: str = "M",
    baseline_periods: int = 3,
    min_reviews: int = 100,
    min_mentions: int = 30,
    min_base: int = 30,
    resamples: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> Value:
    """Loyalty rates, value at risk and per-category value per brand x period (``freq`` D, W or M).

    A brand's usual complaint level is its share over the ``baseline_periods`` periods before (at least
    ``min_base`` tagged reviews); the best competitor is the other brand with the lowest share in the same
    period (at least ``min_base`` tagged reviews). The driver model needs ``min_reviews`` tagged reviews and a
    complaint in ``min_mentions`` of them, as in `compute_drivers`. Without ``inputs.clv`` value columns are NaN.
    """
    import pandas as pd

    if freq not in FREQS:
        raise InputError(f"unknown period {freq!r}; use one of {', '.join(FREQS)}", where="freq")
    inputs = inputs or ValueInputs()
    data = prepare(sentences, reviews)
    rng = np.random.default_rng([seed, 21])
    factor = quality.factor_draws(resamples, rng) if quality is not None else np.ones(resamples + 1)
    starts_r = period_start(data.r_day, freq)
    starts = np.unique(starts_r[data.r_has_day])
    r_period = np.where(data.r_has_day, np.searchsorted(starts, starts_r), -1)
    n_periods = len(starts)
    group = np.where(r_period >= 0, data.r_brand * n_periods + r_period, -1)
    size = len(data.brands) * n_periods
    groups = np.flatnonzero(np.bincount(group[group >= 0], minlength=size) > 0)
    brand_of, period_of = groups // max(n_periods, 1), groups % max(n_periods, 1)
    keys = {
        "brand": pd.Categorical.from_codes(brand_of, categories=data.brands),
        "period_start": to_timestamps(starts[period_of]),
        "period_end": to_timestamps(period_end(starts[period_of], freq)),
    }
    flags = _flags(data)
    rates = _rates(flags, group, size, groups, n_periods, keys)
    at_risk = _at_risk(flags["at_risk"], group, size, groups, factor, inputs, rng, resamples, level, keys)
    settings = {"freq": freq, "baseline_periods": baseline_periods, "min_reviews": min_reviews,
                "min_mentions": min_mentions, "min_base": min_base, "resamples": resamples, "level": level,
                "seed": seed}  # fmt: skip
    fit = _CategoryFit(data, flags["at_risk"], r_period, n_periods, factor, inputs, settings)
    parts = [fit.rows(int(b), int(p), keys, i) for i, (b, p) in enumerate(zip(brand_of, period_of, strict=True))]
    categories = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CATEGORY_VALUE_COLUMNS)
    return Value(rates, at_risk, categories[list(CATEGORY_VALUE_COLUMNS)], inputs, quality, settings)


def _flags(data: Prepared) -> dict[str, np.ndarray]:
    """Per review: each loyalty signal, at_risk (churn or warn) and loyal (recommend or return)."""
    loyalty = data.r_loyalty
    flags = {signal: loyalty[:, i] for i, signal in enumerate(LOYALTY_SIGNALS)}
    flags["at_risk"] = flags[AT_RISK_SIGNALS[0]] | flags[AT_RISK_SIGNALS[1]]
    flags["loyal"] = flags["recommend"] | flags["return"]
    return flags


def _rates(flags: dict[str, np.ndarray], group: np.ndarray, size: int, groups: np.ndarray, n_periods: int,
           keys: dict[str, Any]) -> pd.DataFrame:  # fmt: skip
    """Share of reviews with each signal per group, with the brand's previous period (its counts and share)."""
    import pandas as pd

    ok = group >= 0
    reviews = np.bincount(group[ok], minlength=size)
    has_previous = groups % max(n_periods, 1) > 0
    previous = np.where(has_previous, groups - 1, 0)
    frames = []
    for signal in VALUE_SIGNALS:
        count = np.bincount(group[ok & flags[signal]], minlength=size)
        low, high = wilson_interval(count[groups], reviews[groups])
        prev_n = np.where(has_previous, reviews[previous], 0)
        prev_k = np.where(has_previous, count[previous], 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame = dict(keys) | {
                "signal": signal, "reviews": reviews[groups], "count": count[groups],
                "rate": count[groups] / reviews[groups], "rate_low": low, "rate_high": high,
                "previous_reviews": prev_n, "previous_count": prev_k,
                "previous_rate": np.where(prev_n > 0, prev_k / np.maximum(prev_n, 1), np.nan),
            }  # fmt: skip
        frames.append(pd.DataFrame(frame))
    if not frames or not len(groups):
        return pd.DataFrame(columns=list(RATE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    out["signal"] = pd.Categorical(out["signal"], categories=list(VALUE_SIGNALS))
    return out.sort_values(["brand", "period_start", "signal"], kind="stable").reset_index(drop=True)[
        list(RATE_COLUMNS)
    ]


def _at_risk(at_risk: np.ndarray, group: np.ndarray, size: int, groups: np.ndarray, factor: np.ndarray,
             inputs: ValueInputs, rng: np.random.Generator, resamples: int, level: float,
             keys: dict[str, Any]) -> pd.DataFrame:  # fmt: skip
    """At-risk customers per group: tagged at-risk reviews x tag factor x customers per review; the bootstrap
    draws the count as resampled reviews do (binomial) and the factor from the tagger's measurements."""
    import pandas as pd

    ok = group >= 0
    n = np.bincount(group[ok], minlength=size)[groups]
    k = np.bincount(group[ok & at_risk], minlength=size)[groups]
    per = inputs.customers_per_review
    draws = rng.binomial(n[:, None], (k / np.maximum(n, 1))[:, None], size=(len(groups), resamples)) * factor[1:]
    band = _band(k * factor[0] * per, draws * per, level, "customers")
    frame = dict(keys) | {"reviews": n, "at_risk_reviews": k, "tag_factor": factor[0]} | band
    frame |= _money(band, inputs, "customers", "value")
    return pd.DataFrame(frame)[list(AT_RISK_COLUMNS)]


class _CategoryFit:
    """Per brand x period: complaint shares, the at-risk customers of complaining reviews, and the driver model's
    counterfactuals, all from one bootstrap of the brand's tagged reviews in the period."""

    def __init__(self, data: Prepared, at_risk: np.ndarray, r_period: np.ndarray, n_periods: int,
                 factor: np.ndarray, inputs: ValueInputs, settings: dict[str, Any]) -> None:  # fmt: skip
        self.data, self.at_risk, self.factor, self.inputs, self.s = data, at_risk, factor, inputs, settings
        tagged = data.r_mention[:, 0] & (r_period >= 0)
        self.x = np.concatenate([data.r_positive[:, 1:], data.r_negative[:, 1:]], axis=1)
        self.complaint = data.r_negative[:, 1:]
        # tagged reviews and complaints per brand x period, for usual levels and competitors
        cell = np.where(tagged, data.r_brand * n_periods + r_period, -1)
        shape = (len(data.brands), n_periods)
        self.tagged_n = np.bincount(cell[tagged], minlength=shape[0] * shape[1]).reshape(shape)
        self.complaints_n = np.stack(
            [np.bincount(cell[tagged & self.complaint[:, c]], minlength=shape[0] * shape[1]).reshape(shape)
             for c in range(len(CATEGORIES))], axis=-1)  # fmt: skip
        self.cell, self.tagged = cell, tagged
        self.n_periods = n_periods

    def _usual(self, b: int, p: int) -> np.ndarray:
        lo = max(p - self.s["baseline_periods"], 0)
        n = self.tagged_n[b, lo:p].sum()
        share = self.complaints_n[b, lo:p].sum(axis=0) / max(n, 1)
        return np.where(n >= self.s["min_base"] and p > 0, share, np.nan)

    def _best(self, b: int, p: int) -> tuple[list[str | None], np.ndarray]:
        n = self.tagged_n[:, p].astype(float)
        shares = self.complaints_n[:, p] / np.maximum(n, 1)[:, None]
        eligible = (n >= self.s["min_base"]) & (np.arange(len(n)) != b)
        if not eligible.any():
            return [None] * len(CATEGORIES), np.full(len(CATEGORIES), np.nan)
        masked = np.where(eligible[:, None], shares, np.inf)
        best = masked.argmin(axis=0)
        return [str(self.data.brands[i]) for i in best], masked[best, np.arange(len(CATEGORIES))]

    def rows(self, b: int, p: int, keys: dict[str, Any], index: int) -> pd.DataFrame:
        import pandas as pd

        s, per, factor = self.s, self.inputs.customers_per_review, self.factor
        n_cat, resamples = len(CATEGORIES), s["resamples"]
        rows = np.flatnonzero(self.cell == b * self.n_periods + p)
        rng = np.random.default_rng([s["seed"], 22, b, p])
        x, y = self.x[rows], self.at_risk[rows].astype(float)
        n = len(rows)
        complaining = self.complaint[rows]
        k_c, n_c = (y[:, None] * complaining).sum(axis=0), complaining.sum(axis=0)
        draws = rng.binomial(n_c[:, None], (k_c / np.maximum(n_c, 1))[:, None], size=(n_cat, resamples))
        complaining_band = _band(k_c * factor[0] * per, draws * factor[1:] * per, s["level"], "customers_complaining")
        usual = self._usual(b, p)
        best_brand, best = self._best(b, p)
        frame: dict[str, Any] = {key: [value[index]] * n_cat for key, value in keys.items()}
        frame["brand"] = pd.Categorical(frame["brand"], categories=self.data.brands)
        frame |= {"category": list(CATEGORIES), "reviews": n, "complaint_reviews": n_c,
                  "complaint_share": n_c / max(n, 1) if n else np.full(n_cat, np.nan), "at_risk_complaining": k_c,
                  "usual_share": usual, "best_competitor": best_brand, "best_share": best}  # fmt: skip
        frame |= complaining_band | _money(complaining_band, self.inputs, "customers_complaining", "value_complaining")
        frame |= self._counterfactuals(x, y, n, usual, best, rng)
        out = pd.DataFrame(frame)
        gain = out[["fewer_vs_usual", "fewer_vs_best"]].max(axis=1, skipna=True)
        out["rank"] = gain.rank(ascending=False, method="first").astype("Int64")
        return out

    def _counterfactuals(self, x: np.ndarray, y: np.ndarray, n: int, usual: np.ndarray, best: np.ndarray,
                         rng: np.random.Generator) -> dict[str, Any]:  # fmt: skip
        """Effect of a complaint on the at-risk probability (other features held fixed) and the fewer at-risk
        customers if the complaint share fell to each reference, per bootstrap replicate."""
        s, n_cat, per, level = self.s, len(CATEGORIES), self.inputs.customers_per_review, self.s["level"]
        status, usable, _ = usable_features(x, s["min_mentions"], s["min_reviews"])
        effect = np.full((n_cat, s["resamples"] + 1), np.nan)
        share = np.full_like(effect, np.nan)
        if status == "ok":
            stats = replicate_stats(x[:, usable], y, s["resamples"], rng, importance=False)
            where = np.cumsum(usable) - 1  # a usable feature's column among the usable ones
            for c in range(n_cat):
                j = n_cat + c  # neg_<category>
                if usable[j]:
                    effect[c], share[c] = stats["coef"][:, where[j]], stats["x_mean"][:, where[j]]
        out: dict[str, Any] = {"status": [status if status != "ok" or usable[n_cat + c] else "insufficient mentions"
                                          for c in range(n_cat)]}  # fmt: skip
        out |= _band(effect[:, 0], effect[:, 1:], level, "effect")
        for ref_name, ref in (("usual", usual), ("best", best)):
            fewer = effect * np.clip(share - ref[:, None], 0, None) * n * self.factor[None, :] * per
            band = _band(fewer[:, 0], fewer[:, 1:], level, f"fewer_vs_{ref_name}")
            out |= band | _money(band, self.inputs, f"fewer_vs_{ref_name}", f"value_vs_{ref_name}")
        return out


def loyalty_drivers(sentences: pd.DataFrame | Prepared | None, reviews: pd.DataFrame | None = None,
                    **kwargs: Any) -> Drivers:  # fmt: skip
    """`compute_drivers` with the loyalty outcomes (at_risk, loyal, churn, warn, recommend, return): which
    praise and complaints go with customers leaving or warning others, and with recommending or returning."""
    return compute_drivers(sentences, reviews, targets=kwargs.pop("targets", LOYALTY_TARGETS), **kwargs)
