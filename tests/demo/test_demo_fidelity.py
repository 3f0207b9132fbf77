"""The demo's pages have the same structure as the real saved responses in ../shared/fixtures (skipped without it):
same keys in each Trustpilot review and App Store entry, same pagination and link blocks."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from reviewmine.demo import DemoData
from tests.conftest import shared_path

pytestmark = pytest.mark.shared

_NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


def _shape(value: Any, depth: int = 3) -> Any:
    """The nested key structure of JSON data (dict keys, down to ``depth`` levels), values ignored."""
    if isinstance(value, dict) and depth:
        return {key: _shape(item, depth - 1) for key, item in value.items()}
    return None


def _next_data(html: str) -> dict[str, Any]:
    match = _NEXT_DATA.search(html)
    assert match
    return json.loads(match.group(1))


def test_trustpilot_review_objects_match_the_real_page(client: httpx.Client, demo_data: DemoData) -> None:
    real = _next_data(shared_path("fixtures", "trustpilot", "twenix.es_2025.html").read_text(encoding="utf-8"))
    ours = _next_data(client.get("/review/crustline.example", params={"languages": "all"}).text)
    real_props, our_props = real["props"]["pageProps"], ours["props"]["pageProps"]
    replied = next(r for r in real_props["reviews"] if r["reply"])
    our_replied = next(r for r in our_props["reviews"] if r["reply"])
    assert _shape(our_replied) == _shape(replied)
    assert _shape(our_props["filters"]["pagination"]) == _shape(real_props["filters"]["pagination"])
    assert set(our_props["filters"]["selected"]) == set(real_props["filters"]["selected"])
    assert set(our_props["filters"]) == set(real_props["filters"])
    assert set(our_props) <= set(real_props)
    assert set(ours) == set(real) and ours["page"] == real["page"]
    assert set(our_props["businessUnit"]) <= set(real_props["businessUnit"])


def test_appstore_feed_matches_the_real_feed(client: httpx.Client, demo_data: DemoData) -> None:
    real = json.loads(shared_path("fixtures", "app-store", "AppleAppStoreReviewsResponse.json").read_bytes())
    app = demo_data.brand("Crustline").app_id
    ours = client.get(f"/gb/rss/customerreviews/page=1/id={app}/sortby=mostrecent/json").json()
    assert list(ours["feed"]) == list(real["feed"])  # same keys, same order
    assert _shape(ours["feed"]["entry"][0], 4) == _shape(real["feed"]["entry"][0], 4)
    rels = [link["attributes"]["rel"] for link in ours["feed"]["link"]]
    assert rels == [link["attributes"]["rel"] for link in real["feed"]["link"]]
    real_next = real["feed"]["link"][-1]["attributes"]["href"]
    our_next = ours["feed"]["link"][-1]["attributes"]["href"]
    pattern = re.compile(r"/[a-z]{2}/rss/customerreviews/page=\d+/id=\d+/sortby=mostrecent/xml\?urlDesc=.+/json$")
    assert pattern.search(real_next) and pattern.search(our_next)


def test_schemaorg_reviews_use_the_real_properties(client: httpx.Client) -> None:
    html = shared_path("fixtures", "schema-org", "allrecipescurated.testhtml").read_text(encoding="utf-8")
    (block,) = re.findall(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    real_review = json.loads(block)[0]["review"][1]
    ours = client.get("/menu/crustline/texas-bbq").text
    blocks = [
        json.loads(b) for b in re.findall(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', ours, re.S)
    ]
    product = next(b for b in blocks if isinstance(b, list))[0]
    assert product["@type"] == ["Product"]  # the list-wrapped, list-typed variant, as allrecipes serves it
    assert set(real_review) <= set(product["review"][0])
    assert set(json.loads(block)[0]["aggregateRating"]) <= set(product["aggregateRating"])
