"""Vectorised intervals and tests used by metrics and risk; formulas are in docs/methods.md.

Every function takes numpy arrays of counts (one element per group) and returns arrays, so millions of groups
cost a handful of numpy calls. Groups with no observations get NaN rather than a warning. scipy and statsmodels
are imported inside the functions, keeping ``import reviewmine.analysis`` (and the CLI start-up) light.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "JEFFREYS",
    "bh_qvalues",
    "count_excess_pvalue",
    "mean_interval",
    "net_sentiment_interval",
    "percentile_interval",
    "share_shift",
    "wilson_interval",
]

JEFFREYS = 0.5
"""Dirichlet prior weight per polarity for the net-sentiment interval (Jeffreys' prior)."""


def percentile_interval(draws: np.ndarray, level: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bounds of bootstrap ``draws`` along ``axis``; NaN (no warning) where every draw is NaN, e.g. a
    constant target's."""
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=axis)
    return low, high


def _as_float(x: np.ndarray | float) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def wilson_interval(count: np.ndarray, nobs: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for count/nobs (statsmodels); NaN where nobs == 0."""
    from statsmodels.stats.proportion import proportion_confint

    count, nobs = _as_float(count), _as_float(nobs)
    lo, hi = np.full(nobs.shape, np.nan), np.full(nobs.shape, np.nan)
    ok = nobs > 0
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(count[ok], nobs[ok], alpha=1 - level, method="wilson")
        share = count[ok] / nobs[ok]  # keep the estimate inside despite rounding at 0 and 1
        lo[ok], hi[ok] = np.fmin(lo[ok], share), np.fmax(hi[ok], share)
    return lo, hi


def net_sentiment_interval(
    pos: np.ndarray, neg: np.ndarray, neu: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Net sentiment (%pos - %neg, on -1..1) with a Dirichlet-posterior interval.

    The posterior of the polarity shares under a Jeffreys prior is Dirichlet(pos+½, neg+½, neu+½); the
    difference D = θ+ − θ− has closed-form mean and variance, and (D+1)/2 is matched to a Beta by moments
    (tests check the quantiles against Monte Carlo draws from the Dirichlet). Unlike a Wald interval it stays
    inside -1..1 and is not degenerate at 0 or 100% positive; accurate to ~0.01 from a dozen sentences.
    Returns (estimate, low, high); NaN where there are no sentences.
    """
    from scipy import stats

    pos, neg, neu = _as_float(pos), _as_float(neg), _as_float(neu)
    n = pos + neg + neu
    a_pos, a_neg = pos + JEFFREYS, neg + JEFFREYS
    total = n + 3 * JEFFREYS
    mean_d = (a_pos - a_neg) / total
    var_d = ((a_pos + a_neg) / total - mean_d**2) / (total + 1)
    m = (mean_d + 1) / 2  # moments of (D + 1) / 2 on 0..1
    v = var_d / 4
    common = m * (1 - m) / v - 1
    alpha, beta = m * common, (1 - m) * common
    lo = 2 * stats.beta.ppf((1 - level) / 2, alpha, beta) - 1
    hi = 2 * stats.beta.ppf((1 + level) / 2, alpha, beta) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (pos - neg) / n
    # As in Brown, Cai & DasGupta's Jeffreys interval, the bounds are widened to include the observed value
    # (all sentences negative gives a lower bound of -1, not the prior-shrunk posterior quantile).
    lo, hi = np.fmin(lo, estimate), np.fmax(hi, estimate)
    empty = n == 0
    estimate[empty], lo[empty], hi[empty] = np.nan, np.nan, np.nan
    return estimate, lo, hi


def mean_interval(
    total: np.ndarray, total_sq: np.ndarray, n: np.ndarray, level: float = 0.95, bounds: tuple[float, float] = (0, 1)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean with a Student-t interval from per-group sums, clipped to ``bounds``.

    Returns (mean, low, high); the mean is NaN without observations, the interval NaN with fewer than two.
    """
    from scipy import stats

    total, total_sq, n = _as_float(total), _as_float(total_sq), _as_float(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = np.maximum(total_sq - n * mean**2, 0) / (n - 1)
        sem = np.sqrt(var / n)
    lo, hi = np.full(n.shape, np.nan), np.full(n.shape, np.nan)
    ok = n >= 2
    if ok.any():
        half = stats.t.ppf((1 + level) / 2, n[ok] - 1) * sem[ok]
        lo[ok] = np.clip(mean[ok] - half, *bounds)
        hi[ok] = np.clip(mean[ok] + half, *bounds)
    mean[n == 0] = np.nan
    return mean, lo, hi


def share_shift(
    count: np.ndarray, nobs: np.ndarray, base_count: np.ndarray, base_nobs: np.ndarray, level: float = 0.90
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rise of a share over its baseline: (difference, lower bound, one-sided p-value).

    The p-value is Fisher's exact one-sided test that the share rose (the hypergeometric tail, scipy): exact,
    so small weekly samples do not raise false alarms as normal approximations do. The lower bound is the
    Newcombe hybrid-score interval at ``level`` two-sided (a one-sided (1+level)/2 bound, statsmodels).
    NaN where either side has no observations.
    """
    from scipy import stats
    from statsmodels.stats.proportion import confint_proportions_2indep

    count, nobs = _as_float(count), _as_float(nobs)
    base_count, base_nobs = _as_float(base_count), _as_float(base_nobs)
    diff, low, pvalue = (np.full(nobs.shape, np.nan) for _ in range(3))
    ok = (nobs > 0) & (base_nobs > 0)
    if ok.any():
        args = (count[ok], nobs[ok], base_count[ok], base_nobs[ok])
        diff[ok] = args[0] / args[1] - args[2] / args[3]
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            low[ok] = confint_proportions_2indep(*args, method="newcomb", alpha=1 - level)[0]
        k, n, k0, n0 = args
        pvalue[ok] = stats.hypergeom.sf(k - 1, n + n0, k + k0, n)
    return diff, low, pvalue


def count_excess_pvalue(count: np.ndarray, expected: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """One-sided p-value that ``count`` exceeds a predictive distribution of the given mean and variance.

    Negative binomial with that mean and variance (scipy), Poisson when the variance is not above the mean;
    NaN where the expected count is not positive.
    """
    from scipy import stats

    count, mu = _as_float(count), _as_float(expected)
    var = np.maximum(_as_float(variance), mu)
    pvalue = np.full(count.shape, np.nan)
    ok = mu > 0
    over = ok & (var > mu * (1 + 1e-9))
    poisson = ok & ~over
    if poisson.any():
        pvalue[poisson] = stats.poisson.sf(count[poisson] - 1, mu[poisson])
    if over.any():
        m, v = mu[over], var[over]
        pvalue[over] = stats.nbinom.sf(count[over] - 1, m**2 / (v - m), m / v)
    return pvalue


def bh_qvalues(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) over the non-NaN entries (scipy); NaN stays NaN."""
    from scipy import stats

    p = _as_float(pvalues)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(np.clip(p[ok], 0, 1), method="bh")
    return q
