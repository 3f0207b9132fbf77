"""Risk: the planted complaint spike is found, stationary brands stay quiet, scores are bounded and monotone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _analysis_data import SPIKE, empty_sentences, spiked

from reviewmine.analysis import RiskSettings, compute_risk, prepare
from reviewmine.errors import InputError
from reviewmine.testing.synthetic import synthetic_brands


def test_planted_spike_is_found_with_its_week_size_and_examples():
    data = spiked()
    result = compute_risk(data.sentences, data.reviews)
    events = result.events
    week = pd.Timestamp(data.truth["start"], tz="UTC") + pd.Timedelta(weeks=SPIKE.week)
    hit = events[(events["brand"] == SPIKE.brand) & (events["category"] == SPIKE.category)]
    share = hit[hit["kind"] == "negative_share"]
    assert len(share) == 1
    event = share.iloc[0]
    assert event["period_start"] == week and event["period_end"] == week + pd.Timedelta(days=7)
    assert event["size"] > 0.2 and event["q_value"] < 0.001 and event["value"] > event["baseline"]
    assert (hit["period_start"] == week).all()  # negative volume and volume spike in the same week, nowhere else
    examples = event["examples"]
    assert 2 <= len(examples) <= 4
    assert all(e["review_key"].startswith("synthetic:") and e["url"].startswith("https://") for e in examples)
    assert all("terrible" in e["text"] for e in examples)  # negative price sentences
    assert [e["why"] for e in examples][:3] == ["most negative"] * 3
    assert len({e["review_key"] for e in examples}) == len(examples)
    # The strongest evidence in the whole data set is the planted spike.
    top = events.iloc[0]
    assert (top["brand"], top["category"], top["period_start"]) == (SPIKE.brand, SPIKE.category, week)


def test_stationary_brands_rarely_raise_events():
    data = synthetic_brands(100, weeks=30, reviews_per_week=40, seed=7)
    result = compute_risk(data.sentences, data.reviews)
    brands_with_events = result.events["brand"].nunique()
    assert brands_with_events <= 5, result.events.drop(columns="examples")
    scores = result.scores
    assert scores["score"].between(0, 100).all()
    assert scores["c_shift"].lt(0.5).all()  # no brand shifted in the current window


def test_score_has_components_and_reacts_to_the_current_window():
    data = spiked()
    week = pd.Timestamp(data.truth["start"], tz="UTC") + pd.Timedelta(weeks=SPIKE.week, days=3)
    during = compute_risk(data.sentences, data.reviews, as_of=week).scores.set_index(["brand", "category"])
    after = compute_risk(data.sentences, data.reviews).scores.set_index(["brand", "category"])
    key = (SPIKE.brand, SPIKE.category)
    assert during.loc[key, "window_end"] == week.normalize() + pd.Timedelta(days=4)  # end of that ISO week
    assert during.loc[key, "shift"] > 0.05 and during.loc[key, "c_shift"] > 0
    assert during.loc[key, "score"] > after.loc[key, "score"]
    quiet = during.drop(index=key)
    assert during.loc[key, "score"] == during["score"].max()
    assert quiet["c_shift"].max() < during.loc[key, "c_shift"]
    weights = RiskSettings().weights
    recomputed = 100 * sum(weights[k] * during[f"c_{k}"] for k in weights)
    np.testing.assert_allclose(during["score"], recomputed)
    for column in ("c_shift", "c_velocity", "c_volume", "c_severity"):
        assert during[column].between(0, 1).all()
    parts = during[["anger_disgust_share", "warn_churn_share", "low_star_share", "unanswered_negative_share"]]
    np.testing.assert_allclose(during["severity"], parts.mean(axis=1))


def test_few_reviews_give_no_score_and_no_events():
    data = synthetic_brands(1, weeks=20, reviews_per_week=2, seed=3)
    result = compute_risk(data.sentences, data.reviews)
    assert not result.scores["enough_data"].any()
    assert result.scores["score"].isna().all()
    assert result.events.empty


def test_empty_input_and_as_of_before_the_data():
    empty = compute_risk(empty_sentences())
    assert empty.scores.empty and empty.events.empty and "examples" in empty.events.columns
    data = spiked()
    with pytest.raises(InputError, match="as_of"):
        compute_risk(prepare(data.sentences, data.reviews), as_of="2020-01-01")


def test_settings_are_checked():
    with pytest.raises(InputError, match="add up"):
        RiskSettings(weights={"shift": 1, "velocity": 1, "volume": 0, "severity": 0})
