"""The report model: planted stories show up where they should, the JSON is stable, bad input is refused."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from _report_data import SPIKE, hostile

from reviewmine.demo.database import DemoDb
from reviewmine.errors import InputError
from reviewmine.report import ReportInputs, build_report, to_json
from reviewmine.report.model import SCHEMA, Event, ReportModel


@pytest.fixture(scope="module")
def spiked() -> ReportModel:
    data = hostile()
    return build_report(data, SPIKE.brand, vs=["Brand 00", "Brand 02"], period="12w", resamples=50)


def test_a_planted_spike_is_the_headline_and_the_first_event(spiked: ReportModel) -> None:
    event = spiked.risk.events[0]
    assert (event.category, event.peak_week) == (SPIKE.category, "2025-07-14T00:00:00Z")  # week 27 from 6 Jan
    assert event.value is not None and event.baseline is not None and event.value > event.baseline
    assert "Price & perceived value" in spiked.headline.title and "up since 14 Jul" in spiked.headline.title
    assert spiked.headline.reasons[0].startswith("Price & perceived value complaints stood out for 1 week")
    assert spiked.risk.score is not None and spiked.risk.points["shift"] is not None
    assert sum(v for v in spiked.risk.points.values() if v) == pytest.approx(spiked.risk.score, abs=0.2)


def test_quotes_only_link_http_urls(spiked: ReportModel) -> None:
    quotes = [q for e in spiked.risk.events for q in e.quotes] + [q for d in spiked.drivers.items for q in d.quotes]
    assert quotes
    hostile_keys = hostile().truth["hostile_reviews"]
    for quote in quotes:
        if quote.review_key in hostile_keys:
            assert quote.url is None  # javascript: is never kept
        else:
            assert quote.url is None or quote.url.startswith("https://")
    assert any(q.url and q.url.startswith("https://synthetic.example/") for q in quotes)


def test_drivers_recover_the_planted_rating_effects(spiked: ReportModel) -> None:
    assert spiked.drivers.status == "ok"
    items = {i.feature: i for i in spiked.drivers.items}
    price, product = items["neg_price"], items["pos_product"]
    assert price.impact_low is not None and price.impact_high is not None
    assert price.impact_low < -0.6 and price.impact_high > -1.4  # planted: -1 star (ratings rounded to stars)
    assert product.impact_stars is not None and product.impact_stars > 0.2  # planted: +0.5
    assert spiked.drivers.items[0].feature == "neg_price"  # the most important
    assert price.quotes and all(q.why == "strongest complaint" for q in price.quotes)


def test_kpis_loyalty_emotions_and_comparison_are_filled(spiked: ReportModel) -> None:
    keys = [k.key for k in spiked.kpis]
    assert keys == ["reviews", "rating", "net_sentiment", "negative_reviews"]
    rating = spiked.kpis[1]
    assert rating.value is not None and 1 <= rating.low <= rating.value <= rating.high <= 5  # type: ignore[operator]
    assert [e.key for e in spiked.emotions][:2] == ["disappointment", "annoyance_anger"]
    assert all(e.share is None or 0 <= e.share <= 1 for e in spiked.emotions)
    assert [i.signal for i in spiked.loyalty] == ["recommend", "warn", "return", "churn"]
    assert [c.brand for c in spiked.comparison] == ["Brand 01", "Brand 00", "Brand 02"]
    assert spiked.comparison[0].main and not spiked.comparison[1].main
    assert all(c.top_driver for c in spiked.comparison)
    assert {e["label"] for e in spiked.ekman} == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    weeks = {row["week_start"] for row in spiked.trend}
    assert len(weeks) == 12 and {row["category"] for row in spiked.trend} >= {"all", "price"}


def test_json_is_the_full_model_with_stable_keys(spiked: ReportModel) -> None:
    data = json.loads(to_json(spiked))
    assert data["schema"] == SCHEMA
    assert list(data) == [f.name for f in fields(ReportModel)]
    assert list(data["risk"]["events"][0]) == [f.name for f in fields(Event)]
    assert set(data["headline"]) == {"level", "score", "colour", "title", "reasons"}
    assert data["period"]["days"] == 84 and data["period"]["label"] == "12w"
    assert "NaN" not in to_json(spiked)  # unknowns are null (allow_nan=False would raise anyway)


def test_frames_without_reviews_or_runs_still_build() -> None:
    data = hostile()
    model = build_report(ReportInputs(data.sentences), "Brand 00", period="8w", resamples=20)
    assert model.coverage.sources == [] and model.coverage.reviews_in_period > 0
    assert all(q.url is None for e in model.risk.events for q in e.quotes)


def test_bad_input_is_an_input_error() -> None:
    data = hostile()
    with pytest.raises(InputError, match="no tagged reviews of 'Nobody'"):
        build_report(data, "Nobody")
    with pytest.raises(InputError, match="not a span"):
        build_report(data, "Brand 00", period="ninety days")
    with pytest.raises(InputError, match="cannot build a report"):
        build_report(42, "Brand 00")


def test_the_demo_stories_are_found(demo_db: DemoDb) -> None:
    import reviewmine

    with reviewmine.open(demo_db.path) as db:
        crisis = build_report(db, "Crustline", vs=["Napoli Nest", "Forno Fresco"], as_of="2026-10-01", period="8w")
        after = build_report(db, "Crustline", period="90d")
        forno = build_report(db, "Forno Fresco", period="90d")
    # During the September delivery crisis the risk is high and place & process leads it.
    assert crisis.headline.level in ("elevated", "high"), crisis.headline
    assert crisis.risk.events[0].category in ("place_process", "communication")
    top = max((c for c in crisis.risk.categories if c["score"] is not None), key=lambda c: c["score"])
    assert top["category"] in ("place_process", "communication")
    # A month later it has passed, but the report still shows what happened in the period.
    assert after.headline.level in ("low", "moderate") and "rose from" in after.headline.title
    assert after.drivers.items[0].feature == "neg_place_process"
    # Forno Fresco's price rise: price complaints drive its rating, product praise stays.
    assert forno.drivers.items[0].feature == "neg_price"
    assert forno.coverage.model_versions == ["demo-truth"]
    assert {s["source"] for s in forno.coverage.sources if s["brand"] == "Forno Fresco"} == {"trustpilot", "schemaorg"}
    assert all(s["coverage"] == 1.0 for s in forno.coverage.sources if s["expected"])
