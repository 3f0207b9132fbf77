"""Synthetic brands with planted effects, for tests and benchmarks of the aggregator (a test aid: no command or
analysis step uses it).

Everything is generated with vectorised numpy (no per-row Python), so a million reviews take seconds. The planted
effects are known exactly: a complaint spike (one brand, category and week whose mentions turn negative) and
star effects of positive / negative category mentions on a linear rating model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import SENTENCE_COLUMNS, cat_col, catpol_col, ekman_col, emo_col, loy_col
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Spike", "SyntheticData", "feature_name", "synthetic_brands"]

# Emotion probabilities per sentence polarity (positive, negative, neutral); unlisted emotions get 1%.
_EMOTION_P: dict[str, tuple[float, float, float]] = {
    "admiration": (0.30, 0.01, 0.02), "approval": (0.20, 0.01, 0.03), "gratitude": (0.20, 0.01, 0.01),
    "joy": (0.15, 0.00, 0.01), "love": (0.10, 0.00, 0.00), "excitement": (0.05, 0.00, 0.01),
    "optimism": (0.05, 0.01, 0.02), "anger": (0.01, 0.10, 0.00), "annoyance": (0.01, 0.25, 0.02),
    "disappointment": (0.01, 0.30, 0.02), "disapproval": (0.01, 0.10, 0.01), "disgust": (0.00, 0.05, 0.00),
    "sadness": (0.00, 0.05, 0.01), "confusion": (0.01, 0.05, 0.03), "neutral": (0.05, 0.02, 0.70),
}  # fmt: skip
_LOYALTY_P: dict[str, tuple[float, float, float]] = {
    "recommend": (0.06, 0.00, 0.01), "return": (0.04, 0.00, 0.01),
    "warn": (0.00, 0.05, 0.00), "churn": (0.00, 0.04, 0.00),
}  # fmt: skip
# Two sub-themes per category and polarity, so sub-theme clustering has something to find.
_PHRASES: dict[str, tuple[str, str]] = {
    "product": ("the battery life of this phone", "the taste of the pizza"),
    "price": ("the price for what you get", "the hidden booking fee at checkout"),
    "place_process": ("the delivery of my parcel", "the queue at the counter"),
    "people": ("the waiter who served us", "the support agent on the phone"),
    "communication": ("the product description on the website", "the email updates about my order"),
}
_VERDICT = {"positive": "was excellent", "negative": "was terrible", "neutral": "was as expected"}
_GENERAL = {"positive": "Love this company.", "negative": "Never again.", "neutral": "I ordered last month."}


def feature_name(sign: str, category: str) -> str:
    """Driver feature name: ``pos_<category>`` / ``neg_<category>`` (a positive / negative mention)."""
    return f"{sign[:3]}_{category}"


@dataclass(frozen=True)
class Spike:
    """A planted complaint spike: in ``week`` (0-based from the start) ``brand``'s ``category`` mentions turn
    negative with probability ``negative_share``, and a share ``mention_boost`` of its sentences switch to
    that category."""

    brand: str
    category: str
    week: int
    negative_share: float = 0.7
    mention_boost: float = 0.3


@dataclass
class SyntheticData:
    """Generated frames and the truth planted in them."""

    sentences: pd.DataFrame
    reviews: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)


def _polarity(rng: np.random.Generator, p_neg: np.ndarray) -> np.ndarray:
    """Polarity codes (0 pos, 1 neg, 2 neu): negative with p_neg, else 75% positive, 25% neutral."""
    u = rng.random(p_neg.size)
    return np.where(u < p_neg, 1, np.where(u < p_neg + 0.75 * (1 - p_neg), 0, 2)).astype(np.int8)


def synthetic_brands(
    n_brands: int = 3,
    *,
    weeks: int = 30,
    reviews_per_week: float = 60,
    sentences_per_review: float = 3.0,
    start: str = "2025-01-06",
    base_negative: tuple[float, float] = (0.15, 0.30),
    spikes: tuple[Spike, ...] = (),
    rating_effects: dict[str, float] | None = None,
    rating_base: float = 3.4,
    rating_noise: float = 0.4,
    discrete_ratings: bool = False,
    reply_rate: float = 0.4,
    seed: int = 0,
) -> SyntheticData:
    """Generate ``n_brands`` brands ("Brand 00", ...) over ``weeks`` weeks from ``start`` (a Monday).

    Reviews per brand-week are Poisson(``reviews_per_week``), published with a weekday pattern; each has
    1 + Poisson(``sentences_per_review`` - 1) sentences. A sentence mentions one category (70%), plus a second
    one (10%); each mention is negative with a per-brand-category probability drawn from ``base_negative``.
    Stars are ``rating_base`` + sum of ``rating_effects`` (stars per feature ``pos_c`` / ``neg_c`` present in the
    review) + uniform noise of half-width ``rating_noise``, clipped to 1..5 (rounded when ``discrete_ratings``).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_cat = len(CATEGORIES)
    brands = [f"Brand {i:02d}" for i in range(n_brands)]
    effects = {feature_name(s, c): 0.0 for s in ("pos", "neg") for c in CATEGORIES} | dict(rating_effects or {})

    # Reviews: counts per brand-week, then a weekday pattern (busier early in the week) and a time of day.
    counts = rng.poisson(reviews_per_week, size=(n_brands, weeks))
    r_brand = np.repeat(np.repeat(np.arange(n_brands), weeks), counts.ravel())
    r_week = np.repeat(np.tile(np.arange(weeks), n_brands), counts.ravel())
    n_reviews = r_brand.size
    weekday = rng.choice(7, size=n_reviews, p=np.array([20, 17, 15, 14, 13, 10, 11]) / 100)
    start_s = np.datetime64(start, "s")
    published = start_s + ((r_week * 7 + weekday) * 86400 + rng.integers(0, 86400, n_reviews)).astype("m8[s]")

    # Sentences and their category mentions.
    n_sent = 1 + rng.poisson(max(sentences_per_review - 1, 0), n_reviews)
    s_review = np.repeat(np.arange(n_reviews), n_sent)
    n_sentences = s_review.size
    s_brand, s_week = r_brand[s_review], r_week[s_review]
    main = np.where(rng.random(n_sentences) < 0.7, rng.integers(0, n_cat, n_sentences), -1)
    spiked = np.zeros(n_sentences, dtype=bool)
    spike_of = np.full(n_sentences, -1)
    for i, spike in enumerate(spikes):
        in_week = (s_brand == brands.index(spike.brand)) & (s_week == spike.week)
        c = CATEGORIES.index(spike.category)
        main[in_week & (rng.random(n_sentences) < spike.mention_boost)] = c
        hit = in_week & (main == c)
        spiked |= hit
        spike_of[hit] = i
    second = np.where(rng.random(n_sentences) < 0.1, rng.integers(0, n_cat, n_sentences), -1)
    second[(second == main) | (main < 0)] = -1  # a second mention only beside a first

    p_neg_table = rng.uniform(*base_negative, size=(n_brands, n_cat))
    cat = np.zeros((n_sentences, n_cat), dtype=bool)
    catpol = np.full((n_sentences, n_cat), -1, dtype=np.int8)
    for mention in (second, main):
        has = mention >= 0
        p_neg = np.where(has, p_neg_table[s_brand, np.maximum(mention, 0)], base_negative[0])
        pol = _polarity(rng, p_neg)
        if mention is main:
            for i, spike in enumerate(spikes):
                hit = spike_of == i
                pol[hit] = _polarity(rng, np.full(int(hit.sum()), spike.negative_share))
            s_pol = pol
        rows = np.flatnonzero(has)
        cat[rows, mention[has]] = True
        catpol[rows, mention[has]] = pol[has]

    columns: dict[str, Any] = {}
    u = rng.random(n_sentences, dtype=np.float32)
    score = np.select([s_pol == 0, s_pol == 1], [0.3 + 0.7 * u, -0.3 - 0.7 * u], 0.4 * u - 0.2)
    for name, table in (("emo", _EMOTION_P), ("loy", _LOYALTY_P)):
        labels = EMOTIONS if name == "emo" else LOYALTY_SIGNALS
        for label in labels:
            p = np.asarray(table.get(label, (0.01, 0.01, 0.01)), dtype=np.float32)
            col = emo_col(label) if name == "emo" else loy_col(label)
            columns[col] = rng.random(n_sentences, dtype=np.float32) < p[s_pol]
    for group, members in EKMAN_GROUPS.items():
        columns[ekman_col(group)] = np.logical_or.reduce([columns[emo_col(m)] for m in members])

    # Ratings from the review-level features.
    stars = np.full(n_reviews, rating_base)
    for c_i, c in enumerate(CATEGORIES):
        for sign, code in (("pos", 0), ("neg", 1)):
            has = np.bincount(s_review[catpol[:, c_i] == code], minlength=n_reviews) > 0
            stars += effects[feature_name(sign, c)] * has
    stars += rng.uniform(-rating_noise, rating_noise, n_reviews)
    stars = np.clip(np.round(stars) if discrete_ratings else stars, 1, 5)

    keys = "synthetic:" + pd.Index(np.arange(n_reviews)).astype("str")
    published_ts = pd.DatetimeIndex(published).tz_localize("UTC")
    brand_cat = pd.Categorical.from_codes(r_brand, categories=brands)
    polarity = pd.Categorical.from_codes(s_pol, categories=list(POLARITIES))
    offsets = np.concatenate([[0], np.cumsum(n_sent)[:-1]])
    frame: dict[str, Any] = {
        "review_key": pd.Categorical.from_codes(s_review, categories=keys),
        "brand": brand_cat[s_review],
        "source": pd.Categorical.from_codes(np.zeros(n_sentences, dtype=np.int8), categories=["synthetic"]),
        "published_at": published_ts[s_review],
        "rating_normalised": ((stars - 1) / 4)[s_review],
        "model_version": pd.Categorical.from_codes(np.zeros(n_sentences, dtype=np.int8), categories=["synthetic"]),
        "sentence_idx": (np.arange(n_sentences) - offsets[s_review]).astype(np.int32),
        "text": _texts(rng, main, s_pol),
        "polarity": polarity,
        "score": score,
    }
    for c_i, c in enumerate(CATEGORIES):
        frame[cat_col(c)] = cat[:, c_i]
    for c_i, c in enumerate(CATEGORIES):
        frame[catpol_col(c)] = pd.Categorical.from_codes(catpol[:, c_i], categories=list(POLARITIES))
    frame |= columns
    sentences = pd.DataFrame(frame)[list(SENTENCE_COLUMNS)]
    reviews = _reviews_frame(rng, keys, brand_cat, published_ts, stars, reply_rate)
    truth = {"brands": brands, "start": start, "spikes": list(spikes), "rating_effects": effects}
    return SyntheticData(sentences=sentences, reviews=reviews, truth=truth)


