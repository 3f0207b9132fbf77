"""NPS on frames: hand-checked arithmetic, the interval, periods, segments and changes, the planted driver, and
no NPS at all from stars (whatever the source is called)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _nps_data import PLANTED, frames, responses

from reviewmine.analysis import compute_drivers
from reviewmine.analysis.nps import (
    NPS_COLUMNS,
    NPS_DRIVER_COLUMNS,
    compute_nps,
    compute_nps_drivers,
    nps_interval,
    survey_responses,
)
from reviewmine.errors import InputError


def _reviews(
    scores: list[float], scale: tuple[float, float] = (0, 10), day: str = "2025-03-05", **extra
) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame({
        "review_key": [f"s:{day}:{i}" for i in range(n)], "brand": "Acme", "source": "survey",
        "published_at": pd.Timestamp(day, tz="UTC"), "rating": scores, "rating_min": scale[0],
        "rating_max": scale[1], "extra": "{}", **extra,
    })  # fmt: skip


def test_hand_checked_nps():
    # promoters 10, 10, 9, 9, 9 (5); passives 8, 7 (2); detractors 6, 2, 0 (3): NPS = 50% - 30% = +20
    table = compute_nps(_reviews([10, 10, 9, 9, 9, 8, 7, 6, 2, 0]), period="month", by=None, min_responses=1)
    assert list(table.columns) == list(NPS_COLUMNS) and len(table) == 1
    row = table.iloc[0]
    assert (row["responses"], row["promoters"], row["passives"], row["detractors"]) == (10, 5, 2, 3)
    assert row["nps"] == pytest.approx(20) and row["promoter_share"] == 0.5 and row["detractor_share"] == 0.3
    assert row["nps_low"] < 20 < row["nps_high"] and row["status"] == "ok"
    assert (row["period_start"], row["period_end"]) == (pd.Timestamp("2025-03-01", tz="UTC"),
                                                        pd.Timestamp("2025-04-01", tz="UTC"))  # fmt: skip
    # a 6 is a detractor, an 8.5 (a non-integer 0-10 score) a passive
    assert survey_responses(_reviews([6, 8.5, 9]))["group"].tolist() == ["detractor", "passive", "promoter"]


def test_interval_is_the_standard_one_at_large_n_and_wide_at_small_n():
    nps, low, high = nps_interval(np.array([500, 15]), np.array([200, 6]), np.array([300, 9]))
    assert nps[0] == pytest.approx(20)
    half = 1.959964 * 100 * np.sqrt((0.5 + 0.3 - 0.2**2) / 1000)  # (p+ + p- - (p+ - p-)^2) / n
    assert low[0] == pytest.approx(20 - half, abs=0.3) and high[0] == pytest.approx(20 + half, abs=0.3)
    assert high[1] - low[1] > 50 > high[0] - low[0]  # 30 responses: about ±30 points
    all_promoters = nps_interval(np.array([12]), np.array([0]), np.array([0]))
    assert all_promoters[0][0] == 100 and all_promoters[2][0] == 100 and all_promoters[1][0] < 100


def test_below_the_minimum_counts_only():
    table = compute_nps(_reviews([10] * 20 + [0] * 9), by=None)  # 29 < 30
    row = table.iloc[0]
    assert row["status"] == "too few responses" and row["responses"] == 29 and row["promoters"] == 20
    assert np.isnan([row["nps"], row["nps_low"], row["nps_high"], row["promoter_share"]]).all()


def test_periods_segments_and_change():
    march = _reviews([10] * 30 + [0] * 10, source=["email"] * 20 + ["app"] * 20)
    april = _reviews([10] * 20 + [0] * 20, day="2025-04-10", source="email").assign(extra='{"plan": "pro"}')
    table = compute_nps(pd.concat([march, april]), period="M", by=["source", "plan"], min_responses=10)
    overall = table[table["segment_by"] == "all"].set_index("period_start")
    apr = overall.loc[pd.Timestamp("2025-04-01", tz="UTC")]
    assert apr["nps"] == 0 and apr["previous_nps"] == 50 and apr["change"] == -50
    assert apr["previous_responses"] == 40 and apr["change_low"] < -50 < apr["change_high"]
    assert np.isnan(overall.iloc[0]["change"])
    segments = table.set_index(["period_start", "segment_by", "segment"])["responses"]
    assert segments[(pd.Timestamp("2025-03-01", tz="UTC"), "source", "app")] == 20
    assert segments[(pd.Timestamp("2025-03-01", tz="UTC"), "plan", "unknown")] == 40  # no extra field: unknown
    assert segments[(pd.Timestamp("2025-04-01", tz="UTC"), "plan", "pro")] == 40
    quarter = compute_nps(pd.concat([march, april]), period="quarter", by=None, min_responses=10)
    assert quarter["period_start"].tolist() == [pd.Timestamp("2025-01-01", tz="UTC"),
                                                pd.Timestamp("2025-04-01", tz="UTC")]  # fmt: skip
    everything = compute_nps(pd.concat([march, april]), period="all", by=None)
    assert everything["responses"].tolist() == [80] and everything["nps"].iloc[0] == pytest.approx(25)
    with pytest.raises(InputError, match="period"):
        compute_nps(march, period="fortnight")
    with pytest.raises(InputError, match="region"):
        compute_nps(march, by="region")


def test_stars_never_give_an_nps():
    stars = _reviews([5, 5, 4, 1, 2] * 10, scale=(1, 5))  # source "survey", but 1-5 stars
    table = compute_nps(stars, by="source")
    assert table.empty and list(table.columns) == list(NPS_COLUMNS)
    assert survey_responses(_reviews([8] * 5, scale=(1, 10))).empty  # nor any other scale
    sentences, reviews = frames(responses(300, 3), scale=(1, 5))
    drivers = compute_nps_drivers(sentences, reviews.assign(rating=reviews["rating"].clip(1, 5)))
    assert drivers.features.empty and list(drivers.features.columns) == list(NPS_DRIVER_COLUMNS)
    assert compute_nps(None).empty and compute_nps_drivers(None, None).models.empty


@pytest.fixture(scope="module")
def planted():
    # a fixed draw: over 60 other seeds the 95% interval held the planted -95 in 54 (coef) and 56 (impact)
    sentences, reviews = frames(responses(1200, 4))
    return compute_nps_drivers(sentences, reviews, resamples=200)


def test_planted_delivery_complaints_are_recovered(planted):
    rows = planted.features.set_index("feature")
    delivery = rows.loc["neg_place_process"]
    assert delivery["status"] == "ok" and delivery["family"] == "category" and delivery["mentions"] > 250
    assert delivery["coef_low"] < PLANTED < delivery["coef_high"]
    assert delivery["impact_low"] < PLANTED < delivery["impact_high"]
    assert delivery["nps_with"] - delivery["nps_without"] == pytest.approx(delivery["impact"])
    assert delivery["importance_share"] > 0.9
    people = rows.loc["pos_people"]  # no effect once delivery is held fixed: an interval near 0
    assert people["coef_low"] < 5 and people["coef_high"] > -5 and people["importance_share"] < 0.1
    anger = rows.loc["ekman_anger"]
    assert anger["family"] == "emotion" and anger["status"] == "ok" and anger["coef_high"] < -50
    assert rows.loc["ekman_joy", "status"] == "insufficient mentions"
    models = planted.models.set_index("family")
    assert (models["status"] == "ok").all() and (models["responses"] == 1200).all()


def test_nps_drivers_share_the_rating_drivers_method(planted):
    """The same fit on a rating equal to the NPS contribution gives the same numbers (one method, two outcomes)."""
    sentences, reviews = frames(responses(1200, 4))
    contribution = survey_responses(reviews)["group"].map({"promoter": 1.0, "passive": 0.5, "detractor": 0.0})
    rating = compute_drivers(sentences, reviews.assign(rating_normalised=contribution.to_numpy()),
                             targets=("rating",), resamples=200)  # fmt: skip
    mine = planted.features.set_index("feature").loc["neg_place_process"]
    theirs = rating.features.set_index("feature").loc["neg_place_process"]
    assert mine["coef"] == pytest.approx(200 * theirs["coef"]) and mine["impact"] == pytest.approx(
        200 * theirs["impact"]
    )


def test_small_surveys_get_no_drivers():
    sentences, reviews = frames(responses(60, 2))
    drivers = compute_nps_drivers(sentences, reviews)
    assert set(drivers.models["status"]) == {"insufficient responses"} and drivers.features["coef"].isna().all()
