"""The synthetic generator honours the column contracts and plants what it says."""

from __future__ import annotations

import numpy as np
from _analysis_data import SPIKE, spiked

from reviewmine.columns import REVIEW_COLUMNS, SENTENCE_COLUMNS
from reviewmine.testing.synthetic import synthetic_brands


def test_frames_follow_the_column_contracts():
    data = spiked()
    assert tuple(data.sentences.columns) == SENTENCE_COLUMNS
    assert tuple(data.reviews.columns) == REVIEW_COLUMNS
    s, r = data.sentences, data.reviews
    assert set(s["review_key"].astype(str)) <= set(r["review_key"])
    assert str(s["published_at"].dt.tz) == "UTC" and s["rating_normalised"].between(0, 1).all()
    assert s["score"].between(-1, 1).all()
    mentioned = s["cat_price"]
    assert s.loc[mentioned, "catpol_price"].notna().all() and s.loc[~mentioned, "catpol_price"].isna().all()
    assert (s["ekman_anger"] == (s["emo_anger"] | s["emo_annoyance"] | s["emo_disapproval"])).all()
    assert r["published_at"].dt.day_of_week.nunique() == 7  # every weekday, busier on Mondays
    assert r["published_at"].dt.day_of_week.value_counts().idxmax() == 0


def test_spike_and_rating_effects_are_planted():
    s = spiked().sentences
    week = (s["published_at"] - s["published_at"].min().normalize()).dt.days // 7
    price = s[(s["brand"] == SPIKE.brand) & s["cat_price"]]
    share = (price["catpol_price"] == "negative").groupby(week[price.index]).mean()
    assert share.idxmax() == SPIKE.week and share[SPIKE.week] > 0.6 > share.drop(SPIKE.week).max()
    data = synthetic_brands(1, weeks=4, reviews_per_week=50, rating_effects={"neg_price": -1.5}, rating_noise=0)
    reviews = data.reviews.set_index("review_key")["rating"]
    neg_price = data.sentences.groupby("review_key", observed=True)["catpol_price"].agg(
        lambda x: (x == "negative").any()
    )
    stars = reviews[neg_price.index.astype(str)].to_numpy()
    assert np.allclose(stars[neg_price.to_numpy()], 3.4 - 1.5) and np.allclose(stars[~neg_price.to_numpy()], 3.4)
