"""The plain data that passes between stages: collectors and importers produce `Review`s, the store keeps them.

Every timestamp is a timezone-aware UTC `datetime`; every rating is kept as given together with its scale, and
normalised to 0..1 so that sources with different scales can be compared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Review", "normalise_rating", "payload_hash", "utc", "utcnow"]


def utcnow() -> datetime:
    """Now, in UTC, to the second (the store keeps seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


def utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def normalise_rating(rating: float | None, scale_min: float, scale_max: float) -> float | None:
    """Map `rating` on [scale_min, scale_max] to [0, 1]; None stays None.

    Raises ValueError when the rating lies outside its scale, since that means the scale is wrong.
    """
    if rating is None:
        return None
    if scale_max <= scale_min:
        raise ValueError(f"rating scale {scale_min}..{scale_max} is empty")
    if not scale_min <= rating <= scale_max:
        raise ValueError(f"rating {rating:g} is outside its scale {scale_min:g}..{scale_max:g}")
    return (rating - scale_min) / (scale_max - scale_min)


def payload_hash(payload: Any) -> str:
    """SHA-256 of a raw payload (bytes, str, or JSON-serialisable data), hex encoded."""
    if isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, str):
        data = payload.encode("utf-8")
    else:
        data = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class Review:
    """One customer review as a source published it.

    Fields:
        source: the collector or import name (``trustpilot``, ``appstore``, ``file``...).
        brand: the brand the review is about, as the user names it.
        body: the review text (may be empty when a source only gives a title or a rating).
        source_review_id: the source's own id; None when it has none (the key then uses a content hash).
        target: what was collected: a domain, app id, URL or file path (the collection locator).
        url: a link to the review itself, when the source has one.
        author: the reviewer's display name.
        rating: the rating as given; ``rating_min``/``rating_max`` its scale; ``rating_normalised`` on 0..1.
        title: the review title, if any.
        language: an ISO 639-1 code when the source states it (never guessed here).
        published_at / updated_at: UTC timestamps; ``updated_at`` is set when the source says it was edited.
        reply_text / reply_at: the company's public reply.
        verified: the source marks the reviewer as verified (None: the source does not say).
        helpful_votes: "was this helpful" votes, when given.
        fetched_at: when reviewmine read it (UTC).
        raw_hash: SHA-256 of the raw payload the review was parsed from.
        extra: source-specific fields (app version, playtime...) as JSON-serialisable data.
    """

    source: str
    brand: str
    body: str
    source_review_id: str | None = None
    target: str | None = None
    url: str | None = None
    author: str | None = None
    rating: float | None = None
    rating_min: float = 1.0
    rating_max: float = 5.0
    rating_normalised: float | None = None
    title: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    reply_text: str | None = None
    reply_at: datetime | None = None
    verified: bool | None = None
    helpful_votes: int | None = None
    fetched_at: datetime = field(default_factory=utcnow)
    raw_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.published_at = utc(self.published_at)
        self.updated_at = utc(self.updated_at)
        self.reply_at = utc(self.reply_at)
        self.fetched_at = utc(self.fetched_at) or utcnow()
        if self.rating is not None:
            self.rating = float(self.rating)
            if self.rating_normalised is None:
                self.rating_normalised = normalise_rating(self.rating, self.rating_min, self.rating_max)

    @property
    def key(self) -> str:
        """The stable review key: ``source:id``, or ``source:#<content hash>`` when the source has no id."""
        if self.source_review_id:
            return f"{self.source}:{self.source_review_id}"
        return f"{self.source}:#{self.identity_hash()}"

    def identity_hash(self) -> str:
        """Hash of what identifies an id-less review: brand, target, author, date, title and text."""
        parts = [
            self.brand,
            self.target or "",
            self.author or "",
            self.published_at.isoformat() if self.published_at else "",
            self.title or "",
            self.body,
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]

    def content_hash(self) -> str:
        """Hash of what may change when a review is edited; a new value means "updated"."""
        parts = [
            self.title or "",
            self.body,
            "" if self.rating is None else f"{self.rating:g}",
            self.reply_text or "",
            self.reply_at.isoformat() if self.reply_at else "",
            self.updated_at.isoformat() if self.updated_at else "",
            "" if self.verified is None else str(self.verified),
            "" if self.helpful_votes is None else str(self.helpful_votes),
            self.language or "",
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
