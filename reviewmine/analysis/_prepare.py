"""Sentence and review frames reduced once to integer codes and flag arrays that metrics, risk and drivers share.

Aggregation over millions of rows then becomes ``np.bincount`` over integer group keys instead of pandas
groupby on strings. Reviews are the independent units (a review's sentences are correlated), so review-level
flags ("mentions category c", "has a negative mention of c") are derived here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..columns import cat_col, catpol_col, ekman_col, emo_col, loy_col
from ..errors import InputError
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ALL", "FREQS", "SCOPES", "Prepared", "period_end", "period_start", "prepare", "to_timestamps"]

ALL = "all"
SCOPES: tuple[str, ...] = (ALL, *CATEGORIES)
"""Metric rows: every sentence ("all"), then each clue category."""
FREQS: dict[str, str] = {"D": "day", "W": "week", "M": "month"}
POS, NEG, NEU = 0, 1, 2  # codes of POLARITIES

_REQUIRED_SENTENCE = (
    "review_key", "brand", "published_at", "rating_normalised", "polarity", "score",
    *(cat_col(c) for c in CATEGORIES), *(catpol_col(c) for c in CATEGORIES),
    *(emo_col(e) for e in EMOTIONS), *(ekman_col(g) for g in EKMAN_GROUPS), *(loy_col(s) for s in LOYALTY_SIGNALS),
)  # fmt: skip
_REQUIRED_REVIEW = ("review_key", "brand", "published_at")


def _check_columns(frame: pd.DataFrame, required: tuple[str, ...], where: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {', '.join(missing)}", where=where)


def _bool(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as numpy bool, NA read as False (zero-copy for plain bool columns)."""
    return frame[column].to_numpy(dtype=bool, na_value=False)


