"""Value at risk: a planted churn effect of one category is recovered with intervals covering the truth; the tag
quality correction scales counts and widens intervals; without a CLV no money figure exists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reviewmine.analysis.value import TagQuality, compute_value, loyalty_drivers, value_inputs
from reviewmine.columns import catpol_col, loy_col
from reviewmine.testing.synthetic import Spike, synthetic_brands

EFFECT, BASE = 0.25, 0.04  # P(at risk) = BASE + EFFECT x (the review complains about price)
SPIKE_WEEKS = range(22, 26)  # Brand 00's price complaints jump in June 2025 (weeks from 2025-01-06)
JUNE = pd.Timestamp("2025-06-01", tz="UTC")
METRICS = Path(__file__).parents[2] / "models" / "reviewmine-tagger" / "metrics.json"


def planted(seed: int = 3):
    """Synthetic brands whose only at-risk signal is churn, drawn per review from its price complaints."""
    spikes = tuple(Spike("Brand 00", "price", w, negative_share=0.8) for w in SPIKE_WEEKS)
    data = synthetic_brands(3, weeks=26, reviews_per_week=80, seed=seed, spikes=spikes)
    s = data.sentences
    review = s["review_key"].cat.codes.to_numpy()
    neg_price = np.bincount(review[(s[catpol_col("price")] == "negative").to_numpy()], minlength=review.max() + 1) > 0
    rng = np.random.default_rng(seed)
    at_risk = rng.random(neg_price.size) < BASE + EFFECT * neg_price
    first = np.r_[True, review[1:] != review[:-1]]
    s[loy_col("warn")] = False
    s[loy_col("churn")] = first & at_risk[review]
    return data, neg_price


@pytest.fixture(scope="module")
def value():
    data, _ = planted()
    return compute_value(data.sentences, data.reviews, inputs=value_inputs(420, "EUR"), resamples=400)


def _row(table: pd.DataFrame, brand: str = "Brand 00", start: pd.Timestamp = JUNE, **where: str) -> pd.Series:
    mask = (table["brand"].astype(str) == brand) & (table["period_start"] == start)
    for key, item in where.items():
        mask &= table[key].astype(str) == item
    assert mask.sum() == 1
    return table[mask].iloc[0]


def test_planted_churn_effect_of_price_is_recovered(value) -> None:
    price = _row(value.categories, category="price")
    assert price["status"] == "ok" and price["rank"] == 1
    assert price["effect_low"] < EFFECT < price["effect_high"]
    assert price["complaint_share"] > 0.3 > price["usual_share"]
    # the in-sample truth: EFFECT per complaining review above the usual level
    truth = EFFECT * (price["complaint_share"] - price["usual_share"]) * price["reviews"]
    assert price["fewer_vs_usual_low"] < truth < price["fewer_vs_usual_high"]
    assert price["value_vs_usual"] == pytest.approx(420 * price["fewer_vs_usual"])
    june = value.categories[(value.categories["brand"] == "Brand 00") & (value.categories["period_start"] == JUNE)]
    others = june[june["category"] != "price"]
    ok = others[others["status"] == "ok"]
    assert (ok["effect_low"] < 0.12).all()  # no other category carries the effect
    assert (others["rank"].dropna() > 1).all()


def test_value_at_risk_counts_customers_signalling_churn(value) -> None:
    row = _row(value.at_risk)
    assert row["customers"] == row["at_risk_reviews"] and row["tag_factor"] == 1
    assert row["customers_low"] < row["customers"] < row["customers_high"]
    assert row["value"] == 420 * row["customers"] and row["value_low"] == pytest.approx(420 * row["customers_low"])
    rate = _row(value.rates, signal="at_risk")
    assert rate["count"] == row["at_risk_reviews"] and rate["previous_rate"] < rate["rate"]
    assert set(value.rates["signal"].astype(str)) == {"recommend", "warn", "return", "churn", "at_risk", "loyal"}


def test_without_a_clv_there_is_no_money() -> None:
    data, _ = planted()
    value = compute_value(data.sentences, data.reviews, resamples=50)
    money = [c for c in (*value.at_risk.columns, *value.categories.columns) if c.startswith("value")]
    assert money and value.at_risk[[c for c in money if c in value.at_risk]].isna().all().all()
    assert value.categories[[c for c in money if c in value.categories]].isna().all().all()
    assert value.at_risk["customers"].notna().all() and not value.inputs.money


def test_tag_quality_corrects_counts_and_widens_the_interval() -> None:
    quality = TagQuality.from_metrics(json.loads(METRICS.read_text()), source="metrics.json")
    assert quality is not None and set(quality.counts) == {"recommend", "warn", "return", "churn"}
    tp, fp, fn = quality.counts["churn"]
    assert tp / (tp + fn) == pytest.approx(0.708, abs=0.01) and tp / (tp + fp) == pytest.approx(0.888, abs=0.01)
    precision, recall = quality.precision_recall()
    draws = quality.factor_draws(4000, np.random.default_rng(0))
    assert draws[0] == pytest.approx(precision / recall)
    assert np.median(draws[1:]) == pytest.approx(draws[0], rel=0.05)
    data, _ = planted()
    plain = compute_value(data.sentences, data.reviews, resamples=300)
    tagged = compute_value(data.sentences, data.reviews, quality=quality, resamples=300)
    a, b = _row(plain.at_risk), _row(tagged.at_risk)
    assert b["customers"] == pytest.approx(a["customers"] * precision / recall)
    assert (b["customers_high"] - b["customers_low"]) / b["customers"] > (a["customers_high"] - a["customers_low"]) / a[
        "customers"
    ]


def test_customers_per_review_scales_every_count() -> None:
    data, _ = planted()
    one = compute_value(data.sentences, data.reviews, resamples=50, inputs=value_inputs(100, "GBP"))
    ten = compute_value(data.sentences, data.reviews, resamples=50, inputs=value_inputs(100, "GBP", 10))
    assert _row(ten.at_risk)["customers"] == 10 * _row(one.at_risk)["customers"]
    assert _row(ten.categories, category="price")["value_vs_usual"] == pytest.approx(
        10 * _row(one.categories, category="price")["value_vs_usual"]
    )


def test_loyalty_drivers_find_the_churn_driver() -> None:
    data, _ = planted()
    june = data.sentences[data.sentences["published_at"] >= JUNE]
    drivers = loyalty_drivers(june, resamples=100, targets=("at_risk", "loyal"))
    rows = drivers.features[(drivers.features["brand"] == "Brand 00") & (drivers.features["target"] == "at_risk")]
    price = rows.set_index("feature").loc["neg_price"]
    assert price["coef_low"] < EFFECT < price["coef_high"]
    assert rows.set_index("feature")["importance"].idxmax() == "neg_price"
    assert set(drivers.models["target"]) == {"at_risk", "loyal"}
