"""The label sets of ../shared/taxonomy.md, as constants every stage shares (NLP heads, aggregation, reports)."""

from __future__ import annotations

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "EKMAN_GROUPS",
    "EKMAN_OF",
    "EMOTIONS",
    "KEY_EMOTIONS",
    "LOYALTY_SIGNALS",
    "POLARITIES",
]

# Clue categories (multi-label per sentence; a sentence may have none).
CATEGORIES: tuple[str, ...] = ("product", "price", "place_process", "people", "communication")
CATEGORY_NAMES: dict[str, str] = {
    "product": "Product & service",
    "price": "Price & perceived value",
    "place_process": "Place & process",
    "people": "People",
    "communication": "Communication & expectations",
}

POLARITIES: tuple[str, ...] = ("positive", "negative", "neutral")

# The 27 GoEmotions emotions + neutral, in the dataset's label-id order.
EMOTIONS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
    "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
    "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
    "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip

# GoEmotions' Ekman mapping (google-research goemotions/data/ekman_mapping.json) plus neutral.
EKMAN_GROUPS: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": (
        "joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
        "admiration", "desire", "caring",
    ),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}  # fmt: skip
EKMAN_OF: dict[str, str] = {emotion: group for group, members in EKMAN_GROUPS.items() for emotion in members}

# The emotions reports call out because they matter most for experience.
KEY_EMOTIONS: tuple[str, ...] = (
    "disappointment", "annoyance", "anger", "gratitude", "admiration", "confusion", "fear", "nervousness",
)  # fmt: skip

LOYALTY_SIGNALS: tuple[str, ...] = ("recommend", "warn", "return", "churn")
