"""The demo's plain data: brands, planted stories and generated reviews with their sentence-level ground truth.

The generator (generate.py) builds these; the site (site.py, pages.py) renders them in each source's real format;
tests and the demo's end-to-end check compare what the pipeline found with the truth kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SOURCES",
    "Brand",
    "DemoData",
    "DemoReview",
    "Edit",
    "Product",
    "Reply",
    "Sentence",
    "Story",
]

# The sources the demo site serves, named as their collectors are.
SOURCES: tuple[str, ...] = ("trustpilot", "appstore", "schemaorg")


@dataclass(frozen=True)
class Product:
    """A menu item with its own product page (schema.org reviews); ``markup`` picks how the page embeds them."""

    slug: str
    name: str
    price: float
    markup: str = "jsonld"  # "jsonld" (one object), "jsonld-list" (a list, like allrecipes) or "microdata"


@dataclass(frozen=True)
class Brand:
    """A fictional pizza chain and where its reviews live."""

    name: str
    slug: str
    domain: str  # its Trustpilot page is /review/<domain>
    business_unit_id: str
    menu: tuple[str, ...]
    item_price: float  # a typical large pizza, before any price rise
    products: tuple[Product, ...]
    app_id: str | None = None  # App Store id, when the brand has an app
    app_name: str | None = None
    app_country: str = "gb"
    reply_rate: float = 0.0  # share of Trustpilot reviews the company answers

    @property
    def appstore_locator(self) -> str | None:
        """The App Store locator, ``<id>@<country>``."""
        return f"{self.app_id}@{self.app_country}" if self.app_id else None

    def product_path(self, product: Product) -> str:
        return f"/menu/{self.slug}/{product.slug}"


@dataclass(frozen=True)
class Story:
    """A planted story: from ``start`` (inclusive) to ``end`` (exclusive) the brand's review mix shifts.

    ``categories`` are the clue categories that turn ``polarity`` more often (the first is the main one), ``themes``
    the sub-themes that rise, ``loyalty`` the loyalty signals that rise, ``steady`` categories that stay as they were.
    """

    id: str
    brand: str
    title: str
    description: str
    start: datetime
    end: datetime
    categories: tuple[str, ...]
    polarity: str
    themes: tuple[str, ...]
    loyalty: tuple[str, ...] = ()
    steady: tuple[str, ...] = ()

    @property
    def category(self) -> str:
        return self.categories[0]

    def active(self, brand: str, when: datetime) -> bool:
        return brand == self.brand and self.start <= when < self.end


@dataclass(frozen=True)
class Sentence:
    """One sentence of a review and its true labels (taxonomy.md): categories, polarity, loyalty, sub-theme."""

    text: str
    categories: tuple[str, ...] = ()
    polarity: str = "neutral"
    loyalty: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    at: datetime


@dataclass(frozen=True)
class Edit:
    """The review was edited at ``at``: before it, the site shows ``original_body`` and ``original_rating``."""

    at: datetime
    original_body: str
    original_rating: int


@dataclass(frozen=True)
class DemoReview:
    """One generated review in its final state (after any edit) plus its ground truth."""

    id: str
    brand: str
    source: str
    target: str  # trustpilot: domain; appstore: id@cc; schemaorg: the product page path
    author: str
    rating: int
    title: str
    body: str
    sentences: tuple[Sentence, ...]
    language: str
    published_at: datetime
    experienced_at: datetime
    verified: bool = False
    likes: int = 0
    country: str = "GB"
    reply: Reply | None = None
    edit: Edit | None = None
    story: str | None = None  # the story active for this brand when it was written
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def updated_at(self) -> datetime | None:
        return self.edit.at if self.edit else None

    def shown(self, as_of: datetime | None) -> tuple[str, int, datetime | None, Reply | None]:
        """(body, rating, updated_at, reply) as the site shows them at ``as_of`` (None: the final state)."""
        edited = self.edit is not None and (as_of is None or self.edit.at <= as_of)
        reply = self.reply if self.reply and (as_of is None or self.reply.at <= as_of) else None
        if self.edit is not None and not edited:
            return self.edit.original_body, self.edit.original_rating, None, reply
        return self.body, self.rating, self.updated_at, reply


@dataclass(frozen=True)
class DemoData:
    """Everything the demo serves, and the truth about it."""

    seed: int
    start: datetime
    end: datetime  # exclusive
    brands: tuple[Brand, ...]
    competitors: dict[str, tuple[str, ...]]
    stories: tuple[Story, ...]
    reviews: tuple[DemoReview, ...]  # oldest first
    survey: tuple[DemoReview, ...] = ()  # NPS survey responses (survey.py): imported from a file, not served

    def brand(self, name: str) -> Brand:
        for brand in self.brands:
            if name in (brand.name, brand.slug, brand.domain):
                return brand
        raise KeyError(name)

    def story(self, story_id: str) -> Story:
        for story in self.stories:
            if story.id == story_id:
                return story
        raise KeyError(story_id)

    def reviews_for(self, brand: str | None = None, source: str | None = None) -> list[DemoReview]:
        """Reviews of one brand and/or source, oldest first."""
        name = self.brand(brand).name if brand else None
        return [r for r in self.reviews if (name is None or r.brand == name) and (source is None or r.source == source)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Reviews per brand and source."""
        out: dict[str, dict[str, int]] = {b.name: dict.fromkeys(SOURCES, 0) for b in self.brands}
        for review in self.reviews:
            out[review.brand][review.source] += 1
        return out

    def polarity_share(
        self, brand: str, category: str, start: datetime, end: datetime, polarity: str = "negative"
    ) -> float:
        """True share of ``brand``'s ``category`` mentions with ``polarity`` among reviews published in
        [start, end): the number a correct pipeline should approximately recover."""
        mentions = hits = 0
        for review in self.reviews:
            if review.brand != brand or not start <= review.published_at < end:
                continue
            for sentence in review.sentences:
                if category in sentence.categories:
                    mentions += 1
                    hits += sentence.polarity == polarity
        return hits / mentions if mentions else 0.0

    def truth_frame(self) -> pd.DataFrame:
        """One row per (final) review sentence with its true labels, for checking the NLP and the analysis."""
        import pandas as pd

        rows = [
            {
                "review_id": review.id,
                "brand": review.brand,
                "source": review.source,
                "target": review.target,
                "published_at": review.published_at,
                "rating": review.rating,
                "language": review.language,
                "story": review.story,
                "sentence_idx": idx,
                "text": sentence.text,
                "categories": sentence.categories,
                "polarity": sentence.polarity,
                "loyalty": sentence.loyalty,
                "theme": sentence.theme,
            }
            for review in self.reviews
            for idx, sentence in enumerate(review.sentences)
        ]
        frame = pd.DataFrame(rows)
        frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
        return frame
