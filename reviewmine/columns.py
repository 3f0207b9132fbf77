"""The column contracts of the DataFrames that pass between stages (documented in docs/data-model.md).

``SENTENCE_COLUMNS`` is what the NLP stage produces per sentence and what the aggregator consumes; the wide
boolean layout keeps aggregation over millions of sentences vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS

if TYPE_CHECKING:
    import numpy as np

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

# An analysis's status when the model does not read the review's language: "skipped: language fr".
STATUS_SKIPPED_LANGUAGE = "skipped: language"

# The stored bitmask of each boolean tag family: bit i is the i-th label (store/migrations.py, schema v2).
_FLAG_FAMILIES: tuple[tuple[str, Sequence[str], Callable[[str], str]], ...] = (
    ("categories", CATEGORIES, cat_col),
    ("emotions", EMOTIONS, emo_col),
    ("ekman", tuple(EKMAN_GROUPS), ekman_col),
    ("loyalty", LOYALTY_SIGNALS, loy_col),
)


def decode_tags(codes: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The wide tag columns of ``SENTENCE_COLUMNS`` from the stored integer codes (``codes``: the arrays of the
    ``categories``, ``category_polarity``, ``emotions``, ``ekman`` and ``loyalty`` columns), in that order.

    Flags come back as booleans; ``catpol_<category>`` as int8 codes: -1 not mentioned, else an index into
    ``taxonomy.POLARITIES`` (2 bits per category, 0 = not mentioned), for the caller to label.
    """
    import numpy as np

    def flags(family: str) -> dict[str, np.ndarray]:
        name, labels, column = next(f for f in _FLAG_FAMILIES if f[0] == family)
        masks = np.asarray(codes[name], np.int64)
        return {column(label): ((masks >> i) & 1).astype(bool) for i, label in enumerate(labels)}

    polarity = np.asarray(codes["category_polarity"], np.int64)
    decoded = flags("categories")
    for i, category in enumerate(CATEGORIES):
        decoded[catpol_col(category)] = ((polarity >> (2 * i)) & 3).astype(np.int8) - 1
    for family in ("emotions", "ekman", "loyalty"):
        decoded |= flags(family)
    return decoded