def _texts(rng: np.random.Generator, main: np.ndarray, pol: np.ndarray) -> pd.Categorical:
    """Sentence text as a categorical: a phrase per (category, sub-theme, polarity), or a general verdict."""
    import pandas as pd

    texts = [f"{phrase[0].upper()}{phrase[1:]} {_VERDICT[p]}." for c in CATEGORIES for phrase in _PHRASES[c]
             for p in POLARITIES] + [_GENERAL[p] for p in POLARITIES]  # fmt: skip
    sub = rng.integers(0, 2, main.size)
    code = np.where(main >= 0, (main * 2 + sub) * 3 + pol, len(CATEGORIES) * 6 + pol)
    return pd.Categorical.from_codes(code, categories=texts)


def _reviews_frame(
    rng: np.random.Generator,
    keys: pd.Index,
    brand: pd.Categorical,
    published: pd.DatetimeIndex,
    stars: np.ndarray,
    reply_rate: float,
) -> pd.DataFrame:
    """The review frame (``columns.REVIEW_COLUMNS``) matching the sentences."""
    import pandas as pd

    n = len(keys)
    replied = rng.random(n) < reply_rate
    delay = pd.to_timedelta(rng.exponential(2.0, n) * 86400, unit="s").floor("s")
    reply_at = pd.Series(published + delay).where(replied)
    fetched = published.max() + pd.Timedelta(days=1) if n else pd.Timestamp("2025-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "review_key": keys,
            "brand": brand,
            "source": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=["synthetic"]),
            "source_review_id": keys.str.removeprefix("synthetic:"),
            "target": "synthetic.example",
            "url": "https://synthetic.example/r/" + keys.str.removeprefix("synthetic:"),
            "author": None,
            "rating": stars,
            "rating_min": 1.0,
            "rating_max": 5.0,
            "rating_normalised": (stars - 1) / 4,
            "title": None,
            "body": "",
            "language": "en",
            "published_at": published,
            "updated_at": pd.NaT,
            "reply_text": pd.Series("Thank you for your feedback.", index=range(n)).where(replied),
            "reply_at": reply_at,
            "verified": pd.Series(pd.NA, index=range(n), dtype="boolean"),
            "helpful_votes": pd.Series(pd.NA, index=range(n), dtype="Int64"),
            "fetched_at": fetched,
            "first_seen_at": fetched,
            "changed_at": fetched,
            "extra": "{}",
        }
    )
