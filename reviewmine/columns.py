"""The column contracts of the DataFrames that pass between stages (documented in docs/data-model.md).

``SENTENCE_COLUMNS`` is what the NLP stage produces per sentence and what the aggregator consumes; the wide
boolean layout keeps aggregation over millions of sentences vectorised.
"""

from __future__ import annotations

from .taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS

REVIEW_COLUMNS: tuple[str, ...] = (
    "review_key", "brand", "source", "source_review_id", "target", "url", "author",
    "rating", "rating_min", "rating_max", "rating_normalised", "title", "body", "language",
    "published_at", "updated_at", "reply_text", "reply_at", "verified", "helpful_votes",
    "fetched_at", "first_seen_at", "changed_at", "extra",
)  # fmt: skip


def cat_col(category: str) -> str:
    """Boolean: the sentence mentions this clue category."""
    return f"cat_{category}"


def catpol_col(category: str) -> str:
    """Polarity of the category mention ('positive'/'negative'/'neutral'), NA when not mentioned."""
    return f"catpol_{category}"


def emo_col(emotion: str) -> str:
    return f"emo_{emotion}"


def ekman_col(group: str) -> str:
    return f"ekman_{group}"


def loy_col(signal: str) -> str:
    return f"loy_{signal}"


SENTENCE_ID_COLUMNS: tuple[str, ...] = (
    "review_key", "brand", "source", "published_at", "rating_normalised", "model_version",
    "sentence_idx", "text", "polarity", "score",
)  # fmt: skip
SENTENCE_COLUMNS: tuple[str, ...] = (
    SENTENCE_ID_COLUMNS
    + tuple(cat_col(c) for c in CATEGORIES)
    + tuple(catpol_col(c) for c in CATEGORIES)
    + tuple(emo_col(e) for e in EMOTIONS)
    + tuple(ekman_col(g) for g in EKMAN_GROUPS)
    + tuple(loy_col(s) for s in LOYALTY_SIGNALS)
)
