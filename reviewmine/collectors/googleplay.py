"""Google Play reviews of one Android app through the store's own ``batchexecute`` RPC (``UsvDTd``), newest first.

The request is a form POST whose ``f.req`` field holds a JSON-in-JSON envelope (the format documented by the
google-play-scraper projects); each answer carries up to 150 reviews and a continuation token for the next call.
The answer starts with the anti-XSSI prefix ``)]}'`` and nests the payload as a JSON string. Reviews are
positional arrays, so the field map below is a list of index paths. Options ``lang`` and ``country`` (default
``en`` / ``us``) pick the storefront.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from ..errors import InputError
from ..records import Review, payload_hash
from ._util import Fields, decode_body, from_timestamp, load_json, strip
from .base import Collector, ParsedPage, Request, Response

__all__ = ["GooglePlayCollector"]

RPC_PATH = "/_/PlayStoreUi/data/batchexecute"
RPC_ID = "UsvDTd"
FORM_FIELD = "f.req"
SORT_NEWEST = 2
PAGE_SIZE = 150  # the most the RPC returns per call
XSSI_PREFIX = ")]}'"
ENVELOPE_TAG = "wrb.fr"
REVIEW_URL = "{base}/store/apps/details?id={package}&reviewId={id}"
DEFAULT_LANG, DEFAULT_COUNTRY = "en", "us"
# Inside the payload: [reviews, [null, token]].
PAYLOAD_REVIEWS = (0,)
PAYLOAD_TOKEN = (1, 1)
RATING_SCALE = (1.0, 5.0)
# One review (a positional array).
ID = (0,)
AUTHOR = (1, 0)
RATING = (2,)
TITLE = (3,)
TEXT = (4,)
CREATED = (5, 0)  # [seconds, nanos]
THUMBS_UP = (6,)
REPLY_AUTHOR = (7, 0)
REPLY_TEXT = (7, 1)
REPLY_AT = (7, 2, 0)
APP_VERSION = (10,)
CRITERIA = (12, 0)  # [[name, [value]], ...], e.g. vaf_app_quality_stability

_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")


def _rpc_args(package: str, token: str | None) -> str:
    page = [PAGE_SIZE, None, token]
    return json.dumps([None, None, [2, SORT_NEWEST, page, None, []], [package, 7]], separators=(",", ":"))


class GooglePlayCollector(Collector):
    """Reviews of one Google Play app, newest first, 150 per call."""

    name: ClassVar[str] = "googleplay"
    locator_format: ClassVar[str] = "<Android package name>"
    example: ClassVar[str] = "com.google.android.apps.translate"
    description: ClassVar[str] = "Google Play app reviews, newest first, with developer replies and app version."
    default_base_url: ClassVar[str] = "https://play.google.com"
    recency_sorted: ClassVar[bool] = True
    min_delay: float = 1.0

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        locator = super().validate_locator(locator)
        if "://" in locator:  # a pasted store URL: .../store/apps/details?id=<package>
            locator = parse_qs(urlsplit(locator).query).get("id", [""])[0]
        if not _PACKAGE.match(locator):
            raise InputError(
                f"{locator!r} is not a package name; expected {cls.locator_format}, e.g. {cls.example}",
                where=cls.name,
            )
        return locator

    def start_cursor(self) -> dict[str, Any]:
        return {"token": None}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        query = urlencode(
            {"hl": self.options.get("lang", DEFAULT_LANG), "gl": self.options.get("country", DEFAULT_COUNTRY)}
        )
        envelope = [[[RPC_ID, _rpc_args(self.locator, cursor.get("token")), None, "generic"]]]
        return Request(
            f"{self.base_url}{RPC_PATH}?{query}",
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            data={FORM_FIELD: json.dumps(envelope, separators=(",", ":"))},
        )

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        if not page.reviews or not page.next_token or page.next_token == cursor.get("token"):
            return None
        return {"token": page.next_token}

    def parse(self, response: Response) -> ParsedPage:
        fail = partial(self.parse_error, response)
        text, _ = decode_body(response, fail)
        text = text.lstrip()
        text = text[len(XSSI_PREFIX) :] if text.startswith(XSSI_PREFIX) else text
        envelopes = load_json(text, fail, field="body")
        rpc = (
            next((e for e in envelopes if isinstance(e, list) and e[:2] == [ENVELOPE_TAG, RPC_ID]), None)
            if isinstance(envelopes, list)
            else None
        )
        if rpc is None:
            raise fail(f"no {ENVELOPE_TAG} answer for rpc {RPC_ID}", field=f"{ENVELOPE_TAG}.{RPC_ID}")
        if len(rpc) < 3 or not isinstance(rpc[2], str):
            code = rpc[5] if len(rpc) > 5 else None
            raise fail(f"the answer holds no review data (error {code}; unknown package?)", field=f"{RPC_ID}[2]")
        payload = Fields(load_json(rpc[2], fail, field=f"{RPC_ID}[2]"), fail, "payload")
        if not isinstance(payload.data, list):
            raise fail("the review payload is not a list", field=f"{RPC_ID}[2]")
        raw_reviews = payload.get(PAYLOAD_REVIEWS, list) or []
        reviews = [self._review(raw, Fields(raw, fail, f"reviews[{i}]")) for i, raw in enumerate(raw_reviews)]
        return ParsedPage(reviews=reviews, next_token=payload.get(PAYLOAD_TOKEN, str))

    def _review(self, raw: list[Any], item: Fields) -> Review:
        review_id = item.need(ID, str)
        reply_at = item.get(REPLY_AT, int)
        criteria = item.get(CRITERIA, list) or []
        extra = {
            "app_version": item.get(APP_VERSION, str),
            "reply_author": item.get(REPLY_AUTHOR, str),
            "criteria": {c[0]: c[1][0] for c in criteria if _is_criterion(c)} or None,
        }
        return Review(
            source=self.name,
            brand=self.brand,
            target=self.locator,
            source_review_id=review_id,
            url=REVIEW_URL.format(base=self.base_url, package=self.locator, id=review_id),
            author=strip(item.get(AUTHOR, str)),
            rating=item.rating(RATING, RATING_SCALE),
            title=strip(item.get(TITLE, str)),
            body=(item.get(TEXT, str) or "").strip(),
            published_at=from_timestamp(item.need(CREATED, int)),
            reply_text=strip(item.get(REPLY_TEXT, str)),
            reply_at=from_timestamp(reply_at) if reply_at else None,
            helpful_votes=item.get(THUMBS_UP, int),
            raw_hash=payload_hash(raw),
            extra={key: value for key, value in extra.items() if value is not None},
        )


def _is_criterion(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 1
        and isinstance(value[0], str)
        and isinstance(value[1], list)
        and bool(value[1])
    )
