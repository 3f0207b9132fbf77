"""Data shared by the report tests: synthetic brands with a planted spike and hostile review text."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from reviewmine.columns import catpol_col
from reviewmine.testing.synthetic import Spike, SyntheticData, synthetic_brands

SPIKE = Spike("Brand 01", "price", week=27, negative_share=0.8)
HOSTILE = '<script>alert("pwned")</script> "><img src=x onerror=alert(1)> [click](javascript:alert(2)) | *bold*'
BAD_URL = "javascript:alert(3)"


@lru_cache(maxsize=1)
def hostile() -> SyntheticData:
    """Three brands over 30 weeks with ratings; Brand 01's price complaints spike in week 27, and every one of
    its negative price sentences that week reads as an injection attempt; those reviews link to javascript:."""
    data = synthetic_brands(
        3, weeks=30, reviews_per_week=50, spikes=(SPIKE,), rating_effects={"neg_price": -1.0, "pos_product": 0.5},
        discrete_ratings=True, seed=3,
    )  # fmt: skip
    sentences = data.sentences.copy()
    sentences["text"] = sentences["text"].astype(object)
    week = (sentences["published_at"] - pd.Timestamp(data.truth["start"], tz="UTC")).dt.days // 7
    hit = (sentences["brand"] == SPIKE.brand) & (week == SPIKE.week) & (sentences[catpol_col("price")] == "negative")
    sentences.loc[hit, "text"] = HOSTILE
    reviews = data.reviews.copy()
    bad_keys = set(sentences.loc[hit, "review_key"].astype(str))
    reviews["url"] = np.where(reviews["review_key"].astype(str).isin(bad_keys), BAD_URL, reviews["url"])
    return SyntheticData(sentences=sentences, reviews=reviews, truth=data.truth | {"hostile_reviews": bad_keys})
