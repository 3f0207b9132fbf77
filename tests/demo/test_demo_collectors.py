"""The real collectors read the demo site exactly as they read the real sites: page parsing checked against the
generator's truth, then full collection runs (and a later incremental one) through the runner into SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reviewmine.collectors.base import Collector, Response
from reviewmine.demo import DemoData, DemoSite

collect_module = pytest.importorskip("reviewmine.collect")
registry = pytest.importorskip("reviewmine.collectors.registry")
http_module = pytest.importorskip("reviewmine.http")


def _collector(source: str, locator: str, brand: str, site: DemoSite) -> Collector:
    return registry.get_source(source)(locator, brand=brand, base_url=site.base_url)


def _fetch(collector: Collector, cursor: dict[str, object]) -> Response:
    url = collector.request_for(cursor).url
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, url
    return Response(
        url=str(answer.url), status=answer.status_code, headers=dict(answer.headers), content=answer.content
    )


def test_trustpilot_collector_parses_every_page(demo_site: DemoSite, demo_data: DemoData) -> None:
    brand = demo_data.brand("Crustline")
    truth = {r.id: r for r in demo_data.reviews_for(brand.name, "trustpilot")}
    collector = _collector("trustpilot", brand.domain, brand.name, demo_site)
    cursor: dict[str, object] | None = collector.start_cursor()
    parsed = []
    while cursor is not None:
        page = collector.parse(_fetch(collector, cursor))
        assert page.expected_total == len(truth)
        parsed += page.reviews
        cursor = collector.next_cursor(cursor, page)
    assert [r.source_review_id for r in parsed] == sorted(truth, key=lambda i: truth[i].published_at, reverse=True)
    for review in parsed:
        expected = truth[review.source_review_id]
        assert (review.body, review.rating, review.title) == (expected.body, expected.rating, expected.title)
        assert review.published_at == expected.published_at and review.language == expected.language
        assert review.updated_at == expected.updated_at and review.verified == expected.verified
        assert review.reply_text == (expected.reply.text if expected.reply else None)
        assert review.author == expected.author


def test_appstore_collector_parses_every_page(demo_site: DemoSite, demo_data: DemoData) -> None:
    brand = demo_data.brand("Napoli Nest")
    truth = {r.id: r for r in demo_data.reviews_for(brand.name, "appstore")}
    collector = _collector("appstore", brand.appstore_locator or "", brand.name, demo_site)
    cursor: dict[str, object] | None = collector.start_cursor()
    parsed, pages = [], 0
    while cursor is not None:
        page = collector.parse(_fetch(collector, cursor))
        parsed += page.reviews
        pages += 1
        cursor = collector.next_cursor(cursor, page)
    assert pages == -(-len(truth) // 50)
    assert {r.source_review_id for r in parsed} == set(truth) and len(parsed) == len(truth)
    for review in parsed:
        expected = truth[review.source_review_id]
        assert (review.body, review.rating, review.title, review.author) == (
            expected.body,
            expected.rating,
            expected.title,
            expected.author,
        )
        assert review.published_at == expected.published_at
        assert review.extra["country"] == "gb"


def test_schemaorg_collector_reads_every_markup(demo_site: DemoSite, demo_data: DemoData) -> None:
    formats = set()
    for target in demo_site.targets:
        if target.source != "schemaorg":
            continue
        brand = demo_data.brand(target.brand)
        path = target.url.removeprefix(demo_site.base_url)
        truth = [r for r in demo_data.reviews_for(brand.name, "schemaorg") if r.target == path]
        collector = _collector("schemaorg", target.locator, brand.name, demo_site)
        page = collector.parse(_fetch(collector, collector.start_cursor()))
        formats.add(page.reviews[0].extra["format"])
        assert page.expected_total == len(truth) == len(page.reviews)
        # in HTML markup (microdata) whitespace is not significant: paragraph breaks read as one space
        assert sorted((" ".join(r.body.split()), r.rating, r.title) for r in page.reviews) == sorted(
            (" ".join(r.body.split()), r.rating, r.title) for r in truth
        )
        assert {r.published_at.date() for r in page.reviews} == {r.published_at.date() for r in truth}
    assert formats == {"json-ld", "microdata"}


def _collect_all(site: DemoSite, store: object, brand: str, *, full: bool = False) -> dict[str, list]:
    results: dict[str, list] = {}
    settings = http_module.HttpSettings(min_delay=0, max_retries=0)
    with http_module.HttpClient(settings) as http:
        for target in site.targets:
            if target.brand == brand:
                collector = _collector(target.source, target.locator, brand, site)
                results.setdefault(target.source, []).append(collect_module.collect(store, collector, http, full=full))
    return results


def test_collect_runs_store_everything(demo_data: DemoData, tmp_path: Path) -> None:
    from reviewmine.store.db import Store

    with DemoSite(demo_data) as site, Store(tmp_path / "demo.db") as store:
        results = _collect_all(site, store, "Crustline")
        for source, runs in results.items():
            expected = len(demo_data.reviews_for("Crustline", source))
            assert all(run.ok for run in runs), [run.errors for run in runs]
            assert sum(run.new for run in runs) == sum(run.stored for run in runs) == expected, source
        assert results["trustpilot"][0].coverage == 1.0


def test_a_later_run_sees_new_and_changed_reviews(demo_data: DemoData, tmp_path: Path) -> None:
    from reviewmine.store.db import Store

    as_of = datetime(2026, 9, 15, tzinfo=UTC)
    reviews = demo_data.reviews_for("Forno Fresco", "trustpilot")
    later = [r for r in reviews if r.published_at > as_of]
    changed = [
        r
        for r in reviews
        if r.published_at <= as_of and any(at and at > as_of for at in (r.updated_at, r.reply.at if r.reply else None))
    ]
    assert later and changed
    with DemoSite(demo_data, as_of=as_of) as site, Store(tmp_path / "demo.db") as store:
        first = _collect_all(site, store, "Forno Fresco")["trustpilot"][0]
        assert first.new == len(reviews) - len(later)
        site.as_of = None
        second = _collect_all(site, store, "Forno Fresco", full=True)["trustpilot"][0]
        assert (second.new, second.updated) == (len(later), len(changed))
        assert second.stored == len(reviews)
