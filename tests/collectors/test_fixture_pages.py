"""recipe-scrapers style: every fixture page parses to its ``.expected.json``, and each collection's page chain
asks for exactly the requests listed in ``routes.json`` and ends after its last page."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from _fixture_pages import FIXTURES, SOURCES, all_pages, collections, make_collector, page_dict, response_for

from reviewmine.collectors.registry import BUILTIN_SOURCES

PAGES = all_pages()
CHAINS = [chain for source in SOURCES for chain in collections(source)]


def test_every_builtin_source_has_a_fixture_folder_and_no_folder_is_a_stranger() -> None:
    """docs/sources.md promises the tests pick a source's folder up; this keeps the folders and the registry equal."""
    assert set(SOURCES) == set(BUILTIN_SOURCES)
    for source in SOURCES:
        assert json.loads((FIXTURES / source / "routes.json").read_text(encoding="utf-8"))["source"] == source


def test_every_page_has_an_expected_file_and_every_source_has_pages() -> None:
    assert {page.source for page in PAGES} == set(SOURCES)
    listed = {page.file for page in PAGES}
    on_disk = {
        path
        for source in SOURCES
        for path in (FIXTURES / source).iterdir()
        if path.suffix in (".html", ".json", ".txt") and ".expected" not in path.name
    }
    on_disk -= {FIXTURES / source / "routes.json" for source in SOURCES}
    assert on_disk == listed, "a fixture page is not listed in its routes.json"
    assert all(page.expected_file.exists() for page in PAGES)


@pytest.mark.parametrize("route", PAGES, ids=[page.id for page in PAGES])
def test_page_parses_to_expected(route) -> None:
    collector = make_collector(route)
    url = collector.base_url + route.path if collector.base_url else route.locator
    parsed = collector.parse(response_for(route, url))
    expected = json.loads(route.expected_file.read_text(encoding="utf-8"))
    actual = page_dict(parsed)
    assert {k: v for k, v in actual.items() if k != "reviews"} == {k: v for k, v in expected.items() if k != "reviews"}
    assert len(actual["reviews"]) == len(expected["reviews"])
    for got, want in zip(actual["reviews"], expected["reviews"], strict=True):
        assert got == want
    hashes = [r.raw_hash for r in parsed.reviews]
    assert all(h and re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    assert len(set(hashes)) == len(hashes)
    assert all(r.source == route.source and r.target == collector.locator for r in parsed.reviews)


def _same_request(request, base: str, route) -> None:
    assert request.method == route.method
    assert request.url.startswith(base)
    got, want = urlsplit(request.url[len(base) :]), urlsplit(route.path)
    assert got.path == want.path
    assert parse_qs(got.query, keep_blank_values=True) == parse_qs(want.query, keep_blank_values=True)
    assert request.data == route.data


@pytest.mark.parametrize("base", [None, "http://127.0.0.1:8765"], ids=["default-base", "loopback-base"])
@pytest.mark.parametrize("chain", CHAINS, ids=[f"{c[0].source}/{c[0].locator}" for c in CHAINS])
def test_page_chain_follows_routes_and_ends(chain, base) -> None:
    collector = make_collector(chain[0], base_url=base)
    cursor = collector.start_cursor()
    prefix = (
        collector.base_url
        if collector.base_url
        else "{scheme}://{netloc}".format(**urlsplit(chain[0].locator)._asdict())
    )
    for route in chain:
        assert cursor is not None, f"pagination stopped before {route.file.name}"
        json.dumps(cursor)  # the runner stores cursors as JSON
        request = collector.request_for(cursor)
        _same_request(request, prefix, route)
        cursor = collector.next_cursor(cursor, collector.parse(response_for(route, request.url)))
    assert cursor is None, f"pagination went on after {chain[-1].file.name}: {cursor}"