def _codes(series: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Labels as int8 codes into ``categories``; NA and unknown labels become -1."""
    import pandas as pd

    return pd.Categorical(series, categories=list(categories)).codes.astype(np.int8)


def _datetimes(series: pd.Series) -> np.ndarray:
    """Timestamps as naive-UTC numpy datetime64 (NaT for missing), whatever the input dtype."""
    import pandas as pd

    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series, utc=True, format="mixed")
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.to_numpy()


def _days(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 values as int64 days since 1970-01-01 and a validity mask."""
    valid = ~np.isnat(values)
    return values.astype("datetime64[D]").astype(np.int64), valid


def period_start(days: np.ndarray, freq: str) -> np.ndarray:
    """First day (days since epoch) of the day / ISO week (Monday) / calendar month holding each day."""
    if freq == "D":
        return days
    if freq == "W":
        return days - (days + 3) % 7  # 1970-01-01 was a Thursday
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def period_end(starts: np.ndarray, freq: str) -> np.ndarray:
    """First day after each period (exclusive end)."""
    if freq == "D":
        return starts + 1
    if freq == "W":
        return starts + 7
    months = starts.astype("datetime64[D]").astype("datetime64[M]") + 1
    return months.astype("datetime64[D]").astype(np.int64)


def to_timestamps(days: np.ndarray) -> pd.DatetimeIndex:
    """Days since epoch as tz-aware UTC timestamps (midnight)."""
    import pandas as pd

    return pd.DatetimeIndex(np.asarray(days, dtype=np.int64).astype("datetime64[D]")).tz_localize("UTC")


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """Index of each code's first row, for codes numbered in order of first appearance (pd.factorize)."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    is_first = np.empty(codes.size, dtype=bool)
    is_first[0] = True
    is_first[1:] = codes[1:] > running[:-1]
    return np.flatnonzero(is_first)


@dataclass(eq=False)
class Prepared:
    """Codes and flags for one (sentences, reviews) pair; build with `prepare`, pass to any compute_* function.

    Review arrays (``r_*``) have one element per review: every review in ``reviews`` plus any review that only
    appears in ``sentences``. Sentence arrays (``s_*``) follow the rows of ``sentences``.
    """

    sentences: pd.DataFrame
    review_keys: pd.Index
    brands: pd.Index
    sources: pd.Index
    r_brand: np.ndarray
    r_source: np.ndarray
    r_day: np.ndarray
    r_has_day: np.ndarray
    r_rating: np.ndarray
    r_url: np.ndarray | None
    r_replied: np.ndarray | None
    r_reply_days: np.ndarray | None
    s_review: np.ndarray
    s_pol: np.ndarray
    s_score: np.ndarray
    s_cat: np.ndarray  # (S, categories) bool
    s_catpol: np.ndarray  # (S, categories) int8 polarity codes, -1 when not mentioned
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def n_reviews(self) -> int:
        return len(self.review_keys)

    @property
    def n_sentences(self) -> int:
        return len(self.s_review)

    def _per_review(self, flags: np.ndarray) -> np.ndarray:
        """Whether any sentence of each review has the flag."""
        return np.bincount(self.s_review[flags], minlength=self.n_reviews) > 0

    @cached_property
    def r_sentences(self) -> np.ndarray:
        """Sentences per review."""
        return np.bincount(self.s_review, minlength=self.n_reviews)

    @cached_property
    def r_pos_neg(self) -> tuple[np.ndarray, np.ndarray]:
        """Positive and negative sentences per review."""
        pos = np.bincount(self.s_review[self.s_pol == POS], minlength=self.n_reviews)
        neg = np.bincount(self.s_review[self.s_pol == NEG], minlength=self.n_reviews)
        return pos, neg

    @cached_property
    def r_mention(self) -> np.ndarray:
        """(R, scopes) bool: the review has sentences ("all") / mentions category c."""
        out = np.empty((self.n_reviews, len(SCOPES)), dtype=bool)
        out[:, 0] = self.r_sentences > 0
        for i in range(len(CATEGORIES)):
            out[:, i + 1] = self._per_review(self.s_cat[:, i])
        return out

    def _polar(self, code: int) -> np.ndarray:
        pos, neg = self.r_pos_neg
        out = np.empty((self.n_reviews, len(SCOPES)), dtype=bool)
        out[:, 0] = neg > pos if code == NEG else pos > neg
        for i in range(len(CATEGORIES)):
            out[:, i + 1] = self._per_review(self.s_catpol[:, i] == code)
        return out

    @cached_property
    def r_negative(self) -> np.ndarray:
        """(R, scopes) bool: more negative than positive sentences ("all") / a negative mention of c."""
        return self._polar(NEG)

    @cached_property
    def r_positive(self) -> np.ndarray:
        """(R, scopes) bool: more positive than negative sentences ("all") / a positive mention of c."""
        return self._polar(POS)

    @cached_property
    def r_anger_disgust(self) -> np.ndarray:
        """(R, scopes) bool: a sentence (mentioning c) carries anger or disgust (Ekman groups)."""
        hot = _bool(self.sentences, ekman_col("anger")) | _bool(self.sentences, ekman_col("disgust"))
        out = np.empty((self.n_reviews, len(SCOPES)), dtype=bool)
        out[:, 0] = self._per_review(hot)
        for i in range(len(CATEGORIES)):
            out[:, i + 1] = self._per_review(hot & self.s_cat[:, i])
        return out

    @cached_property
    def r_loyalty(self) -> np.ndarray:
        """(R, signals) bool: any sentence of the review carries the loyalty signal."""
        out = np.empty((self.n_reviews, len(LOYALTY_SIGNALS)), dtype=bool)
        for i, signal in enumerate(LOYALTY_SIGNALS):
            out[:, i] = self._per_review(_bool(self.sentences, loy_col(signal)))
        return out

    def s_scope_mask(self, scope: int) -> np.ndarray | None:
        """Sentences in a scope: None for "all" (every sentence), else those mentioning the category."""
        return None if scope == 0 else self.s_cat[:, scope - 1]

    def s_scope_pol(self, scope: int) -> np.ndarray:
        """Polarity codes in a scope: the sentence's own for "all", the mention's for a category."""
        return self.s_pol if scope == 0 else self.s_catpol[:, scope - 1]


def prepare(sentences: pd.DataFrame | Prepared | None, reviews: pd.DataFrame | None = None) -> Prepared:
    """Reduce a sentence frame (``columns.SENTENCE_COLUMNS``) and optionally a review frame to codes.

    Passing a `Prepared` returns it unchanged, so callers running several analyses prepare once.
    Raises InputError when required columns are missing or review keys / brands are empty.
    """
    import pandas as pd

    if isinstance(sentences, Prepared):
        return sentences
    if sentences is None:
        from ..columns import SENTENCE_COLUMNS

        sentences = pd.DataFrame({c: pd.Series(dtype=object) for c in SENTENCE_COLUMNS})
    _check_columns(sentences, _REQUIRED_SENTENCE, "sentences")
    if reviews is not None:
        _check_columns(reviews, _REQUIRED_REVIEW, "reviews")
        reviews = reviews.drop_duplicates("review_key")
    s_review, keys = pd.factorize(sentences["review_key"])
    if (s_review < 0).any():
        raise InputError("some sentences have no review_key", where="sentences.review_key")
    keys = pd.Index(keys, dtype=object)
    first = _first_occurrences(s_review)
    n_from_sentences = len(keys)

    r_idx = np.zeros(0, dtype=np.int64)
    if reviews is not None:
        r_idx = keys.get_indexer(reviews["review_key"])
        missing = r_idx < 0
        r_idx[missing] = n_from_sentences + np.arange(int(missing.sum()))
        keys = keys.append(pd.Index(reviews["review_key"].to_numpy()[missing], dtype=object))
    n_reviews = len(keys)

    def _review_values(column: str) -> np.ndarray:
        """A per-review array: the value on the review's first sentence, overridden by the review frame."""
        out = np.full(n_reviews, None, dtype=object)
        if column in sentences.columns and n_from_sentences:
            out[:n_from_sentences] = sentences[column].iloc[first].to_numpy()
        if reviews is not None and column in reviews.columns:
            out[r_idx] = reviews[column].to_numpy()
        return out

    brand_names = _review_values("brand")
    if pd.isna(brand_names).any():
        raise InputError("some reviews have no brand", where="brand")
    r_brand, brands = pd.factorize(brand_names, sort=True)
    r_source, sources = pd.factorize(_review_values("source"), sort=True)

    published = np.full(n_reviews, np.datetime64("NaT"), dtype="datetime64[s]")
    if n_from_sentences:
        published[:n_from_sentences] = _datetimes(sentences["published_at"].iloc[first])
    if reviews is not None:
        published[r_idx] = _datetimes(reviews["published_at"])
    r_day, r_has_day = _days(published)

    rating = np.full(n_reviews, np.nan)
    if n_from_sentences:
        rating[:n_from_sentences] = sentences["rating_normalised"].iloc[first].to_numpy(dtype=float, na_value=np.nan)
    if reviews is not None and "rating_normalised" in reviews.columns:
        rating[r_idx] = reviews["rating_normalised"].to_numpy(dtype=float, na_value=np.nan)

    r_url = r_replied = r_reply_days = None
    if reviews is not None:
        if "url" in reviews.columns:
            r_url = np.full(n_reviews, None, dtype=object)
            r_url[r_idx] = reviews["url"].to_numpy(dtype=object, na_value=None)
        if "reply_at" in reviews.columns or "reply_text" in reviews.columns:
            r_replied, r_reply_days = _replies(reviews, r_idx, n_reviews, published)

    return Prepared(
        sentences=sentences,
        review_keys=keys,
        brands=pd.Index(brands, dtype=object),
        sources=pd.Index(sources, dtype=object),
        r_brand=r_brand.astype(np.int64),
        r_source=r_source.astype(np.int64),
        r_day=r_day,
        r_has_day=r_has_day,
        r_rating=rating,
        r_url=r_url,
        r_replied=r_replied,
        r_reply_days=r_reply_days,
        s_review=s_review.astype(np.int64),
        s_pol=_codes(sentences["polarity"], POLARITIES),
        s_score=sentences["score"].to_numpy(dtype=float, na_value=np.nan),
        s_cat=np.column_stack([_bool(sentences, cat_col(c)) for c in CATEGORIES]),
        s_catpol=np.column_stack([_codes(sentences[catpol_col(c)], POLARITIES) for c in CATEGORIES]),
    )


def _replies(
    reviews: pd.DataFrame, r_idx: np.ndarray, n_reviews: int, published: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per review: whether the company replied, and the reply delay in days (NaN without both dates)."""
    replied = np.zeros(n_reviews, dtype=bool)
    delay = np.full(n_reviews, np.nan)
    has = np.zeros(len(reviews), dtype=bool)
    if "reply_text" in reviews.columns:
        text = reviews["reply_text"]
        has |= (text.notna() & (text.astype(str).str.strip() != "")).to_numpy(dtype=bool)
    if "reply_at" in reviews.columns:
        reply_at = _datetimes(reviews["reply_at"]).astype("datetime64[s]")
        has |= ~np.isnat(reply_at)
        seconds = (reply_at - published[r_idx]).astype("timedelta64[s]").astype(np.float64)
        seconds[np.isnat(reply_at) | np.isnat(published[r_idx])] = np.nan
        delay[r_idx] = np.maximum(seconds, 0) / 86400
    replied[r_idx] = has
    return replied, delay
