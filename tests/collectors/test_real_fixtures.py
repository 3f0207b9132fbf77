"""The parsers on real saved responses in ../shared/fixtures, checked against the facts PROVENANCE.md states.
Skipped where ../shared is absent."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from reviewmine.collectors.appstore import AppStoreCollector
from reviewmine.collectors.base import Response
from reviewmine.collectors.googleplay import GooglePlayCollector
from reviewmine.collectors.schemaorg import SchemaOrgCollector
from reviewmine.collectors.steam import SteamCollector
from reviewmine.collectors.trustpilot import TrustpilotCollector
from tests.conftest import shared_path

pytestmark = pytest.mark.shared


def _response(url: str, *parts: str, content: bytes | None = None) -> Response:
    body = shared_path("fixtures", *parts).read_bytes() if content is None else content
    return Response(url=url, status=200, headers={"Content-Type": "text/html; charset=utf-8"}, content=body)


def _trustpilot(domain: str) -> tuple[TrustpilotCollector, Response]:
    collector = TrustpilotCollector(domain, brand=domain)
    url = collector.request_for(collector.start_cursor()).url
    return collector, _response(url, "trustpilot", f"{domain}_2025.html")


def test_trustpilot_beautytheshop() -> None:
    collector, response = _trustpilot("beautytheshop.com")
    page = collector.parse(response)
    assert len(page.reviews) == 20
    assert sum(r.reply_text is not None for r in page.reviews) == 16
    assert sum(r.verified is True for r in page.reviews) == 14
    assert page.total_pages == 39
    assert page.expected_total == 765  # the count under the page's language filter
    assert collector.next_cursor({"page": 1}, page) == {"page": 2}
    assert collector.next_cursor({"page": 39}, page) is None
    first = page.reviews[0]
    assert first.source_review_id == "68228cf64532930794f74c50"
    assert first.author == "Barb Young"
    assert first.title == "What the ordering process should be like."
    assert first.rating == 5 and first.language == "en" and first.verified is True
    assert first.published_at == datetime(2025, 5, 13, 2, 6, 14, tzinfo=UTC)
    assert first.url == "https://www.trustpilot.com/reviews/68228cf64532930794f74c50"
    assert first.extra["experienced_at"].startswith("2025-05-11")
    replied = [r for r in page.reviews if r.reply_text]
    assert all(r.reply_at is not None and r.reply_at >= r.published_at for r in replied)
    assert sum(r.updated_at is not None for r in page.reviews) == 1


def test_trustpilot_twenix() -> None:
    collector, response = _trustpilot("twenix.es")
    page = collector.parse(response)
    assert len(page.reviews) == 20
    assert sum(r.reply_text is not None for r in page.reviews) == 15
    assert page.total_pages == 3
    assert collector.next_cursor({"page": 3}, page) is None


def test_trustpilot_burgerking_page_without_language_filter() -> None:
    collector, response = _trustpilot("www.burgerking.fr")
    page = collector.parse(response)
    assert len(page.reviews) == 17
    assert {r.language for r in page.reviews} == {"en"}
    assert page.total_pages == 1 and collector.next_cursor({"page": 1}, page) is None
    assert "languages=all" in collector.request_for({"page": 1}).url  # what the saved page lacked


@pytest.mark.parametrize("domain", ["beautytheshop.com", "twenix.es"])
def test_trustpilot_jsonld_fallback_matches_next_data(domain: str) -> None:
    collector, response = _trustpilot(domain)
    stripped = re.sub(rb'<script id="__NEXT_DATA__".*?</script>', b"", response.content, flags=re.S)
    assert stripped != response.content
    fallback = collector.parse(_response(response.url, content=stripped))
    full = collector.parse(response)
    assert [r.source_review_id for r in fallback.reviews] == [r.source_review_id for r in full.reviews]
    assert [r.rating for r in fallback.reviews] == [r.rating for r in full.reviews]
    assert [r.published_at for r in fallback.reviews] == [r.published_at for r in full.reviews]
    words = ["".join(r.body.split()) for r in full.reviews]  # JSON-LD drops line breaks
    assert ["".join(r.body.split()) for r in fallback.reviews] == words
    assert fallback.total_pages is None and fallback.expected_total  # the business's aggregate count


def test_appstore_feed() -> None:
    collector = AppStoreCollector("474495017@nl", brand="bunq")
    url = collector.request_for(collector.start_cursor()).url
    page = collector.parse(_response(url, "app-store", "AppleAppStoreReviewsResponse.json"))
    assert len(page.reviews) == 50
    assert page.next_token == "2"
    assert collector.next_cursor({"country": "nl", "page": 1}, page) == {"country": "nl", "page": 2}
    assert collector.next_cursor({"country": "nl", "page": 10}, page) is None
    first = page.reviews[0]
    assert (first.source_review_id, first.author, first.rating, first.title) == ("9571111689", "Tony18Jr", 1, "👎")
    assert first.body.startswith("Elke keer kan ik ineens mijn saldo")
    assert first.published_at == datetime(2023, 2, 1, 12, 6, 45, tzinfo=UTC)
    assert first.extra == {
        "country": "nl",
        "app_version": "2023.2.0",
        "vote_count": 0,
        "author_url": "https://itunes.apple.com/nl/reviews/id1349913150",
    }
    assert first.language is None  # the feed states only the storefront
    assert Counter(r.rating for r in page.reviews) == {1: 30, 2: 11, 3: 4, 5: 3, 4: 2}
    assert sum(r.helpful_votes or 0 for r in page.reviews) == 3


def _steam(app_id: str) -> tuple[SteamCollector, object]:
    collector = SteamCollector(app_id, brand=app_id)
    url = collector.request_for(collector.start_cursor()).url
    return collector, collector.parse(_response(url, "steam", f"{app_id}.json"))


def test_steam_1346200() -> None:
    collector, page = _steam("1346200")
    assert len(page.reviews) == 6
    assert page.expected_total == 6
    assert page.next_token == "AoJ4m73novQCe7r+ngI="
    assert collector.next_cursor({"cursor": "*"}, page) == {"cursor": "AoJ4m73novQCe7r+ngI="}
    assert collector.next_cursor({"cursor": "AoJ4m73novQCe7r+ngI="}, page) is None  # repeated cursor
    first = page.reviews[0]
    assert first.source_review_id == "84122285" and first.rating == 1.0 and first.rating_max == 1.0
    assert first.language == "en" and first.extra["steam_language"] == "english"
    assert first.helpful_votes == 1
    assert first.published_at == datetime.fromtimestamp(1609905571, UTC)
    assert Counter(r.language for r in page.reviews) == {"en": 5, "de": 1}


def test_steam_643960_merged_pages() -> None:
    _, page = _steam("643960")
    assert len(page.reviews) == 324
    assert len({r.extra["steam_language"] for r in page.reviews}) == 20
    assert sum(r.reply_text is not None for r in page.reviews) == 6
    assert all(r.reply_at is not None for r in page.reviews if r.reply_text)
    assert all(r.language is not None for r in page.reviews)  # every Steam language here maps to a code
    assert not any(re.search(r"\[/?(b|i|u|h1|spoiler|quote)\]", r.body) for r in page.reviews)
    assert sum(r.updated_at is not None for r in page.reviews) == 57


def _schemaorg(name: str):
    url = "https://recipes.example/page"
    return SchemaOrgCollector(url, brand="b").parse(_response(url, "schema-org", f"{name}.testhtml"))


def test_schemaorg_allrecipes() -> None:
    page = _schemaorg("allrecipescurated")
    assert len(page.reviews) == 10
    assert page.expected_total == 489
    assert page.reviews[0].author == "G8RTCHR" and page.reviews[0].rating == 5
    assert page.reviews[1].published_at == datetime(2024, 3, 1, 23, 2, 55, 425000, tzinfo=UTC)
    assert all(r.extra["item_type"] == "Recipe" for r in page.reviews)


def test_schemaorg_delishkitchen_japanese() -> None:
    page = _schemaorg("delishkitchen_1")
    assert len(page.reviews) == 10
    assert page.reviews[0].author == "はぎこ"
    assert page.reviews[0].body.startswith("ポットで沸騰させたお湯")
    assert page.expected_total == 490


def test_schemaorg_recept_date_created_without_rating() -> None:
    page = _schemaorg("recept")
    assert len(page.reviews) == 10
    assert all(r.rating is None and r.published_at is not None for r in page.reviews)
    assert page.reviews[0].published_at == datetime(2024, 1, 26, tzinfo=UTC)
    assert page.expected_total == 197


def test_schemaorg_williams_sonoma_microdata() -> None:
    page = _schemaorg("williamssonoma_2")
    assert len(page.reviews) == 8
    assert all(r.extra["format"] == "microdata" and r.extra["body_field"] == "description" for r in page.reviews)
    first = page.reviews[0]
    assert (first.author, first.rating, first.title) == ("Donnagar10", 1, "Chocolate Cake?")
    assert first.body.startswith("While the cake came out looking great")
    assert first.published_at == datetime(2022, 10, 30, tzinfo=UTC)
    assert page.expected_total == 8


@pytest.mark.parametrize("name", ["translate-initial", "translate-page2"])
def test_googleplay_pages(name: str) -> None:
    collector = GooglePlayCollector("com.google.android.apps.translate", brand="Google Translate")
    request = collector.request_for(collector.start_cursor())
    page = collector.parse(_response(request.url, "google-play", f"{name}.txt"))
    assert len(page.reviews) == 150
    assert page.next_token and page.next_token.startswith("Ct")
    assert collector.next_cursor({"token": None}, page) == {"token": page.next_token}
    assert all(1 <= r.rating <= 5 for r in page.reviews)
    assert len({r.source_review_id for r in page.reviews}) == 150
    replies = [r for r in page.reviews if r.reply_text]
    assert replies and all(r.reply_at and r.extra["reply_author"] == "Google LLC" for r in replies)
    assert sum("app_version" in r.extra for r in page.reviews) > 100


def test_googleplay_first_review_fields() -> None:
    collector = GooglePlayCollector("com.google.android.apps.translate", brand="Google Translate")
    page = collector.parse(_response("https://play.google.com/x", "google-play", "translate-initial.txt"))
    first = page.reviews[0]
    assert first.source_review_id == "017452fc-0d4b-471d-b406-bcf0f52387a7"
    assert (first.author, first.rating, first.body) == ("Formann Ali", 5, "niec")
    assert first.published_at == datetime.fromtimestamp(1783346124, UTC)
    replied = next(r for r in page.reviews if r.reply_text)
    assert replied.author == "Baran Akbar" and replied.extra["app_version"] == "10.24.48.939568180.6-release"
