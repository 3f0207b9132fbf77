"""Pages the parsers must refuse loudly: truncated JSON, a missing data blob, a review lacking a required field,
bytes that are not valid UTF-8. Each ParseError names the field, the source and the URL."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from _fixture_pages import FIXTURES

from reviewmine.collectors.appstore import AppStoreCollector
from reviewmine.collectors.base import Collector, ParseError, Response
from reviewmine.collectors.googleplay import GooglePlayCollector
from reviewmine.collectors.schemaorg import SchemaOrgCollector
from reviewmine.collectors.steam import SteamCollector
from reviewmine.collectors.trustpilot import TrustpilotCollector
from reviewmine.errors import InputError

URL = "http://127.0.0.1:9/page"
NEXT_DATA = re.compile(r'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)', re.S)
TP_PAGE = (FIXTURES / "trustpilot" / "example-shop.com-p1.html").read_text(encoding="utf-8")
STEAM_PAGE = json.loads((FIXTURES / "steam" / "1000010-p1.json").read_text(encoding="utf-8"))
APPSTORE_PAGE = json.loads((FIXTURES / "appstore" / "1234567890-us-p1.json").read_text(encoding="utf-8"))
PLAY_PAGE = (FIXTURES / "googleplay" / "com.example.pocketledger-p1.txt").read_text(encoding="utf-8")
RECIPE_PAGE = (FIXTURES / "schemaorg" / "recipe-jsonld.html").read_text(encoding="utf-8")


def _parse(collector: Collector, content: bytes | str, content_type: str = "text/html; charset=utf-8") -> Any:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return collector.parse(Response(url=URL, status=200, headers={"Content-Type": content_type}, content=body))


def _expect_refusal(
    collector: Collector, content: bytes | str, field: str, content_type: str = "text/html"
) -> ParseError:
    with pytest.raises(ParseError) as info:
        _parse(collector, content, content_type)
    error = info.value
    assert error.field == field, str(error)
    assert error.source == collector.name and error.url == URL
    assert isinstance(error, InputError) and field in str(error) and URL in str(error)
    return error


# trustpilot


def _tp_with(change: Callable[[dict[str, Any]], None]) -> str:
    match = NEXT_DATA.search(TP_PAGE)
    assert match
    data = json.loads(match.group(2))
    change(data)
    return TP_PAGE[: match.start(2)] + json.dumps(data) + TP_PAGE[match.end(2) :]


def _tp_review(change: Callable[[dict[str, Any]], None]) -> str:
    return _tp_with(lambda d: change(d["props"]["pageProps"]["reviews"][0]))


TP = TrustpilotCollector("example-shop.com", brand="x")


def test_trustpilot_truncated_next_data() -> None:
    match = NEXT_DATA.search(TP_PAGE)
    assert match
    cut = TP_PAGE[: match.start(2)] + match.group(2)[:500] + TP_PAGE[match.end(2) :]
    assert "malformed JSON" in str(_expect_refusal(TP, cut, "__NEXT_DATA__"))


def test_trustpilot_bot_protection_page() -> None:
    page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    _expect_refusal(TP, page, "__NEXT_DATA__")


def test_trustpilot_blob_without_reviews() -> None:
    _expect_refusal(
        TP, _tp_with(lambda d: d["props"]["pageProps"].pop("reviews")), "__NEXT_DATA__.props.pageProps.reviews"
    )


def test_trustpilot_empty_page_keeps_its_pagination_for_the_runner() -> None:
    """An empty page is the runner's to judge (layout change on page 1, a gap further on: tests/collect)."""
    page = _parse(TP, _tp_with(lambda d: d["props"]["pageProps"].update(reviews=[])))
    assert page.reviews == [] and page.total_pages and page.expected_total


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["dates"].pop("publishedDate"), "reviews[0].dates.publishedDate"),
        (lambda r: r.pop("id"), "reviews[0].id"),
        (lambda r: r.pop("text"), "reviews[0].text"),
        (lambda r: r.update(rating="five"), "reviews[0].rating"),
        (lambda r: r["dates"].update(publishedDate="yesterday-ish"), "reviews[0].dates.publishedDate"),
        (lambda r: r.update(rating=9), "reviews[0].rating"),
    ],
    ids=["no-date", "no-id", "no-text", "bad-rating", "bad-date", "rating-off-scale"],
)
def test_trustpilot_review_lacking_a_field(change: Callable[[dict[str, Any]], None], field: str) -> None:
    _expect_refusal(TP, _tp_review(change), field)


