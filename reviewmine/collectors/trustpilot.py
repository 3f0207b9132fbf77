"""Trustpilot company pages: ``/review/<domain>``, 20 reviews a page, newest first, every language.

The page embeds its data as Next.js JSON (``<script id="__NEXT_DATA__">``): the reviews with replies, dates and
verification, and the pagination. The JSON-LD ``@graph`` (Review nodes) is the fallback when that script is
missing; it lacks replies, verification and page counts.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from ..errors import InputError
from ..records import Review, payload_hash
from ._jsonld import find_reviews, jsonld_blocks, review_fields
from ._util import Fail, Fields, iso_language, load_json, parse_html, strip
from .base import Collector, ParsedPage, Request, Response

__all__ = ["TrustpilotCollector"]

PAGE_PATH = "/review/{domain}"
PAGE_QUERY = {"languages": "all", "sort": "recency"}
REVIEW_URL = "{base}/reviews/{id}"
PAGE_SIZE = 20
NEXT_DATA_ID = "__NEXT_DATA__"
PAGE_PROPS = ("props", "pageProps")
REVIEWS = (*PAGE_PROPS, "reviews")
PAGINATION = (*PAGE_PROPS, "filters", "pagination")
TOTAL_PAGES, TOTAL_COUNT = "totalPages", "totalCount"
RATING_SCALE = (1.0, 5.0)
# One review in props.pageProps.reviews.
ID = ("id",)
TITLE = ("title",)
TEXT = ("text",)
RATING = ("rating",)
LANGUAGE = ("language",)
PUBLISHED = ("dates", "publishedDate")
UPDATED = ("dates", "updatedDate")
EXPERIENCED = ("dates", "experiencedDate")
AUTHOR = ("consumer", "displayName")
AUTHOR_COUNTRY = ("consumer", "countryCode")
AUTHOR_REVIEWS = ("consumer", "numberOfReviews")
VERIFIED = ("labels", "verification", "isVerified")
VERIFICATION_LEVEL = ("labels", "verification", "verificationLevel")
REPLY_TEXT = ("reply", "message")
REPLY_AT = ("reply", "publishedDate")
REPLY_UPDATED = ("reply", "updatedDate")
LIKES = ("likes",)
ORIGIN = ("source",)  # how the review was invited: "AFSv2", "Organic", "BasicLink"...

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class TrustpilotCollector(Collector):
    """Reviews of one company on Trustpilot, from its review pages (all languages, newest first)."""

    name: ClassVar[str] = "trustpilot"
    locator_format: ClassVar[str] = "<company domain as on Trustpilot>"
    example: ClassVar[str] = "www.example.com"
    description: ClassVar[str] = "Trustpilot company reviews, newest first, every language (20 a page)."
    default_base_url: ClassVar[str] = "https://www.trustpilot.com"
    recency_sorted: ClassVar[bool] = True
    min_delay: float = 2.0
    announces_total: ClassVar[bool] = True  # totalCount counts the pages' reviews (all languages, as requested)

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        locator = super().validate_locator(locator).lower()
        if "://" in locator:  # a pasted https://www.trustpilot.com/review/<domain> URL
            path = urlsplit(locator).path
            locator = path.split("/review/", 1)[1] if "/review/" in path else urlsplit(locator).hostname or ""
        locator = locator.strip("/")
        if not _DOMAIN.match(locator):
            raise InputError(
                f"{locator!r} is not a domain; expected {cls.locator_format}, e.g. {cls.example}", where=cls.name
            )
        return locator

    def start_cursor(self) -> dict[str, Any]:
        return {"page": 1}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        query = urlencode({**PAGE_QUERY, "page": int(cursor["page"])})
        return Request(f"{self.base_url}{PAGE_PATH.format(domain=self.locator)}?{query}")

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        number = int(cursor["page"])
        if page.total_pages is not None:  # page numbers go on past an empty page: the runner follows them
            return {"page": number + 1} if number < page.total_pages else None
        return {"page": number + 1} if len(page.reviews) >= PAGE_SIZE else None

    def parse(self, response: Response) -> ParsedPage:
        fail = partial(self.parse_error, response)
        root = parse_html(response, fail)
        script = root.find(f".//script[@id='{NEXT_DATA_ID}']")
        if script is None:
            return self._parse_jsonld(root, fail)
        data = Fields(load_json(script.text or "", fail, field=NEXT_DATA_ID), fail, NEXT_DATA_ID)
        raw_reviews = data.need(REVIEWS, list)
        pagination = Fields(data.get(PAGINATION, dict) or {}, fail, data.field(PAGINATION))
        total_pages = pagination.get([TOTAL_PAGES], int)
        total_count = pagination.get([TOTAL_COUNT], int)
        reviews = [self._review(item, Fields(item, fail, f"reviews[{i}]")) for i, item in enumerate(raw_reviews)]
        return ParsedPage(reviews=reviews, expected_total=total_count, total_pages=total_pages)

    def _review(self, raw: dict[str, Any], item: Fields) -> Review:
        review_id = item.need(ID, str)
        extra = {
            "experienced_at": item.get(EXPERIENCED, str),
            "origin": item.get(ORIGIN, str),
            "verification_level": item.get(VERIFICATION_LEVEL, str),
            "author_country": item.get(AUTHOR_COUNTRY, str),
            "author_review_count": item.get(AUTHOR_REVIEWS, int),
            "reply_updated_at": item.get(REPLY_UPDATED, str),
        }
        return Review(
            source=self.name,
            brand=self.brand,
            target=self.locator,
            source_review_id=review_id,
            url=REVIEW_URL.format(base=self.base_url, id=review_id),
            author=item.get(AUTHOR, str),
            rating=item.rating(RATING, RATING_SCALE),
            title=strip(item.get(TITLE, str)),
            body=item.need(TEXT, str).strip(),
            language=iso_language(item.get(LANGUAGE, str)),
            published_at=item.date(PUBLISHED, required=True),
            updated_at=item.date(UPDATED),
            reply_text=strip(item.get(REPLY_TEXT, str)),
            reply_at=item.date(REPLY_AT),
            verified=item.get(VERIFIED, bool),
            helpful_votes=item.get(LIKES, int),
            raw_hash=payload_hash(raw),
            extra={key: value for key, value in extra.items() if value is not None},
        )

    def _parse_jsonld(self, root: Any, fail: Fail) -> ParsedPage:
        found = find_reviews([data for _, data, error in jsonld_blocks(root) if error is None])
        if not found.reviews:
            raise fail(
                f"no {NEXT_DATA_ID} script and no JSON-LD reviews (a bot-protection or changed page?)",
                field=NEXT_DATA_ID,
            )
        reviews = []
        for index, (node, _) in enumerate(found.reviews):
            where = f"ld+json Review[{index}]"
            node_id = Fields(node, fail, where).need(["@id"], str)
            fields = review_fields(node, fail, where, unescape=False)
            fields.pop("body_field")
            fields.pop("url")
            review_id = node_id.rstrip("/").rsplit("/", 1)[-1]
            reviews.append(
                Review(
                    source=self.name,
                    brand=self.brand,
                    target=self.locator,
                    source_review_id=review_id,
                    url=REVIEW_URL.format(base=self.base_url, id=review_id),
                    raw_hash=payload_hash(node),
                    extra={"format": "json-ld"},
                    **fields,
                )
            )
        return ParsedPage(reviews=reviews, expected_total=found.expected_total())
