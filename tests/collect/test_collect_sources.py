"""Every built-in source, end to end over loopback: the runner pages through the fixture pages in
tests/fixtures/<source>/ (routes.json says which request each page answers) and stores what they hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from loopback import Hit, LoopbackServer, Reply, serve

from reviewmine.collect import collect
from reviewmine.collectors.registry import BUILTIN_SOURCES, get_source
from reviewmine.http import HttpClient, HttpSettings
from reviewmine.store.db import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _collections() -> Iterator[Any]:
    for source in BUILTIN_SOURCES:
        routes = FIXTURES / source / "routes.json"
        if not routes.exists():
            continue
        for collection in json.loads(routes.read_text(encoding="utf-8"))["collections"]:
            yield pytest.param(source, collection, id=f"{source}:{collection['locator']}")


def _route(server: LoopbackServer, folder: Path, pages: list[dict[str, Any]]) -> None:
    """Serve each page at its path; POSTs to one path are told apart by their form fields."""
    by_path: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        by_path.setdefault(page["path"], []).append(page)
    for path, candidates in by_path.items():

        def answer(hit: Hit, candidates: list[dict[str, Any]] = candidates) -> Reply:
            form = dict(parse_qsl(hit.body.decode())) if hit.body else None
            for page in candidates:
                if page["method"] == hit.method and (page.get("data") is None or page["data"] == form):
                    return Reply((folder / page["file"]).read_bytes(), content_type=page["content_type"])
            return Reply("no such page", status=404, content_type="text/plain")

        server.route(path, answer)


def _expected_reviews(folder: Path, pages: list[dict[str, Any]]) -> set[str]:
    keys = set()
    for page in pages:
        expected = json.loads((folder / (page["file"] + ".expected.json")).read_text(encoding="utf-8"))
        for review in expected["reviews"]:
            keys.add(review["source_review_id"] or review["body"])
    return keys


@pytest.mark.parametrize(("source", "collection"), list(_collections()))
def test_source_pages_through_its_fixtures(source: str, collection: dict[str, Any], store: Store) -> None:
    folder, pages = FIXTURES / source, collection["pages"]
    fast = HttpSettings(min_delay=0.01, backoff=0.01)  # instead of the source's own pace (1-2 s)
    with serve() as server, HttpClient(fast) as http:
        _route(server, folder, pages)
        collector = get_source(source)(collection["locator"], brand=collection["brand"], base_url=server.base_url)
        result = collect(store, collector, http)
        assert result.ok, result.errors
        requested = [hit.path for hit in server.hits if hit.route != "/robots.txt"]
        assert requested == [page["path"] for page in pages]
        expected = _expected_reviews(folder, pages)
        assert result.pages == len(pages) and result.fetched == result.new == result.stored == len(expected)

        again = collect(store, collector, http)
        assert again.ok and again.new == 0 and again.stored == len(expected)


def test_incremental_rerun_still_visits_every_appstore_country(store: Store) -> None:
    """A 'nothing new' stop ends only the current country: each country's feed is sorted on its own."""
    routes = json.loads((FIXTURES / "appstore" / "routes.json").read_text(encoding="utf-8"))
    collection = next(c for c in routes["collections"] if "," in c["locator"])
    fast = HttpSettings(min_delay=0.01, backoff=0.01)
    with serve() as server, HttpClient(fast) as http:
        _route(server, FIXTURES / "appstore", collection["pages"])
        collector = get_source("appstore")(collection["locator"], brand=collection["brand"], base_url=server.base_url)
        assert collect(store, collector, http).ok
        server.hits.clear()
        again = collect(store, collector, http)
        assert again.ok and again.new == 0
        countries = {hit.path.split("/")[1] for hit in server.hits if hit.route != "/robots.txt"}
        assert countries == {"us", "gb", "de"}
        assert again.pages == 3  # page 1 of each country, not every page
