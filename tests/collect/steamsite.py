"""A Steam ``appreviews`` endpoint on loopback, in Steam's JSON shape, for end-to-end CLI runs.

Pages are chained by an opaque cursor; the first page carries ``query_summary.total_reviews``; past the last
review Steam answers an empty page, which is where the walk ends.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from loopback import Hit, LoopbackServer, Reply

APP_ID = "1346200"
FIRST = 1_740_000_000  # unix time of the oldest review


class SteamSite:
    def __init__(self, server: LoopbackServer, n_reviews: int, *, per_page: int = 5) -> None:
        self.server = server
        self.per_page = per_page
        self.claimed_total: int | None = None  # set: the first page claims this total and lists nothing
        self.stuck: set[str] = set()  # cursors answered with an empty page and the same cursor back
        self.reviews = [self._review(n) for n in reversed(range(n_reviews))]  # newest first
        server.route(f"/appreviews/{APP_ID}", self._answer)

    @staticmethod
    def _review(n: int) -> dict[str, Any]:
        return {
            "recommendationid": str(1000 + n),
            "author": {"steamid": str(7656000 + n), "playtime_forever": 60 * n},
            "language": "english",
            "review": f"[b]Review[/b] number {n}",
            "timestamp_created": FIRST + 86_400 * n,
            "timestamp_updated": FIRST + 86_400 * n,
            "voted_up": n % 3 != 0,
            "votes_up": n,
        }

    def cursors(self) -> list[str]:
        hits = self.server.requested(f"/appreviews/{APP_ID}")
        return [parse_qs(urlsplit(h.path).query)["cursor"][0] for h in hits]

    def _answer(self, hit: Hit) -> Reply:
        cursor = parse_qs(urlsplit(hit.path).query)["cursor"][0]
        index = 0 if cursor == "*" else int(cursor.removeprefix("c"))
        chunk = self.reviews[index : index + self.per_page]
        body: dict[str, Any] = {
            "success": 1,
            "query_summary": {"num_reviews": len(chunk)},
            "reviews": chunk,
            "cursor": f"c{index + len(chunk)}",
        }
        if cursor in self.stuck:
            body.update(reviews=[], cursor=cursor, query_summary={"num_reviews": 0})
        if cursor == "*":
            body["query_summary"]["total_reviews"] = len(self.reviews)
            if self.claimed_total is not None:
                body["query_summary"].update(total_reviews=self.claimed_total, num_reviews=0)
                body["reviews"] = []
        return Reply(json.dumps(body), content_type="application/json; charset=utf-8")
