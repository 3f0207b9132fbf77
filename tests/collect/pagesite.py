"""A small review site served over loopback, and the collector that reads it, for the runner's tests.

``/api/reviews?shop=S&page=N`` answers JSON pages of ``per_page`` reviews, newest first, with the total and the
page count, like most review APIs. Tests add newer reviews, edit one, or put a fault on a page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from loopback import Hit, LoopbackServer, Reply

from reviewmine.collectors.base import Collector, ParsedPage, Request, Response
from reviewmine.records import Review
from reviewmine.timeparse import parse_datetime

START = datetime(2025, 6, 1, tzinfo=UTC)


class PageSite:
    """Reviews r0..r{n-1}, r0 the oldest (one a day from START), served newest first."""

    def __init__(self, server: LoopbackServer, n_reviews: int, *, per_page: int = 5) -> None:
        self.server = server
        self.per_page = per_page
        self.reviews: list[dict[str, Any]] = []
        self.faults: dict[int, Reply] = {}  # page -> the reply served instead
        self.claimed_total: int | None = None  # set: every page claims this total and lists no reviews
        self.add(n_reviews)
        server.route("/api/reviews", self._answer)

    def add(self, count: int) -> None:
        for _ in range(count):
            n = len(self.reviews)
            when = START + timedelta(days=n)
            self.reviews.insert(0, {"id": f"r{n}", "text": f"Review number {n}", "stars": 1 + n % 5, "date": when})

    def edit(self, review_id: str, text: str) -> None:
        next(r for r in self.reviews if r["id"] == review_id)["text"] = text

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.reviews) // self.per_page))

    def requested_pages(self) -> list[int]:
        return [int(parse_qs(urlsplit(h.path).query)["page"][0]) for h in self.server.requested("/api/reviews")]

    def _answer(self, hit: Hit) -> Reply:
        page = int(parse_qs(urlsplit(hit.path).query)["page"][0])
        if page in self.faults:
            return self.faults[page]
        chunk = self.reviews[(page - 1) * self.per_page : page * self.per_page]
        items = [{**r, "date": r["date"].isoformat()} for r in chunk]
        body: dict[str, Any] = {"total": len(self.reviews), "pages": self.pages, "page": page, "reviews": items}
        if self.claimed_total is not None:
            body.update(total=self.claimed_total, reviews=[])
        return Reply(json.dumps(body), content_type="application/json")


class PageSiteCollector(Collector):
    """Reads `PageSite`."""

    name: ClassVar[str] = "pagesite"
    locator_format: ClassVar[str] = "<shop>"
    example: ClassVar[str] = "acme"
    description: ClassVar[str] = "The runner tests' loopback site."
    default_base_url: ClassVar[str] = "http://127.0.0.1:9"
    recency_sorted: ClassVar[bool] = True
    min_delay: ClassVar[float] = 0.02
    announces_total: ClassVar[bool] = True

    def start_cursor(self) -> dict[str, Any]:
        return {"page": 1}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        return Request(f"{self.base_url}/api/reviews?shop={self.locator}&page={cursor['page']}")

    def parse(self, response: Response) -> ParsedPage:
        data = response.json()
        if "reviews" not in data:
            raise self.parse_error(response, "no reviews list", field="reviews")
        reviews = [
            Review(
                source=self.name,
                brand=self.brand,
                target=self.locator,
                source_review_id=item["id"],
                body=item["text"],
                rating=item["stars"],
                published_at=parse_datetime(item["date"]),
            )
            for item in data["reviews"]
        ]
        return ParsedPage(reviews, expected_total=data["total"], total_pages=data["pages"])

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        if page.total_pages is not None and cursor["page"] >= page.total_pages:
            return None
        return {"page": cursor["page"] + 1}
