"""Steam user reviews of one app from the store's ``appreviews`` JSON endpoint, newest first, every language.

Pages of 100 are chained by an opaque ``cursor`` (``*`` first); the walk ends when a page is empty or the cursor
comes back unchanged. A review is a thumbs up or down, kept as rating 1 or 0 on a 0..1 scale. Review text uses
Steam's BBCode, which is reduced to plain text (the raw hash still covers the original).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import InputError
from ..records import Review, payload_hash
from ._util import Fields, decode_body, from_timestamp, load_json, strip
from .base import Collector, ParsedPage, Request, Response

__all__ = ["STEAM_LANGUAGES", "SteamCollector"]

PAGE_PATH = "/appreviews/{app_id}"
PAGE_QUERY = "json=1&filter=recent&language=all&purchase_type=all&num_per_page=100&cursor={cursor}"
FIRST_CURSOR = "*"
REVIEW_URL = "https://steamcommunity.com/profiles/{steamid}/recommended/{app_id}/"
SUCCESS = ("success",)
REVIEWS = ("reviews",)
CURSOR = ("cursor",)
TOTAL = ("query_summary", "total_reviews")  # only on the first page
PAGE_COUNT = ("query_summary", "num_reviews")
# One review.
ID = ("recommendationid",)
TEXT = ("review",)
VOTED_UP = ("voted_up",)
CREATED = ("timestamp_created",)
UPDATED = ("timestamp_updated",)
LANGUAGE = ("language",)
STEAM_ID = ("author", "steamid")
VOTES_UP = ("votes_up",)
DEV_REPLY = ("developer_response",)
DEV_REPLY_AT = ("timestamp_dev_responded",)
EXTRA_FIELDS = {  # extra key -> path
    "votes_funny": ("votes_funny",),
    "weighted_vote_score": ("weighted_vote_score",),
    "comment_count": ("comment_count",),
    "steam_purchase": ("steam_purchase",),
    "received_for_free": ("received_for_free",),
    "written_during_early_access": ("written_during_early_access",),
    "playtime_forever_min": ("author", "playtime_forever"),
    "playtime_at_review_min": ("author", "playtime_at_review"),
    "author_num_reviews": ("author", "num_reviews"),
    "author_num_games_owned": ("author", "num_games_owned"),
}
# Steam's language names -> ISO 639-1, where the mapping is clear (both Chinese scripts are "zh").
STEAM_LANGUAGES = {
    "arabic": "ar",
    "brazilian": "pt",
    "bulgarian": "bg",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "finnish": "fi",
    "french": "fr",
    "german": "de",
    "greek": "el",
    "hungarian": "hu",
    "indonesian": "id",
    "italian": "it",
    "japanese": "ja",
    "koreana": "ko",
    "latam": "es",
    "norwegian": "no",
    "polish": "pl",
    "portuguese": "pt",
    "romanian": "ro",
    "russian": "ru",
    "schinese": "zh",
    "spanish": "es",
    "swedish": "sv",
    "tchinese": "zh",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
    "vietnamese": "vi",
}

_APP_ID = re.compile(r"^\d{1,10}$")
_BBCODE_URL = re.compile(r"\[url=[^\]]*\](.*?)\[/url\]", re.IGNORECASE | re.DOTALL)
_BBCODE_TAG = re.compile(
    r"\[/?(?:b|i|u|s|strike|h[1-6]|spoiler|noparse|quote(?:=[^\]]*)?|code|list|olist|\*|hr|url|img|table|tr|td|th)\]",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    """Review text without BBCode markup (link text kept)."""
    return _BBCODE_TAG.sub("", _BBCODE_URL.sub(r"\1", text)).strip()


class SteamCollector(Collector):
    """Reviews of one Steam app, all languages and purchase types, newest first (100 a page)."""

    name: ClassVar[str] = "steam"
    locator_format: ClassVar[str] = "<Steam app id>"
    example: ClassVar[str] = "1346200"
    description: ClassVar[str] = "Steam user reviews (thumbs up/down), newest first, every language."
    default_base_url: ClassVar[str] = "https://store.steampowered.com"
    recency_sorted: ClassVar[bool] = True
    min_delay: float = 1.5
    announces_total: ClassVar[bool] = True  # total_reviews counts what the query's cursor chain lists

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        locator = super().validate_locator(locator)
        if not _APP_ID.match(locator):
            raise InputError(
                f"{locator!r} is not a Steam app id; expected {cls.locator_format}, e.g. {cls.example}",
                where=cls.name,
            )
        return locator

    def start_cursor(self) -> dict[str, Any]:
        return {"cursor": FIRST_CURSOR}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        query = PAGE_QUERY.format(cursor=quote(str(cursor["cursor"]), safe="*"))
        return Request(f"{self.base_url}{PAGE_PATH.format(app_id=self.locator)}?{query}")

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        if not page.reviews or not page.next_token or page.next_token == cursor["cursor"]:
            return None
        return {"cursor": page.next_token}

    def parse(self, response: Response) -> ParsedPage:
        fail = partial(self.parse_error, response)
        text, _ = decode_body(response, fail)
        data = Fields(load_json(text, fail, field="body"), fail, "")
        if data.need(SUCCESS, (int, bool)) != 1:
            raise fail(f"Steam answered success={data.get(SUCCESS)}", field="success")
        raw_reviews = data.get(REVIEWS, list)
        if raw_reviews is None:
            if data.get(PAGE_COUNT, int) != 0:
                raise fail("no reviews list", field="reviews")
            raw_reviews = []
        reviews = [self._review(raw, Fields(raw, fail, f"reviews[{i}]")) for i, raw in enumerate(raw_reviews)]
        return ParsedPage(reviews=reviews, expected_total=data.get(TOTAL, int), next_token=data.get(CURSOR, str))

    def _review(self, raw: dict[str, Any], item: Fields) -> Review:
        created = from_timestamp(item.need(CREATED, int))
        updated = item.get(UPDATED, int)
        reply_at = item.get(DEV_REPLY_AT, int)
        steam_id = item.get(STEAM_ID, str)
        language = item.get(LANGUAGE, str)
        extra: dict[str, Any] = {"steam_language": language}
        extra.update({key: item.get(path) for key, path in EXTRA_FIELDS.items()})
        extra["weighted_vote_score"] = item.number(EXTRA_FIELDS["weighted_vote_score"])  # a string or a number
        return Review(
            source=self.name,
            brand=self.brand,
            target=self.locator,
            source_review_id=item.need(ID, str),
            url=REVIEW_URL.format(steamid=steam_id, app_id=self.locator) if steam_id else None,
            author=steam_id,
            rating=1.0 if item.need(VOTED_UP, bool) else 0.0,
            rating_min=0.0,
            rating_max=1.0,
            body=_plain(item.need(TEXT, str)),
            language=STEAM_LANGUAGES.get(language or ""),
            published_at=created,
            updated_at=from_timestamp(updated) if updated and updated > created.timestamp() else None,
            reply_text=strip(item.get(DEV_REPLY, str)),
            reply_at=from_timestamp(reply_at) if reply_at else None,
            helpful_votes=item.get(VOTES_UP, int),
            raw_hash=payload_hash(raw),
            extra={key: value for key, value in extra.items() if value is not None},
        )
