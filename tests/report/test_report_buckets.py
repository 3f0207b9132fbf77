"""The trend charts' bucket follows the brand's volume: weekly for a busy brand, monthly or quarterly for a quiet
one (the issue's case: 324 Steam reviews over four years), with each point's numbers the aggregator's own."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reviewmine.report import build_report, render_html, to_json
from reviewmine.report._trend import TREND_MIN_REVIEWS, choose_bucket
from reviewmine.report.model import ReportModel
from reviewmine.testing.synthetic import SyntheticData, synthetic_brands


@pytest.fixture(scope="module")
def quiet() -> SyntheticData:
    """About 1.5 reviews a week for four years, like the Steam game in the issue (324 reviews)."""
    return synthetic_brands(1, weeks=208, reviews_per_week=1.56, seed=11)


@pytest.fixture(scope="module")
def quiet_year(quiet: SyntheticData) -> ReportModel:
    return build_report(quiet, "Brand 00", period="1y", resamples=10)


@pytest.mark.parametrize(
    ("reviews", "days", "unit"),
    [
        (731, 182, "week"),  # the demo's Crustline over 26 weeks: 28 a week
        (20 * 52, 364, "week"),  # exactly the aim per week
        (19 * 52, 364, "month"),  # just under it: 82 a month
        (19, 90, "month"),  # a quiet quarter: a quarter does not fit twice in 90 days, so months (6 each)
        (81, 365, "quarter"),  # 1.6 a week over a year: 6.7 a month, 20.3 a quarter
        (30, 365, "quarter"),  # too quiet even for quarters: the longest bucket that fits, below the aim
        (5, 10, "week"),  # a period shorter than two weeks still gets its week
    ],
)
def test_the_shortest_bucket_with_enough_reviews_is_chosen(reviews: int, days: float, unit: str) -> None:
    bucket = choose_bucket(reviews, days)
    assert bucket.unit == unit and bucket.aim == TREND_MIN_REVIEWS
    assert bucket.reviews_per_bucket == pytest.approx(reviews * bucket.days / days, abs=0.05)


def test_a_quiet_brand_gets_quarters_over_a_year_and_months_over_90_days(
    quiet: SyntheticData, quiet_year: ReportModel
) -> None:
    assert 280 <= len(quiet.reviews) <= 370  # the volume: 324
    assert quiet_year.trend_bucket.unit == "quarter"
    starts = sorted({row["bucket_start"] for row in quiet_year.trend})
    assert 4 <= len(starts) <= 5 and all(s[5:10] in ("01-01", "04-01", "07-01", "10-01") for s in starts)
    for row in quiet_year.trend:
        length = pd.Timestamp(row["bucket_end"]) - pd.Timestamp(row["bucket_start"])
        assert 90 <= length.days <= 92 and row["week_start"] == row["bucket_start"]
    quarter = build_report(quiet, "Brand 00", period="90d", resamples=10)
    assert quarter.trend_bucket.unit == "month" and quarter.trend_bucket.reviews_per_bucket < TREND_MIN_REVIEWS
    assert 3 <= len({row["bucket_start"] for row in quarter.trend}) <= 4


def test_each_quarter_holds_its_own_reviews_and_sentences(quiet: SyntheticData, quiet_year: ReportModel) -> None:
    """Counts and net sentiment of every quarterly point, recomputed from the rows published in that quarter."""
    sentences, reviews = quiet.sentences, quiet.reviews
    for row in (r for r in quiet_year.trend if r["category"] == "all"):
        start, end = pd.Timestamp(row["bucket_start"]), pd.Timestamp(row["bucket_end"])
        in_reviews = reviews[(reviews["published_at"] >= start) & (reviews["published_at"] < end)]
        in_sentences = sentences[(sentences["published_at"] >= start) & (sentences["published_at"] < end)]
        polarity = in_sentences["polarity"].astype(str)
        net = ((polarity == "positive").sum() - (polarity == "negative").sum()) / len(in_sentences)
        assert row["reviews"] == len(in_reviews) and row["sentences"] == len(in_sentences)
        assert row["net_sentiment"] == pytest.approx(net, abs=1e-4)
        assert row["net_low"] <= row["net_sentiment"] <= row["net_high"]


def test_a_busy_brand_keeps_weekly_points() -> None:
    busy = synthetic_brands(1, weeks=30, reviews_per_week=60, seed=12)
    model = build_report(busy, "Brand 00", period="12w", resamples=10)
    assert model.trend_bucket.unit == "week" and model.trend_bucket.reviews_per_bucket > 50
    assert len({row["bucket_start"] for row in model.trend}) == 12
    middling = synthetic_brands(1, weeks=30, reviews_per_week=10, seed=13)
    assert build_report(middling, "Brand 00", period="12w", resamples=10).trend_bucket.unit == "month"


def test_the_page_and_the_json_say_what_a_point_is(quiet_year: ReportModel) -> None:
    html = render_html(quiet_year)
    assert "One point per quarter, about " in html and "Net sentiment per quarter" in html
    assert 'aria-label="Net sentiment and review volume of Brand 00 per quarter"' in html
    data = json.loads(to_json(quiet_year))
    assert data["trend_bucket"]["unit"] == "quarter" and data["trend_bucket"]["aim"] == TREND_MIN_REVIEWS