def test_trustpilot_non_utf8_bytes() -> None:
    data = TP_PAGE.encode("utf-8").replace("Größe".encode(), b"Gr\xf6\xdfe")
    assert "not valid utf-8" in str(_expect_refusal(TP, data, "encoding", "text/html; charset=utf-8"))


# steam


def _steam(change: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(STEAM_PAGE)
    change(data)
    return json.dumps(data)


STEAM = SteamCollector("1000010", brand="x")


def test_steam_truncated_json() -> None:
    _expect_refusal(STEAM, json.dumps(STEAM_PAGE)[:300], "body", "application/json")


def test_steam_failure_answer() -> None:
    _expect_refusal(STEAM, '{"success": 2}', "success", "application/json")
    _expect_refusal(STEAM, "{}", "success", "application/json")


def test_steam_missing_reviews_list() -> None:
    _expect_refusal(STEAM, _steam(lambda d: d.pop("reviews")), "reviews", "application/json")
    empty = _parse(STEAM, '{"success": 1, "query_summary": {"num_reviews": 0}, "cursor": "x"}', "application/json")
    assert empty.reviews == [] and STEAM.next_cursor({"cursor": "y"}, empty) is None


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("voted_up", "reviews[0].voted_up"),
        ("recommendationid", "reviews[0].recommendationid"),
        ("timestamp_created", "reviews[0].timestamp_created"),
        ("review", "reviews[0].review"),
    ],
)
def test_steam_review_lacking_a_field(key: str, field: str) -> None:
    _expect_refusal(STEAM, _steam(lambda d: d["reviews"][0].pop(key)), field, "application/json")


def test_steam_non_utf8_bytes() -> None:
    data = json.dumps(STEAM_PAGE, ensure_ascii=False).encode("utf-8").replace("画面".encode(), b"\xbb\xad\xc3\xe6")
    _expect_refusal(STEAM, data, "encoding", "application/json")


# appstore

APPSTORE = AppStoreCollector("1234567890@us", brand="x")


def test_appstore_truncated_and_blobless() -> None:
    _expect_refusal(APPSTORE, json.dumps(APPSTORE_PAGE)[:400], "feed", "application/json")
    _expect_refusal(APPSTORE, '{"status": "not found"}', "feed", "application/json")


def test_appstore_review_lacking_rating_is_not_taken_for_the_app_entry() -> None:
    data = copy.deepcopy(APPSTORE_PAGE)
    del data["feed"]["entry"][1]["im:rating"]
    _expect_refusal(APPSTORE, json.dumps(data), "feed.entry[1].im:rating.label", "application/json")
    del data["feed"]["entry"][0]  # the app's own entry is skipped; the broken review still is not
    _expect_refusal(APPSTORE, json.dumps(data), "feed.entry[0].im:rating.label", "application/json")


def test_appstore_review_lacking_id_or_date() -> None:
    data = copy.deepcopy(APPSTORE_PAGE)
    del data["feed"]["entry"][2]["id"]
    _expect_refusal(APPSTORE, json.dumps(data), "feed.entry[2].id.label", "application/json")
    data = copy.deepcopy(APPSTORE_PAGE)
    data["feed"]["entry"][2]["updated"]["label"] = "sometime"
    _expect_refusal(APPSTORE, json.dumps(data), "feed.entry[2].updated.label", "application/json")


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("2999-01-01T00:00:00-07:00", "2999-01-01 is more than a day in the future"),
        ("1970-01-01T00:00:00-07:00", "1970-01-01 is before 1995"),
        ("2025", "not a date: '2025'"),  # a year alone is not completed with today's month and day
    ],
    ids=["future", "before-1995", "year-only"],
)
def test_appstore_review_with_an_impossible_date(label: str, words: str) -> None:
    data = copy.deepcopy(APPSTORE_PAGE)
    data["feed"]["entry"][2]["updated"]["label"] = label
    error = _expect_refusal(APPSTORE, json.dumps(data), "feed.entry[2].updated.label", "application/json")
    assert words in str(error)


def test_appstore_non_utf8_bytes() -> None:
    data = json.dumps(APPSTORE_PAGE, ensure_ascii=False).encode("utf-8").replace("José".encode(), b"Jos\xe9")
    _expect_refusal(APPSTORE, data, "encoding", "application/json")


# googleplay

