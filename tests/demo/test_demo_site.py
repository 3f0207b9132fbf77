"""The demo site over real HTTP on loopback: each format, its pagination, robots.txt, errors and `as_of`."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import httpx
import pytest
from protego import Protego

from reviewmine.demo import DemoData, DemoSite

_NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)
_JSON_LD = re.compile(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', re.S)


def _next_data(html: str) -> dict[str, Any]:
    match = _NEXT_DATA.search(html)
    assert match, "no __NEXT_DATA__ script"
    return json.loads(match.group(1))


def _trustpilot_pages(client: httpx.Client, domain: str, **params: str) -> list[dict[str, Any]]:
    pages, number = [], 1
    while True:
        response = client.get(f"/review/{domain}", params={**params, "page": str(number)})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        pages.append(_next_data(response.text)["props"]["pageProps"])
        if number >= pages[-1]["filters"]["pagination"]["totalPages"]:
            return pages
        number += 1


def test_robots_txt_allows_the_review_paths(client: httpx.Client, demo_site: DemoSite) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    robots = Protego.parse(response.text)
    for target in demo_site.targets:
        assert robots.can_fetch(target.url, "reviewmine"), target.url
    assert not robots.can_fetch(f"{demo_site.base_url}/checkout/basket", "reviewmine")
    assert robots.crawl_delay("reviewmine") is None  # no Crawl-delay: a demo run must stay quick


def test_trustpilot_pages_are_complete_and_consistent(client: httpx.Client, demo_data: DemoData) -> None:
    for brand in demo_data.brands:
        expected = demo_data.reviews_for(brand.name, "trustpilot")
        pages = _trustpilot_pages(client, brand.domain, languages="all", sort="recency")
        total = len(expected)
        assert len(pages) == math.ceil(total / 20)
        ids = []
        for number, props in enumerate(pages, start=1):
            pagination = props["filters"]["pagination"]
            assert pagination == {"currentPage": number, "perPage": 20, "totalCount": total, "totalPages": len(pages)}
            assert props["filters"]["selected"]["languages"] == "all"
            assert props["businessUnit"]["identifyingName"] == brand.domain
            assert props["businessUnit"]["numberOfReviews"] == total
            assert len(props["reviews"]) == (20 if number < len(pages) else total - 20 * (len(pages) - 1))
            ids += [review["id"] for review in props["reviews"]]
        assert len(set(ids)) == len(ids) == total
        by_id = {review.id: review for review in expected}
        assert set(ids) == set(by_id)
        published = [by_id[i].published_at for i in ids]
        assert published == sorted(published, reverse=True)  # newest first


def test_trustpilot_review_fields(client: httpx.Client, demo_data: DemoData) -> None:
    brand = demo_data.brand("Forno Fresco")
    props = _next_data(client.get(f"/review/{brand.domain}", params={"languages": "all"}).text)["props"]["pageProps"]
    truth = {r.id: r for r in demo_data.reviews_for(brand.name, "trustpilot")}
    for item in props["reviews"]:
        review = truth[item["id"]]
        assert item["text"] == review.body and item["rating"] == review.rating and item["title"] == review.title
        assert item["language"] == review.language and item["consumer"]["displayName"] == review.author
        assert item["dates"]["publishedDate"] == review.published_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert item["labels"]["verification"]["isVerified"] == review.verified
        assert (item["reply"] is None) == (review.reply is None)
        if review.reply:
            assert item["reply"]["message"] == review.reply.text
        assert (item["dates"]["updatedDate"] is None) == (review.edit is None)


def test_trustpilot_json_ld_mirrors_the_page(client: httpx.Client, demo_data: DemoData) -> None:
    brand = demo_data.brand("Crustline")
    html = client.get(f"/review/{brand.domain}", params={"languages": "all", "page": "3"}).text
    graph = json.loads(_JSON_LD.findall(html)[0])["@graph"]
    reviews = [node for node in graph if node["@type"] == "Review"]
    business = next(node for node in graph if node["@type"] == "LocalBusiness")
    page_ids = [review["id"] for review in _next_data(html)["props"]["pageProps"]["reviews"]]
    assert [node["@id"].rsplit("/", 1)[1] for node in reviews] == page_ids
    assert int(business["aggregateRating"]["reviewCount"]) == len(demo_data.reviews_for(brand.name, "trustpilot"))
    assert len(re.findall(r'data-service-review-card-paper="true"', html)) == 20


def test_trustpilot_languages_filter_and_errors(client: httpx.Client, demo_data: DemoData) -> None:
    brand = demo_data.brand("Napoli Nest")
    english = [r for r in demo_data.reviews_for(brand.name, "trustpilot") if r.language == "en"]
    pages = _trustpilot_pages(client, brand.domain)  # no languages=all: English only, as on the real site
    assert pages[0]["filters"]["selected"]["languages"] == "en"
    assert sum(len(p["reviews"]) for p in pages) == len(english) < len(demo_data.reviews_for(brand.name, "trustpilot"))
    assert {r["language"] for p in pages for r in p["reviews"]} == {"en"}
    assert client.get(f"/review/{brand.domain}", params={"page": "999"}).status_code == 404
    assert client.get(f"/review/{brand.domain}", params={"page": "two"}).status_code == 404
    assert client.get("/review/unknown.example").status_code == 404
    assert client.get("/nothing/here").status_code == 404


def test_appstore_feed_pages(client: httpx.Client, demo_data: DemoData) -> None:
    for brand in demo_data.brands:
        if brand.app_id is None:
            continue
        expected = demo_data.reviews_for(brand.name, "appstore")
        last = math.ceil(len(expected) / 50)
        ids = []
        for page in range(1, last + 2):
            response = client.get(f"/gb/rss/customerreviews/page={page}/id={brand.app_id}/sortby=mostrecent/json")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            feed = response.json()["feed"]
            links = {link["attributes"]["rel"]: link["attributes"]["href"] for link in feed["link"]}
            assert set(links) == {"alternate", "self", "first", "last", "previous", "next"}
            assert f"/page={last}/" in links["last"] and "/page=1/" in links["first"]
            assert f"/page={min(page + 1, last)}/" in links["next"]
            if page > last:
                assert "entry" not in feed  # past the last page the feed has no entries
                continue
            entries = feed["entry"]
            assert len(entries) == (50 if page < last else len(expected) - 50 * (last - 1))
            ids += [entry["id"]["label"] for entry in entries]
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00", e["updated"]["label"]) for e in entries)
        assert ids == [r.id for r in sorted(expected, key=lambda r: r.published_at, reverse=True)]
    app = demo_data.brand("Crustline").app_id
    assert client.get(f"/gb/rss/customerreviews/id={app}/sortby=mostrecent/json").json()["feed"]["entry"]
    assert client.get(f"/gb/rss/customerreviews/page=11/id={app}/sortby=mostrecent/json").status_code == 400
    assert client.get(f"/gb/rss/customerreviews/page=1/id={app}/sortby=mostrecent/xml").status_code == 404
    assert "entry" not in client.get(f"/us/rss/customerreviews/page=1/id={app}/sortby=mostrecent/json").json()["feed"]
    assert client.get("/gb/rss/customerreviews/page=1/id=123/sortby=mostrecent/json").status_code == 404


def _product_nodes(html: str) -> list[dict[str, Any]]:
    nodes = []
    for block in _JSON_LD.findall(html):
        data = json.loads(block)
        nodes += data if isinstance(data, list) else [data]
    return [n for n in nodes if "Product" in (n["@type"] if isinstance(n["@type"], list) else [n["@type"]])]


def test_product_pages(client: httpx.Client, demo_data: DemoData) -> None:
    markups = set()
    for brand in demo_data.brands:
        for product in brand.products:
            path = brand.product_path(product)
            response = client.get(path)
            assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
            expected = [r for r in demo_data.reviews_for(brand.name, "schemaorg") if r.target == path]
            markups.add(product.markup)
            if product.markup == "microdata":
                assert not _product_nodes(response.text)
                assert response.text.count('itemtype="https://schema.org/Review"') == len(expected)
                assert f'itemprop="reviewCount">{len(expected)}<' in response.text
                continue
            (node,) = _product_nodes(response.text)
            assert node["name"] == product.name
            assert int(node["aggregateRating"]["reviewCount"]) == len(node["review"]) == len(expected)
            assert int(node["aggregateRating"]["ratingCount"]) >= len(expected)
            mean = sum(r.rating for r in expected) / len(expected)
            assert float(node["aggregateRating"]["ratingValue"]) == pytest.approx(mean, abs=0.05)
            assert sorted(r["reviewBody"] for r in node["review"]) == sorted(r.body for r in expected)
    assert markups == {"jsonld", "jsonld-list", "microdata"}
    assert client.get("/menu/crustline/no-such-pizza").status_code == 404


def test_gzip_head_and_index(client: httpx.Client, demo_site: DemoSite) -> None:
    raw = httpx.get(f"{demo_site.base_url}/review/crustline.example", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip" and "__NEXT_DATA__" in raw.text
    plain = httpx.get(f"{demo_site.base_url}/review/crustline.example", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content.startswith(b"<!DOCTYPE html>")
    head = client.head("/robots.txt")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    index = client.get("/")
    assert index.status_code == 200
    assert all(target.locator in index.text for target in demo_site.targets)
    assert ("GET", "/robots.txt", 200) in demo_site.request_log


def test_locators(demo_site: DemoSite) -> None:
    locators = demo_site.locators
    assert locators["Crustline"]["trustpilot"] == ["crustline.example"]
    assert locators["Crustline"]["appstore"] == ["1584203311@gb"]
    assert "appstore" not in locators["Forno Fresco"]
    assert len(locators["Napoli Nest"]["schemaorg"]) == 4
    assert all(url.startswith("https://www.napolinest.example/menu/") for url in locators["Napoli Nest"]["schemaorg"])
    assert all(t.url.startswith(demo_site.base_url) for t in demo_site.targets)


def test_as_of_hides_later_reviews_replies_and_edits(demo_data: DemoData) -> None:
    edited = next(r for r in demo_data.reviews_for("Crustline", "trustpilot") if r.edit and r.reply)
    moment = min(edited.edit.at, edited.reply.at) - (edited.edit.at - edited.published_at) / 2
    moment = max(moment, edited.published_at)
    with DemoSite(demo_data, as_of=moment) as site, httpx.Client(base_url=site.base_url) as http:
        visible = [r for r in demo_data.reviews_for("Crustline", "trustpilot") if r.published_at <= moment]
        seen: dict[str, dict[str, Any]] = {}
        number = 1
        while True:
            props = _next_data(
                http.get("/review/crustline.example", params={"languages": "all", "page": str(number)}).text
            )
            props = props["props"]["pageProps"]
            seen |= {item["id"]: item for item in props["reviews"]}
            if number >= props["filters"]["pagination"]["totalPages"]:
                break
            number += 1
        assert set(seen) == {r.id for r in visible}
        item = seen[edited.id]
        assert item["text"] == edited.edit.original_body and item["rating"] == edited.edit.original_rating
        assert item["dates"]["updatedDate"] is None
        assert (item["reply"] is None) == (edited.reply.at > moment)
        site.as_of = None
        props = _next_data(http.get("/review/crustline.example", params={"languages": "all"}).text)
        assert props["props"]["pageProps"]["filters"]["pagination"]["totalCount"] == len(
            demo_data.reviews_for("Crustline", "trustpilot")
        )


def test_site_stops_and_frees_its_port(demo_data: DemoData) -> None:
    site = DemoSite(demo_data)
    with pytest.raises(RuntimeError):
        _ = site.base_url
    with site:
        url = site.base_url
        assert httpx.get(f"{url}/robots.txt").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/robots.txt", timeout=2)
