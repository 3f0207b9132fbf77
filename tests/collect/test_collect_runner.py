"""The runner against a loopback site: coverage, per-page commits, resume after a crash, incremental re-runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from loopback import LoopbackServer, Reply, serve
from pagesite import START, PageSite, PageSiteCollector
from sqlalchemy import func, select

from reviewmine.collect import CollectProgress, collect
from reviewmine.http import HttpClient, HttpSettings
from reviewmine.store.db import Store


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(HttpSettings(min_delay=0.01, backoff=0.01, max_retries=1)) as client:
        yield client


def _collector(site: PageSite) -> PageSiteCollector:
    return PageSiteCollector("acme", brand="Acme", base_url=site.server.base_url)


def _keys(store: Store) -> list[str]:
    reviews = store.tables["reviews"]
    with store.read() as conn:
        return list(conn.execute(select(reviews.c.review_key)).scalars())


def _saved_cursor(store: Store) -> dict | None:
    with store.write() as conn:
        return store.cursor(conn, store.target_id(conn, "Acme", "pagesite", "acme"))


def test_full_collection_counts_and_commits(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)
    seen: list[CollectProgress] = []
    result = collect(store, _collector(site), http, progress=seen.append)
    assert result.ok and result.stopped == "the last page"
    assert (result.pages, result.fetched, result.new, result.updated, result.expected_total) == (5, 23, 23, 0, 23)
    assert result.stored == 23 and result.coverage == 1.0
    assert result.summary() == "expected 23, fetched 23 (100%), new 23, updated 0, pages 5, errors 0"
    assert [p.pages for p in seen] == [1, 2, 3, 4, 5] and seen[-1].fetched == 23
    assert seen[0].delay == 0.01  # the client's setting wins over the source's 0.02
    run = store.run(result.run_id)
    assert (run["status"], run["pages"], run["fetched"], run["new"], run["expected_total"]) == ("ok", 5, 23, 23, 23)
    assert _saved_cursor(store) is None
    targets = store.tables["targets"]
    with store.read() as conn:
        assert conn.execute(select(targets.c.last_run_id)).scalar_one() == result.run_id


def test_failure_mid_run_keeps_pages_and_resume_fetches_the_rest(
    store: Store, server: LoopbackServer, http: HttpClient
) -> None:
    site = PageSite(server, 23)
    site.faults[3] = Reply("gone", status=410)
    failed = collect(store, _collector(site), http)
    assert failed.status == "failed" and failed.pages == 2 and failed.stored == 10
    assert "HTTP 410" in failed.errors[0] and store.run(failed.run_id)["status"] == "failed"
    assert _saved_cursor(store) == {"page": 3}

    del site.faults[3]
    resumed = collect(store, _collector(site), http)
    assert resumed.ok and resumed.resumed and resumed.new == 13 and resumed.pages == 3
    assert site.requested_pages() == [1, 2, 3, 3, 4, 5]  # the fault, then pages 3..5 once
    assert len(_keys(store)) == 23 and resumed.stored == 23
    assert _saved_cursor(store) is None


def test_crash_from_the_progress_callback_then_resume(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)

    def stop_after_two(progress: CollectProgress) -> None:
        if progress.pages == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        collect(store, _collector(site), http, progress=stop_after_two)
    runs = store.tables["runs"]
    with store.read() as conn:
        status, pages = conn.execute(select(runs.c.status, runs.c.pages)).one()
    assert (status, pages) == ("interrupted", 2) and len(_keys(store)) == 10

    result = collect(store, _collector(site), http)
    assert result.ok and result.resumed and (result.pages, result.new) == (3, 13)
    assert site.requested_pages() == [1, 2, 3, 4, 5]
    assert sorted(_keys(store)) == sorted(f"pagesite:r{n}" for n in range(23))


def test_incremental_rerun_stops_at_the_first_known_page(
    store: Store, server: LoopbackServer, http: HttpClient
) -> None:
    site = PageSite(server, 23)
    collect(store, _collector(site), http)
    site.add(3)  # page 1: 3 new + r22, r21; page 2: r20..r16; page 3: r15..r11
    site.edit("r20", "Edited text")  # so page 2 has an update, and page 3 is the first with nothing new
    second = collect(store, _collector(site), http)
    assert second.ok and (second.pages, second.new, second.updated) == (3, 3, 1)
    assert second.stopped == "page 3 had nothing new (incremental; --full refetches everything)"
    third = collect(store, _collector(site), http)
    assert (third.pages, third.new, third.updated) == (1, 0, 0) and "nothing new" in third.stopped
    full = collect(store, _collector(site), http, full=True)
    assert (full.pages, full.fetched, full.new, full.updated) == (6, 26, 0, 0)
    assert site.requested_pages() == [1, 2, 3, 4, 5, 1, 2, 3, 1, 1, 2, 3, 4, 5, 6]


def test_since_stops_at_older_reviews_and_skips_them(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)
    result = collect(store, _collector(site), http, since=START + timedelta(days=15))  # r15..r22 are newer
    assert result.ok and result.fetched == 8 and result.pages == 2 and "older than --since" in result.stopped
    assert sorted(_keys(store)) == sorted(f"pagesite:r{n}" for n in range(15, 23))


def test_max_pages_keeps_the_cursor_for_the_next_run(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)
    first = collect(store, _collector(site), http, max_pages=2)
    assert first.ok and first.pages == 2 and "--max-pages 2" in first.stopped
    assert _saved_cursor(store) == {"page": 3}
    rest = collect(store, _collector(site), http)
    assert rest.resumed and rest.pages == 3 and rest.stored == 23


def test_an_empty_first_page_that_claims_reviews_fails(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)
    site.claimed_total = 780
    result = collect(store, _collector(site), http)
    assert result.status == "failed" and result.fetched == 0
    assert "first page has no reviews although the source says it has 780" in result.errors[0]
    assert store.run(result.run_id)["status"] == "failed"


def test_empty_pages_mid_way_are_followed_but_not_forever(
    store: Store, server: LoopbackServer, http: HttpClient
) -> None:
    site = PageSite(server, 23)
    site.faults[2] = Reply(json.dumps({"total": 23, "pages": 5, "reviews": []}), content_type="application/json")
    result = collect(store, _collector(site), http)
    assert result.status == "partial" and result.pages == 5 and result.fetched == 18  # page 2 empty, rest read
    assert result.missing == 5 and len(result.gaps) == 1 and store.run(result.run_id)["status"] == "partial"
    endless = json.dumps({"total": 23, "pages": 99, "reviews": []})
    for page in range(2, 9):
        site.faults[page] = Reply(endless, content_type="application/json")
    result = collect(store, _collector(site), http, full=True)
    assert result.status == "failed" and result.pages == 5 and "5 empty pages in a row" in result.errors[0]


def test_a_parse_error_fails_the_run_and_keeps_earlier_pages(
    store: Store, server: LoopbackServer, http: HttpClient
) -> None:
    site = PageSite(server, 23)
    site.faults[2] = Reply('{"total": 23}', content_type="application/json")
    result = collect(store, _collector(site), http)
    assert result.status == "failed" and result.pages == 1 and len(_keys(store)) == 5
    assert "no reviews list (field reviews)" in result.errors[0]


def test_blocked_site_fails_clearly(store: Store, server: LoopbackServer, http: HttpClient) -> None:
    site = PageSite(server, 23)
    site.faults[1] = Reply("Forbidden", status=403)
    result = collect(store, _collector(site), http)
    assert result.status == "failed" and "blocked by the site" in result.errors[0]
    reviews = store.tables["reviews"]
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(reviews)).scalar_one() == 0
