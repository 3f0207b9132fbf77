"""Drivers: the planted star effect is recovered inside its bootstrap interval; Shapley R² is exact."""

from __future__ import annotations

import numpy as np
import pytest
from _analysis_data import driven, empty_sentences
from sklearn.linear_model import LinearRegression

from reviewmine.analysis import compute_drivers, prepare
from reviewmine.analysis._shapley import all_subset_r2, shapley_r2
from reviewmine.errors import InputError
from reviewmine.testing.synthetic import synthetic_brands


@pytest.fixture(scope="module")
def drivers():
    data = driven()
    return compute_drivers(data.sentences, data.reviews, resamples=200)


def test_planted_negative_mention_costs_its_stars(drivers):
    rating = drivers.features[drivers.features["target"] == "rating"].set_index(["brand", "feature"])
    for brand in ("Brand 00", "Brand 01"):
        price = rating.loc[(brand, "neg_price")]
        assert price["status"] == "ok" and price["mentions"] >= 100
        assert price["coef_stars_low"] < -1.0 < price["coef_stars_high"]
        assert price["impact_stars_low"] < -1.0 < price["impact_stars_high"]
        assert price["coef_stars"] == pytest.approx(4 * price["coef"])
        assert price["mean_with"] - price["mean_without"] == pytest.approx(price["impact"])
        product = rating.loc[(brand, "pos_product")]
        assert product["coef_stars_low"] < 0.4 < product["coef_stars_high"]
        brand_rows = rating.loc[brand]
        assert brand_rows["importance"].idxmax() == "neg_price"
        # Features without an effect get intervals around zero.
        null = brand_rows.drop(index=["neg_price", "pos_product"])
        assert (null["coef_stars_low"] < 0.15).all() and (null["coef_stars_high"] > -0.15).all()
        assert brand_rows["importance_share"].sum() == pytest.approx(1)
    models = drivers.models.set_index(["brand", "target"])
    assert (models["status"] == "ok").all()
    assert models.loc[("Brand 00", "rating"), "r2_low"] <= models.loc[("Brand 00", "rating"), "r2"]


def test_quadrant_labels_the_planted_driver(drivers):
    quadrant = drivers.quadrant[drivers.quadrant["target"] == "rating"].set_index(["brand", "category"])
    for brand in ("Brand 00", "Brand 01"):
        price = quadrant.loc[(brand, "price")]
        assert price["importance"] == quadrant.loc[brand, "importance"].max()
        assert price["quadrant"] in {"fix first", "keep up"}
        low = quadrant.loc[(brand, "communication")]
        assert low["quadrant"] in {"low priority", "possible overkill"}
    assert set(drivers.quadrant["quadrant"]) <= {"fix first", "keep up", "low priority", "possible overkill"}


def test_recommend_and_warn_targets_have_no_star_columns(drivers):
    warn = drivers.features[drivers.features["target"] == "warn"]
    assert warn["coef_stars"].isna().all() and warn["coef"].notna().all()


def test_shapley_r2_matches_sklearn_and_adds_up():
    rng = np.random.default_rng(0)
    x = (rng.random((2000, 6)) < 0.3).astype(float)
    x[:, 3] = x[:, 2]  # a collinear pair
    y = x @ np.array([0.5, -1.0, 0.3, 0.0, 0.2, 0.0]) + rng.normal(size=2000)
    cov = np.cov(np.column_stack([x, y]).T, bias=True)[None]
    r2 = all_subset_r2(cov[:, :6, :6], cov[:, :6, 6], cov[:, 6, 6])
    for mask in (1, 5, 12, 0b101101, 63):
        cols = [j for j in range(6) if mask >> j & 1]
        assert r2[0, mask] == pytest.approx(LinearRegression().fit(x[:, cols], y).score(x[:, cols], y))
    phi = shapley_r2(r2)[0]
    assert phi.sum() == pytest.approx(r2[0, -1])
    assert phi[2] == pytest.approx(phi[3])  # identical predictors share equally
    assert phi[1] == phi.max()


def test_small_brands_rare_features_and_missing_ratings():
    data = synthetic_brands(1, weeks=3, reviews_per_week=20, seed=4)
    small = compute_drivers(data.sentences, data.reviews, resamples=20)
    assert (small.models["status"] == "insufficient reviews").all()
    assert small.features["coef"].isna().all()
    data = synthetic_brands(1, weeks=10, reviews_per_week=40, seed=5)
    few = compute_drivers(data.sentences, data.reviews, min_mentions=200, resamples=20)
    rating = few.features[few.features["target"] == "rating"]
    assert (rating.loc[rating["mentions"] < 200, "status"] == "insufficient mentions").all()
    assert rating.loc[rating["status"] == "insufficient mentions", "importance"].isna().all()
    unrated = data.sentences.assign(rating_normalised=np.nan)
    no_ratings = compute_drivers(unrated, data.reviews.assign(rating_normalised=np.nan), resamples=20)
    models = no_ratings.models.set_index("target")
    assert models.loc["rating", "status"] == "insufficient reviews"
    assert models.loc["warn", "status"] == "ok"


def test_empty_input_and_unknown_target():
    empty = compute_drivers(empty_sentences())
    assert empty.features.empty and empty.models.empty and empty.quadrant.empty
    with pytest.raises(InputError, match="target"):
        compute_drivers(prepare(empty_sentences()), targets=("nps",))
