"""Locators, the requests each collector builds, and when pagination stops."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from reviewmine.collectors.appstore import AppStoreCollector
from reviewmine.collectors.base import ParsedPage
from reviewmine.collectors.googleplay import GooglePlayCollector
from reviewmine.collectors.registry import available_sources
from reviewmine.collectors.schemaorg import SchemaOrgCollector
from reviewmine.collectors.steam import SteamCollector
from reviewmine.collectors.trustpilot import TrustpilotCollector
from reviewmine.errors import InputError
from reviewmine.records import Review


def _page(n: int, **kwargs) -> ParsedPage:
    return ParsedPage(reviews=[Review(source="t", brand="b", body=f"r{i}") for i in range(n)], **kwargs)


@pytest.mark.parametrize("cls", list(available_sources().values()), ids=lambda c: c.name)
def test_every_source_describes_itself_and_accepts_its_example(cls) -> None:
    for attribute in ("name", "locator_format", "example", "description"):
        assert isinstance(getattr(cls, attribute), str) and getattr(cls, attribute)
    assert cls.min_delay >= 1.0
    collector = cls(cls.example, brand="b")
    request = collector.request_for(collector.start_cursor())
    assert urlsplit(request.url).scheme == "https"
    json.dumps(collector.start_cursor())
    with pytest.raises(InputError, match="expected"):
        cls("   ", brand="b")


@pytest.mark.parametrize(
    ("cls", "given", "normalised"),
    [
        (TrustpilotCollector, " Example.COM ", "example.com"),
        (TrustpilotCollector, "https://www.trustpilot.com/review/www.example.com?page=2", "www.example.com"),
        (AppStoreCollector, "474495017", "474495017@us"),
        (AppStoreCollector, "id474495017@NL, us,nl", "474495017@nl,us"),
        (SteamCollector, "1346200", "1346200"),
        (GooglePlayCollector, "com.example.app", "com.example.app"),
        (GooglePlayCollector, "https://play.google.com/store/apps/details?id=com.example.app&hl=de", "com.example.app"),
        (SchemaOrgCollector, "HTTPS://Shop.Example/Item?id=3#reviews", "https://shop.example/Item?id=3"),
        (SchemaOrgCollector, "http://shop.example", "http://shop.example/"),
    ],
)
def test_locators_are_normalised(cls, given: str, normalised: str) -> None:
    assert cls(given, brand="b").locator == normalised


@pytest.mark.parametrize(
    ("cls", "bad"),
    [
        (TrustpilotCollector, "not a domain"),
        (TrustpilotCollector, "localhost"),
        (AppStoreCollector, "pocket-ledger"),
        (AppStoreCollector, "474495017@usa"),
        (SteamCollector, "app/1346200"),
        (GooglePlayCollector, "translate"),
        (SchemaOrgCollector, "ftp://shop.example/item"),
        (SchemaOrgCollector, "shop.example/item"),
    ],
)
def test_bad_locators_say_what_is_expected(cls, bad: str) -> None:
    with pytest.raises(InputError) as info:
        cls(bad, brand="b")
    assert cls.locator_format in str(info.value) and cls.example in str(info.value)
    assert info.value.where == cls.name


def test_trustpilot_requests_and_stop() -> None:
    collector = TrustpilotCollector("example.com", brand="b", base_url="https://de.trustpilot.com/")
    url = collector.request_for({"page": 4}).url
    assert url == "https://de.trustpilot.com/review/example.com?languages=all&sort=recency&page=4"
    assert collector.next_cursor({"page": 4}, _page(20, total_pages=5)) == {"page": 5}
    assert collector.next_cursor({"page": 5}, _page(20, total_pages=5)) is None  # last page
    assert collector.next_cursor({"page": 1}, _page(0, total_pages=5)) == {"page": 2}  # past an empty page
    assert collector.next_cursor({"page": 1}, _page(0)) is None  # JSON-LD: an empty page ends it
    assert collector.next_cursor({"page": 1}, _page(20)) == {"page": 2}  # JSON-LD: no page count, a full page
    assert collector.next_cursor({"page": 1}, _page(7)) is None


def test_appstore_requests_walk_countries() -> None:
    collector = AppStoreCollector("474495017@us,nl", brand="b")
    assert collector.start_cursor() == {"country": "us", "page": 1}
    assert collector.request_for({"country": "nl", "page": 3}).url == (
        "https://itunes.apple.com/nl/rss/customerreviews/page=3/id=474495017/sortby=mostrecent/json"
    )
    us = {"country": "us", "page": 1}
    assert collector.next_cursor(us, _page(50, next_token="2")) == {"country": "us", "page": 2}
    assert collector.next_cursor(us, _page(50)) == {"country": "nl", "page": 1}  # no next link
    assert collector.next_cursor(us, _page(0, next_token="2")) == {"country": "nl", "page": 1}  # no entries
    assert collector.next_cursor({"country": "us", "page": 10}, _page(50, next_token="11")) == {
        "country": "nl",
        "page": 1,
    }
    assert collector.next_cursor({"country": "us", "page": 3}, _page(50, next_token="3")) == {
        "country": "nl",
        "page": 1,
    }
    assert collector.next_cursor({"country": "nl", "page": 10}, _page(50, next_token="11")) is None


def test_steam_requests_encode_the_cursor_and_stop() -> None:
    collector = SteamCollector("643960", brand="b")
    first = collector.request_for(collector.start_cursor()).url
    assert first == (
        "https://store.steampowered.com/appreviews/643960?json=1&filter=recent&language=all"
        "&purchase_type=all&num_per_page=100&cursor=*"
    )
    later = urlsplit(collector.request_for({"cursor": "AoJ4n+bY/vECcYu7hgI="}).url)
    assert "cursor=AoJ4n%2BbY%2FvECcYu7hgI%3D" in later.query
    assert parse_qs(later.query)["cursor"] == ["AoJ4n+bY/vECcYu7hgI="]
    assert collector.next_cursor({"cursor": "*"}, _page(100, next_token="A+=")) == {"cursor": "A+="}
    assert collector.next_cursor({"cursor": "A+="}, _page(100, next_token="A+=")) is None  # repeated cursor
    assert collector.next_cursor({"cursor": "A+="}, _page(0, next_token="B")) is None  # empty page
    assert collector.next_cursor({"cursor": "A+="}, _page(3)) is None  # no cursor


def test_googleplay_post_body_carries_package_sort_count_and_token() -> None:
    collector = GooglePlayCollector("com.example.app", brand="b", options={"lang": "de", "country": "at"})
    first = collector.request_for(collector.start_cursor())
    assert first.method == "POST"
    assert first.url == "https://play.google.com/_/PlayStoreUi/data/batchexecute?hl=de&gl=at"
    envelope = json.loads(first.data["f.req"])
    assert envelope[0][0][0] == "UsvDTd" and envelope[0][0][3] == "generic"
    assert json.loads(envelope[0][0][1]) == [None, None, [2, 2, [150, None, None], None, []], ["com.example.app", 7]]
    later = collector.request_for({"token": "CtTOKEN"})
    assert json.loads(json.loads(later.data["f.req"])[0][0][1])[2][2] == [150, None, "CtTOKEN"]
    # The same form google-play-scraper sends, once URL-decoded.
    assert (
        unquote(
            "%5B%5B%5B%22UsvDTd%22%2C%22%5Bnull%2Cnull%2C%5B2%2C2%2C%5B150%2Cnull%2Cnull%5D%2Cnull%2C%5B%5D%5D%2C"
            "%5B%5C%22com.example.app%5C%22%2C7%5D%5D%22%2Cnull%2C%22generic%22%5D%5D%5D"
        )
        == first.data["f.req"]
    )
    assert collector.next_cursor({"token": None}, _page(150, next_token="T2")) == {"token": "T2"}
    assert collector.next_cursor({"token": "T2"}, _page(150, next_token="T2")) is None
    assert collector.next_cursor({"token": "T2"}, _page(150)) is None
    assert collector.next_cursor({"token": "T2"}, _page(0, next_token="T3")) is None


def test_schemaorg_base_url_replaces_scheme_and_host() -> None:
    collector = SchemaOrgCollector("https://shop.example/p/kettle?variant=2", brand="b")
    assert collector.request_for(collector.start_cursor()).url == "https://shop.example/p/kettle?variant=2"
    mirrored = SchemaOrgCollector(
        "https://shop.example/p/kettle?variant=2", brand="b", base_url="http://127.0.0.1:8000/"
    )
    assert mirrored.request_for(mirrored.start_cursor()).url == "http://127.0.0.1:8000/p/kettle?variant=2"
    prefixed = SchemaOrgCollector("https://shop.example/p/kettle", brand="b", base_url="http://127.0.0.1:8000/mirror/")
    assert prefixed.request_for({"page": 1}).url == "http://127.0.0.1:8000/mirror/p/kettle"
    assert mirrored.next_cursor({"page": 1}, _page(5)) is None
    assert SchemaOrgCollector.recency_sorted is False
