"""Apple App Store customer reviews from the public RSS feed (JSON), newest first, per country storefront.

Apple serves at most 10 pages of 50 reviews per country. A locator names the app and the storefronts to read,
``<app id>@us,nl``; the countries are collected one after the other. The feed states no review language, only the
storefront country, which goes into ``extra``.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, ClassVar

from ..errors import InputError
from ..records import Review, payload_hash
from ._util import Fields, decode_body, load_json, strip
from .base import Collector, ParsedPage, Request, Response

__all__ = ["AppStoreCollector"]

FEED_PATH = "/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
MAX_PAGES = 10  # Apple's cap per country (10 x 50 reviews)
DEFAULT_COUNTRY = "us"
FEED = ("feed",)
ENTRIES = ("feed", "entry")
LINKS = ("feed", "link")
LINK_REL, LINK_HREF = ("attributes", "rel"), ("attributes", "href")
APP_ENTRY_KEYS = ("im:name", "im:artist")  # the app's own entry, which some pages list first
RATING_SCALE = (1.0, 5.0)
# One review entry.
ID = ("id", "label")
RATING = ("im:rating", "label")
TITLE = ("title", "label")
BODY = ("content", "label")
AUTHOR = ("author", "name", "label")
AUTHOR_URL = ("author", "uri", "label")
UPDATED = ("updated", "label")
VERSION = ("im:version", "label")
VOTE_SUM = ("im:voteSum", "label")  # "helpful" votes
VOTE_COUNT = ("im:voteCount", "label")  # all votes

_LOCATOR = re.compile(r"^(?:id)?(\d+)(?:@([a-z]{2}(?:\s*,\s*[a-z]{2})*))?$", re.IGNORECASE)
_COUNTRY_IN_URL = re.compile(r"/([a-z]{2})/rss/customerreviews/", re.IGNORECASE)
_PAGE_IN_URL = re.compile(r"/page=(\d+)/")


class AppStoreCollector(Collector):
    """Reviews of one iOS app in one or more App Store countries (up to 500 per country)."""

    name: ClassVar[str] = "appstore"
    locator_format: ClassVar[str] = "<app id>[@<country>,<country>...] (two-letter storefront codes, default us)"
    example: ClassVar[str] = "474495017@us,nl"
    description: ClassVar[str] = "Apple App Store reviews from the RSS feed, newest first (10 x 50 per country)."
    default_base_url: ClassVar[str] = "https://itunes.apple.com"
    recency_sorted: ClassVar[bool] = True
    min_delay: float = 1.0

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        match = _LOCATOR.match(super().validate_locator(locator))
        if not match:
            raise InputError(
                f"{locator.strip()!r} is not an app id with optional countries; "
                f"expected {cls.locator_format}, e.g. {cls.example}",
                where=cls.name,
            )
        countries = [c.strip().lower() for c in (match.group(2) or DEFAULT_COUNTRY).split(",")]
        return f"{match.group(1)}@{','.join(dict.fromkeys(countries))}"

    @property
    def app_id(self) -> str:
        return self.locator.split("@", 1)[0]

    @property
    def countries(self) -> list[str]:
        return self.locator.split("@", 1)[1].split(",")

    def start_cursor(self) -> dict[str, Any]:
        return {"country": self.countries[0], "page": 1}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        path = FEED_PATH.format(country=cursor["country"], page=int(cursor["page"]), app_id=self.app_id)
        return Request(self.base_url + path)

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        """The next page of this country while the feed links one, else page 1 of the next country."""
        number = int(cursor["page"])
        linked = int(page.next_token) if page.next_token and page.next_token.isdigit() else 0
        if page.reviews and number < MAX_PAGES and linked > number:
            return {"country": cursor["country"], "page": number + 1}
        return self.next_section(cursor)

    def next_section(self, cursor: dict[str, Any]) -> dict[str, Any] | None:
        """Page 1 of the next country: each country's feed is sorted on its own."""
        countries = self.countries
        position = countries.index(cursor["country"]) if cursor["country"] in countries else len(countries)
        if position + 1 < len(countries):
            return {"country": countries[position + 1], "page": 1}
        return None

    def parse(self, response: Response) -> ParsedPage:
        fail = partial(self.parse_error, response)
        text, _ = decode_body(response, fail)
        data = Fields(load_json(text, fail, field="feed"), fail, "")
        data.need(FEED, dict)
        entries = data.get(ENTRIES, (list, dict)) or []
        entries = [entries] if isinstance(entries, dict) else entries
        country = self._country(response, data)
        reviews = []
        for index, entry in enumerate(entries):
            item = Fields(entry, fail, f"feed.entry[{index}]")
            if isinstance(entry, dict) and RATING[0] not in entry and any(k in entry for k in APP_ENTRY_KEYS):
                continue  # the app itself, not a review
            reviews.append(self._review(entry, item, country))
        return ParsedPage(reviews=reviews, next_token=self._next_page(data))

    def _review(self, raw: dict[str, Any], item: Fields, country: str | None) -> Review:
        votes, vote_count = item.number(VOTE_SUM), item.number(VOTE_COUNT)
        extra = {
            "country": country,
            "app_version": item.get(VERSION, str),
            "vote_count": None if vote_count is None else int(vote_count),
            "author_url": item.get(AUTHOR_URL, str),
        }
        return Review(
            source=self.name,
            brand=self.brand,
            target=self.locator,
            source_review_id=item.need(ID, str),
            author=strip(item.get(AUTHOR, str)),
            rating=item.rating(RATING, RATING_SCALE),
            title=strip(item.get(TITLE, str)),
            body=item.need(BODY, str).strip(),
            published_at=item.date(UPDATED, required=True),
            helpful_votes=None if votes is None else int(votes),
            raw_hash=payload_hash(raw),
            extra={key: value for key, value in extra.items() if value is not None},
        )

    @staticmethod
    def _links(data: Fields) -> dict[str, str]:
        links = data.get(LINKS, (list, dict)) or []
        links = [links] if isinstance(links, dict) else links
        out: dict[str, str] = {}
        for link in links:
            fields = Fields(link, data.fail, "feed.link")
            rel, href = fields.get(LINK_REL, str), fields.get(LINK_HREF, str)
            if rel and href:
                out[rel] = href
        return out

    def _next_page(self, data: Fields) -> str | None:
        match = _PAGE_IN_URL.search(self._links(data).get("next", ""))
        return match.group(1) if match else None

    def _country(self, response: Response, data: Fields) -> str | None:
        for url in (response.url, *self._links(data).values()):
            match = _COUNTRY_IN_URL.search(url)
            if match:
                return match.group(1).lower()
        return None
