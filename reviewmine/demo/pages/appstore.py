"""The App Store reviews RSS feed (JSON): ``/{cc}/rss/customerreviews/page={n}/id={id}/sortby=mostrecent/json``.

As the real feed: ``feed.entry`` holds up to 50 reviews a page, newest first, at most 10 pages (500 reviews);
``feed.link`` has alternate/self/first/last/previous/next, with previous and next clamped to the first and last
page; a page past the last (up to 10) has no ``entry`` key; page 11 and beyond is refused (400). Entry times are
Cupertino local time with their offset, like ``2023-02-01T05:06:45-07:00``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..model import Brand, DemoReview

__all__ = ["MAX_PAGES", "PER_PAGE", "feed", "feed_path"]

PER_PAGE = 50
MAX_PAGES = 10
_PACIFIC = ZoneInfo("America/Los_Angeles")


def feed_path(country: str, app_id: str, page: int | None = None, fmt: str = "json") -> str:
    page_part = f"page={page}/" if page is not None else ""
    return f"/{country}/rss/customerreviews/{page_part}id={app_id}/sortby=mostrecent/{fmt}"


def _local(value: datetime) -> str:
    return value.astimezone(_PACIFIC).isoformat(timespec="seconds")


def _link(base_url: str, country: str, app_id: str, page: int) -> str:
    """Feed links point at the XML variant with a urlDesc back to the JSON one, as Apple's do."""
    back = f"/customerreviews/id={app_id}/sortby=mostrecent/json"
    return f"{base_url}{feed_path(country, app_id, page, 'xml')}?urlDesc={back}"


def _entry(review: DemoReview, base_url: str, country: str, app_id: str) -> dict[str, object]:
    votes = int(review.extra.get("vote_count", 0))
    user = 100_000_000 + int(review.id) % 1_900_000_000
    return {
        "author": {
            "uri": {"label": f"{base_url}/{country}/reviews/id{user}"},
            "name": {"label": review.author},
            "label": "",
        },
        "updated": {"label": _local(review.published_at)},
        "im:rating": {"label": str(review.rating)},
        "im:version": {"label": str(review.extra.get("version", "1.0"))},
        "id": {"label": review.id},
        "title": {"label": review.title},
        "content": {"label": review.body, "attributes": {"type": "text"}},
        "link": {
            "attributes": {"rel": "related", "href": f"{base_url}/{country}/review?id={app_id}&type=Purple%20Software"}
        },
        "im:voteSum": {"label": str(review.extra.get("vote_sum", 0))},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": str(votes)},
    }


def feed(
    brand: Brand, reviews: list[DemoReview], page: int | None, *, base_url: str, now: datetime | None = None
) -> tuple[int, bytes]:
    """(status, JSON) of one feed page; ``reviews`` are the app's reviews visible now, newest first."""
    assert brand.app_id is not None
    number = page or 1
    if number < 1 or number > MAX_PAGES:
        return 400, b"CustomerReviews RSS page depth is limited to 10"
    country, app_id = brand.app_country, brand.app_id
    capped = reviews[: PER_PAGE * MAX_PAGES]
    last = max(1, min(MAX_PAGES, math.ceil(len(capped) / PER_PAGE)))
    shown = capped[(number - 1) * PER_PAGE : number * PER_PAGE]
    self_url = f"{base_url}{feed_path(country, app_id, page)}"
    body: dict[str, object] = {
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": f"http://www.apple.com/{country}/itunes/"}},
    }
    if shown:
        body["entry"] = [_entry(r, base_url, country, app_id) for r in shown]
    body |= {
        "updated": {"label": _local(now or datetime.now(UTC))},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store: Customer Reviews"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": [
            {
                "attributes": {
                    "rel": "alternate",
                    "type": "text/html",
                    "href": f"https://music.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=25109",
                }
            },
            {"attributes": {"rel": "self", "href": self_url}},
            {"attributes": {"rel": "first", "href": _link(base_url, country, app_id, 1)}},
            {"attributes": {"rel": "last", "href": _link(base_url, country, app_id, last)}},
            {"attributes": {"rel": "previous", "href": _link(base_url, country, app_id, max(1, number - 1))}},
            {"attributes": {"rel": "next", "href": _link(base_url, country, app_id, min(last, number + 1))}},
        ],
        "id": {"label": self_url},
    }
    return 200, json.dumps({"feed": body}, ensure_ascii=False).encode("utf-8")
