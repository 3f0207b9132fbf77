"""Trustpilot company pages on loopback, in Trustpilot's format: the Next.js ``__NEXT_DATA__`` script with
``props.pageProps.reviews`` and ``props.pageProps.filters.pagination`` (20 reviews a page, newest first).

Tests empty a page (``empty``) to play a site that drops a page in the middle of the chain.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from loopback import Hit, LoopbackServer, Reply

DOMAIN = "shop.example"
PAGE_SIZE = 20
START = datetime(2025, 3, 1, tzinfo=UTC)


class TrustpilotSite:
    def __init__(self, server: LoopbackServer, n_reviews: int, *, start: datetime = START) -> None:
        self.server = server
        self.reviews = [self._review(n, start) for n in reversed(range(n_reviews))]  # newest first, an hour apart
        self.empty: set[int] = set()  # pages served with no reviews (the pagination still says they exist)
        server.route(f"/review/{DOMAIN}", self._answer)

    @staticmethod
    def _review(n: int, start: datetime) -> dict[str, Any]:
        when = (start + timedelta(hours=n)).isoformat().replace("+00:00", ".000Z")
        return {
            "id": f"{n:024x}",
            "title": f"Order {n}",
            "text": f"Review number {n}: delivery was {'late' if n % 3 else 'fine'}.",
            "rating": 1 + n % 5,
            "language": "en",
            "dates": {"publishedDate": when, "experiencedDate": when, "updatedDate": None},
            "consumer": {"displayName": f"Customer {n}", "countryCode": "GB", "numberOfReviews": 1},
            "labels": {"verification": {"isVerified": n % 2 == 0, "verificationLevel": "verified"}},
            "reply": None,
            "likes": 0,
            "source": "Organic",
        }

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.reviews) // PAGE_SIZE))

    def requested_pages(self) -> list[int]:
        hits = self.server.requested(f"/review/{DOMAIN}")
        return [int(parse_qs(urlsplit(h.path).query)["page"][0]) for h in hits]

    def _answer(self, hit: Hit) -> Reply:
        page = int(parse_qs(urlsplit(hit.path).query)["page"][0])
        chunk = [] if page in self.empty else self.reviews[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        pagination = {"currentPage": page, "perPage": PAGE_SIZE, "totalCount": len(self.reviews),
                      "totalPages": self.pages}  # fmt: skip
        data = {"props": {"pageProps": {"reviews": chunk, "filters": {"pagination": pagination}}}, "page": "/review"}
        script = json.dumps(data).replace("</", "<\\/")  # as Next.js writes it: raw JSON, no "</" inside
        body = (
            f"<!DOCTYPE html><html><head><title>{DOMAIN} reviews</title></head><body><main>...</main>"
            f'<script id="__NEXT_DATA__" type="application/json">{script}</script></body></html>'
        )
        return Reply(body)