PLAY = GooglePlayCollector("com.example.pocketledger", brand="x")


def _play_payload(change: Callable[[list[Any]], None]) -> str:
    outer = json.loads(PLAY_PAGE[len(")]}'") :])
    payload = json.loads(outer[0][2])
    change(payload)
    outer[0][2] = json.dumps(payload)
    return ")]}'\n\n" + json.dumps(outer)


def test_googleplay_truncated_answers() -> None:
    _expect_refusal(PLAY, PLAY_PAGE[:600], "body", "application/json")
    outer = json.loads(PLAY_PAGE[len(")]}'") :])
    outer[0][2] = outer[0][2][:300]
    _expect_refusal(PLAY, ")]}'\n" + json.dumps(outer), "UsvDTd[2]", "application/json")


def test_googleplay_answer_without_review_rpc() -> None:
    _expect_refusal(PLAY, ')]}\'\n\n[["di",12],["af.httprm",11,"1",17]]', "wrb.fr.UsvDTd", "application/json")
    error = _expect_refusal(
        PLAY, ')]}\'\n\n[["wrb.fr","UsvDTd",null,null,null,[3],"generic"]]', "UsvDTd[2]", "application/json"
    )
    assert "[3]" in str(error)


@pytest.mark.parametrize(
    ("index", "field"),
    [(0, "reviews[1][0]"), (2, "reviews[1][2]"), (5, "reviews[1][5][0]")],
    ids=["id", "rating", "date"],
)
def test_googleplay_review_lacking_a_field(index: int, field: str) -> None:
    def change(payload: list[Any]) -> None:
        payload[0][1][index] = None

    _expect_refusal(PLAY, _play_payload(change), field, "application/json")


def test_googleplay_non_utf8_bytes() -> None:
    data = PLAY_PAGE.encode("utf-8").replace(b"Budget", b"B\xffdget")
    _expect_refusal(PLAY, data, "encoding", "application/json")


# schemaorg

SCHEMA = SchemaOrgCollector("https://bakery.example/recipes/cardamom-buns", brand="x")


def test_schemaorg_truncated_jsonld_without_other_reviews() -> None:
    start = RECIPE_PAGE.index('"review": [')
    error = _expect_refusal(
        SCHEMA, RECIPE_PAGE[:start] + RECIPE_PAGE[start:][:200] + "\n</script></head></html>", "ld+json[0]"
    )
    assert "malformed" in str(error)


def test_schemaorg_page_without_reviews() -> None:
    _expect_refusal(
        SCHEMA, "<html><head><title>Plain page</title></head><body><p>No markup.</p></body></html>", "Review"
    )
    page = RECIPE_PAGE.replace('"review": [', '"comment": [').replace('"@type": "Review"', '"@type": "Comment"')
    assert "states 3 reviews" in str(_expect_refusal(SCHEMA, page, "Review"))


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"reviewBody": "Väldigt goda, men lite för söta för min smak."', '"x": 1', "Review[1].reviewBody"),
        (
            '"ratingValue": 7, "bestRating": 10',
            '"ratingValue": 12, "bestRating": 10',
            "Review[2].reviewRating.ratingValue",
        ),
        ('"ratingValue": "5"', '"ratingValue": "five"', "Review[0].reviewRating.ratingValue"),
        ('"dateCreated": "2024-01-26"', '"dateCreated": "last winter"', "Review[1].dateCreated"),
    ],
    ids=["no-text-no-rating", "rating-off-scale", "rating-not-number", "bad-date"],
)
def test_schemaorg_review_lacking_a_field(old: str, new: str, field: str) -> None:
    assert old in RECIPE_PAGE
    _expect_refusal(SCHEMA, RECIPE_PAGE.replace(old, new), field)


def test_schemaorg_non_utf8_bytes_and_declared_legacy_charset() -> None:
    data = RECIPE_PAGE.encode("utf-8").replace("Väldigt".encode(), b"V\xe4ldigt")
    _expect_refusal(SCHEMA, data, "encoding", "text/html")
    legacy = (
        b'<html><head><meta charset="windows-1252"><script type="application/ld+json">'
        b'{"@type": "Review", "author": "\xc5sa", "reviewBody": "Gott \x96 men f\xf6r s\xf6tt."}'
        b"</script></head><body></body></html>"
    )
    review = _parse(SCHEMA, legacy, "text/html").reviews[0]
    assert (review.author, review.body) == ("Åsa", "Gott – men för sött.")
