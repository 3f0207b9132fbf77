"""Intervals and tests against library references and simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from reviewmine.analysis.stats import (
    bh_qvalues,
    count_excess_pvalue,
    mean_interval,
    net_sentiment_interval,
    share_shift,
    wilson_interval,
)


def test_wilson_matches_statsmodels_and_is_nan_without_observations():
    lo, hi = wilson_interval(np.array([0, 3, 10, 0]), np.array([10, 10, 10, 0]))
    ref_lo, ref_hi = proportion_confint(np.array([0, 3, 10]), np.array([10, 10, 10]), method="wilson")
    np.testing.assert_allclose(lo[:3], ref_lo)
    np.testing.assert_allclose(hi[:3], ref_hi)
    assert np.isnan(lo[3]) and np.isnan(hi[3])
    assert lo[0] == 0 and hi[2] == pytest.approx(1)


@pytest.mark.parametrize("counts", [(40, 10, 50), (3, 0, 1), (0, 12, 0), (500, 300, 200)])
def test_net_sentiment_interval_matches_dirichlet_posterior(counts):
    pos, neg, neu = counts
    est, lo, hi = net_sentiment_interval(np.array([pos]), np.array([neg]), np.array([neu]))
    draws = stats.dirichlet.rvs(np.array(counts) + 0.5, size=200_000, random_state=0)
    diff = draws[:, 0] - draws[:, 1]
    assert est[0] == pytest.approx((pos - neg) / sum(counts))
    assert lo[0] == pytest.approx(np.quantile(diff, 0.025), abs=0.02)
    assert hi[0] == pytest.approx(np.quantile(diff, 0.975), abs=0.02)
    assert -1 <= lo[0] <= est[0] <= hi[0] <= 1


def test_net_sentiment_interval_covers_the_truth():
    rng = np.random.default_rng(0)
    truth = np.array([0.5, 0.2, 0.3])
    counts = rng.multinomial(60, truth, size=4000)
    _, lo, hi = net_sentiment_interval(counts[:, 0], counts[:, 1], counts[:, 2])
    coverage = np.mean((lo <= 0.3) & (hi >= 0.3))
    assert 0.93 <= coverage <= 0.975


def test_net_sentiment_is_nan_without_sentences():
    est, lo, hi = net_sentiment_interval(np.array([0]), np.array([0]), np.array([0]))
    assert np.isnan([est[0], lo[0], hi[0]]).all()


def test_mean_interval_matches_student_t():
    x = np.array([0.0, 0.25, 0.5, 1.0, 0.75])
    mean, lo, hi = mean_interval(np.array([x.sum()]), np.array([(x**2).sum()]), np.array([5]))
    ref = stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
    assert mean[0] == pytest.approx(x.mean())
    assert lo[0] == pytest.approx(max(ref[0], 0)) and hi[0] == pytest.approx(min(ref[1], 1))
    one = mean_interval(np.array([0.5, 0.0]), np.array([0.25, 0.0]), np.array([1, 0]))
    assert one[0][0] == 0.5 and np.isnan(one[1][0]) and np.isnan(one[0][1])


def test_share_shift_is_fishers_one_sided_test():
    diff, low, p = share_shift(np.array([30, 5]), np.array([60, 50]), np.array([40, 20]), np.array([200, 200]))
    assert diff[0] == pytest.approx(0.5 - 0.2)
    assert p[0] == pytest.approx(stats.fisher_exact([[30, 30], [40, 160]], alternative="greater").pvalue)
    assert p[1] == pytest.approx(stats.fisher_exact([[5, 45], [20, 180]], alternative="greater").pvalue)
    assert 0 < low[0] < diff[0]
    empty = share_shift(np.array([0]), np.array([0]), np.array([1]), np.array([10]))
    assert np.isnan(empty).all()


def test_count_excess_poisson_and_negative_binomial():
    p = count_excess_pvalue(np.array([15, 15, 3]), np.array([8.0, 8.0, 0.0]), np.array([8.0, 20.0, 1.0]))
    assert p[0] == pytest.approx(stats.poisson.sf(14, 8))
    n, q = 8**2 / 12, 8 / 20
    assert p[1] == pytest.approx(stats.nbinom.sf(14, n, q))
    assert p[1] > p[0]  # overdispersion makes the same count less surprising
    assert np.isnan(p[2])


def test_bh_matches_statsmodels_and_keeps_nan():
    p = np.array([0.001, 0.2, np.nan, 0.04, 0.03])
    q = bh_qvalues(p)
    ref = multipletests(p[~np.isnan(p)], method="fdr_bh")[1]
    np.testing.assert_allclose(q[~np.isnan(p)], ref)
    assert np.isnan(q[2])
