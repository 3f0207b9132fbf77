"""Synthetic data shared by the analysis tests, generated once per session (the generator is deterministic)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from reviewmine.columns import SENTENCE_COLUMNS, cat_col, catpol_col
from reviewmine.taxonomy import CATEGORIES
from reviewmine.testing.synthetic import Spike, SyntheticData, synthetic_brands

SPIKE = Spike("Brand 01", "price", week=20, negative_share=0.7)
_DEFAULTS: dict[str, Any] = {
    "source": "test", "model_version": "test", "sentence_idx": 0, "text": "", "score": 0.0,
    "rating_normalised": float("nan"), "polarity": "neutral",
}  # fmt: skip


@lru_cache(maxsize=1)
def spiked() -> SyntheticData:
    """Three brands over 30 weeks; Brand 01's price complaints spike in week 20."""
    return synthetic_brands(3, weeks=30, reviews_per_week=60, spikes=(SPIKE,), seed=1)


@lru_cache(maxsize=1)
def driven() -> SyntheticData:
    """Two brands whose rating loses exactly one star with a negative price mention (continuous ratings)."""
    return synthetic_brands(
        2, weeks=20, reviews_per_week=100, rating_effects={"neg_price": -1.0, "pos_product": 0.4}, seed=2
    )


def sentence_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A sentence frame with every contract column from hand-written rows.

    Rows give ``review_key``, ``brand``, ``published_at`` and whatever else matters; ``catpol_<c>`` sets the
    mention (``cat_<c>`` follows it); unlisted flags are False.
    """
    frame = pd.DataFrame([_DEFAULTS | row for row in rows])
    for column in SENTENCE_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype=object) if column.startswith("catpol_") else False
    for c in CATEGORIES:
        frame[cat_col(c)] = frame[catpol_col(c)].notna()
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame["score"] = frame["score"].astype(float)
    frame["rating_normalised"] = frame["rating_normalised"].astype(float)
    return frame[list(SENTENCE_COLUMNS)]


def empty_sentences() -> pd.DataFrame:
    """A sentence frame with the contract columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SENTENCE_COLUMNS})
