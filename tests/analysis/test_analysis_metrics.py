"""Metric tables: exact counts on a hand-written frame, consistency on synthetic data, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _analysis_data import empty_sentences, sentence_frame, spiked

from reviewmine.analysis import compute_coverage, compute_metrics, prepare
from reviewmine.errors import InputError


def _tiny() -> tuple[pd.DataFrame, pd.DataFrame]:
    a = {"brand": "Acme"}
    day1, day3 = "2025-03-03T10:00Z", "2025-03-05T08:00Z"
    rows = [
        a | {"review_key": "t:1", "published_at": day1, "rating_normalised": 1.0, "polarity": "positive",
             "catpol_product": "positive", "emo_joy": True, "ekman_joy": True, "loy_recommend": True},
        a | {"review_key": "t:1", "published_at": day1, "rating_normalised": 1.0, "sentence_idx": 1},
        a | {"review_key": "t:2", "published_at": day3, "rating_normalised": 0.0, "polarity": "negative",
             "catpol_price": "negative", "emo_anger": True, "ekman_anger": True, "loy_warn": True, "score": -0.9},
        a | {"review_key": "t:2", "published_at": day3, "rating_normalised": 0.0, "polarity": "negative",
             "catpol_people": "negative", "sentence_idx": 1, "score": -0.5},
        a | {"review_key": "t:3", "published_at": "2025-03-10T00:00Z", "rating_normalised": 0.5,
             "polarity": "positive", "catpol_people": "positive"},
        a | {"review_key": "t:4", "published_at": "2025-03-09T23:59Z", "rating_normalised": 0.25,
             "polarity": "negative", "catpol_product": "negative"},
        {"brand": "Bolt", "review_key": "t:5", "published_at": "2025-03-04T12:00Z", "polarity": "positive"},
    ]  # fmt: skip
    sentences = sentence_frame(rows)
    reviews = pd.DataFrame(
        {
            "review_key": ["t:1", "t:2", "t:3", "t:4", "t:5", "t:6"],
            "brand": ["Acme"] * 4 + ["Bolt", "Acme"],
            "source": "test",
            "url": [f"https://x.example/{i}" for i in range(1, 7)],
            "rating_normalised": [1.0, 0.0, 0.5, 0.25, np.nan, 0.75],
            "published_at": pd.to_datetime(
                [day1, day3, "2025-03-10T00:00Z", "2025-03-09T23:59Z", "2025-03-04T12:00Z", "2025-03-12T09:00Z"],
                utc=True,
            ),
            "reply_at": pd.to_datetime([None, "2025-03-07T08:00Z", None, None, None, "2025-03-13T09:00Z"], utc=True),
        }
    )
    return sentences, reviews


def _row(frame: pd.DataFrame, brand: str, start: str, category: str = "all") -> pd.Series:
    hit = frame[
        (frame["brand"] == brand)
        & (frame["period_start"] == pd.Timestamp(start, tz="UTC"))
        & (frame["category"] == category)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_weekly_counts_shares_and_rating_on_a_hand_written_frame():
    sentences, reviews = _tiny()
    m = compute_metrics(sentences, reviews, freq="W")
    first = _row(m.sentiment, "Acme", "2025-03-03")
    assert (first.reviews, first.sentences, first.mentions) == (3, 5, 4)  # t:4 on Sunday belongs here
    assert (first.positive, first.negative, first.neutral) == (1, 3, 1)
    assert first.net_sentiment == pytest.approx((1 - 3) / 5)
    assert first.net_low <= first.net_sentiment <= first.net_high
    assert first.negative_low <= 0.6 <= first.negative_high
    assert first.rating_mean == pytest.approx(1.25 / 3) and first.rated == 3
    assert first.period_end == pd.Timestamp("2025-03-10", tz="UTC")
    product = _row(m.sentiment, "Acme", "2025-03-03", "product")
    assert (product.reviews, product.sentences, product.positive, product.negative) == (2, 2, 1, 1)
    assert product.rating_mean == pytest.approx(0.625)
    second = _row(m.sentiment, "Acme", "2025-03-10")  # t:6 has no sentences but counts as a review
    assert (second.reviews, second.sentences, second.rated) == (2, 1, 2)
    assert second.rating_mean == pytest.approx(0.625)
    bolt = _row(m.sentiment, "Bolt", "2025-03-03")
    assert bolt.reviews == 1 and bolt.rated == 0 and np.isnan(bolt.rating_mean)
    assert len(m.sentiment) == 3 * 6  # brand-weeks with reviews x (all + 5 categories)


def test_emotions_loyalty_and_replies():
    sentences, reviews = _tiny()
    m = compute_metrics(sentences, reviews, freq="W")
    emo = m.emotions.set_index(["brand", "period_start", "category", "level", "label"])
    week = pd.Timestamp("2025-03-03", tz="UTC")
    anger = emo.loc[("Acme", week, "all", "emotion", "anger")]
    assert (anger["count"], anger["sentences"]) == (1, 5)
    assert emo.loc[("Acme", week, "price", "ekman", "anger")]["share"] == 1.0
    assert emo.loc[("Acme", week, "people", "ekman", "anger")]["share"] == 0.0  # anger was on the price sentence
    loy = m.loyalty.set_index(["brand", "period_start", "category", "signal"])
    assert loy.loc[("Acme", week, "all", "recommend")]["rate"] == pytest.approx(1 / 3)
    assert loy.loc[("Acme", week, "price", "warn")][["reviews", "count"]].tolist() == [1, 1]
    replies = m.replies.set_index(["brand", "period_start"])
    assert replies.loc[("Acme", week)][["reviews", "replied"]].tolist() == [3, 1]
    assert replies.loc[("Acme", week)]["reply_delay_median_days"] == pytest.approx(2.0)
    assert replies.loc[("Acme", pd.Timestamp("2025-03-10", tz="UTC"))]["reply_delay_median_days"] == pytest.approx(1)


def test_daily_and_monthly_periods():
    sentences, reviews = _tiny()
    daily = compute_metrics(sentences, reviews, freq="D").sentiment
    assert _row(daily, "Acme", "2025-03-09").reviews == 1
    monthly = compute_metrics(sentences, reviews, freq="M").sentiment
    march = _row(monthly, "Acme", "2025-03-01")
    assert march.reviews == 5 and march.period_end == pd.Timestamp("2025-04-01", tz="UTC")


def test_totals_are_consistent_on_synthetic_data():
    data = spiked()
    m = compute_metrics(data.sentences, data.reviews, freq="W")
    s = m.sentiment
    overall = s[s["category"] == "all"]
    assert overall["reviews"].sum() == len(data.reviews)
    assert overall["sentences"].sum() == len(data.sentences)
    for c in ("product", "price"):
        assert s.loc[s["category"] == c, "sentences"].sum() == data.sentences[f"cat_{c}"].sum()
    polar = s[["positive", "negative", "neutral"]].sum(axis=1)
    assert (polar == s["sentences"]).all()
    shares = s[s["sentences"] > 0]
    assert np.allclose(shares[["positive_share", "negative_share", "neutral_share"]].sum(axis=1), 1)
    assert shares["negative_share"].between(shares["negative_low"], shares["negative_high"]).all()
    rated = s[s["rated"] >= 2]
    assert rated["rating_mean"].between(rated["rating_low"], rated["rating_high"]).all()
    # The planted spike shows in the metrics: Brand 01's price complaints in week 20.
    price = s[(s["brand"] == "Brand 01") & (s["category"] == "price")].reset_index(drop=True)
    assert price["negative_share"].idxmax() == 20
    # A Prepared input gives the same tables.
    again = compute_metrics(prepare(data.sentences, data.reviews), freq="W").sentiment
    pd.testing.assert_frame_equal(again, s)


def test_empty_inputs_give_empty_tables_with_columns():
    m = compute_metrics(empty_sentences())
    assert m.sentiment.empty and "net_sentiment" in m.sentiment.columns
    assert m.emotions.empty and m.loyalty.empty and m.replies.empty and m.coverage.empty


def test_reviews_without_sentences_and_all_nan_ratings():
    _, reviews = _tiny()
    reviews = reviews.assign(rating_normalised=np.nan)
    m = compute_metrics(None, reviews, freq="M")
    acme = _row(m.sentiment, "Acme", "2025-03-01")
    assert acme.reviews == 5 and acme.sentences == 0 and acme.rated == 0
    assert np.isnan(acme.rating_mean) and np.isnan(acme.net_sentiment)


def test_bad_input_is_an_input_error():
    sentences, _ = _tiny()
    with pytest.raises(InputError, match="freq"):
        compute_metrics(sentences, freq="Q")
    with pytest.raises(InputError, match="cat_price"):
        compute_metrics(sentences.drop(columns="cat_price"))


def test_coverage_compares_expected_with_stored():
    _, reviews = _tiny()
    runs = pd.DataFrame(
        {
            "brand": ["Acme", "Acme", "Acme", "Bolt"],
            "source": "test",
            "locator": ["a.example", "a.example", "b.example", "c.example"],
            "started_at": pd.to_datetime(["2025-03-01", "2025-03-10", "2025-03-10", "2025-03-10"], utc=True),
            "status": ["ok", "ok", "failed", "ok"],
            "fetched": [3, 4, 1, 1],
            "expected_total": [4, 8, 2, None],
        }
    )
    cov = compute_coverage(runs, reviews).set_index("brand")
    assert cov.loc["Acme", "expected"] == 10 and cov.loc["Acme", "stored"] == 5
    assert cov.loc["Acme", "coverage"] == pytest.approx(0.5)
    assert cov.loc["Acme", "runs"] == 3 and cov.loc["Acme", "last_status"] == "failed"
    assert np.isnan(cov.loc["Bolt", "coverage"])


def test_plain_string_and_nullable_columns_give_the_same_tables():
    data = spiked()
    plain = data.sentences.copy()
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.CategoricalDtype):
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
        elif plain[column].dtype == bool:
            plain[column] = plain[column].astype("boolean")
    plain["published_at"] = plain["published_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    reviews = data.reviews.assign(review_key=data.reviews["review_key"].astype(object))
    expected = compute_metrics(data.sentences, data.reviews)
    got = compute_metrics(plain, reviews)
    pd.testing.assert_frame_equal(got.sentiment, expected.sentiment)
    pd.testing.assert_frame_equal(got.emotions, expected.emotions)
