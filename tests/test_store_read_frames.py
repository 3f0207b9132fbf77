"""The store's large reads (store/columnar.py) on both backends: sentences_frame puts rows in the database's order
(newest review first, then key, then sentence), keeps only the filtered reviews' sentences, and types columns as
read_sql_query did; reviews_frame keeps read_sql_query's inferred types (NULLs, all-NULL columns, no rows)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from reviewmine.columns import SENTENCE_COLUMNS
from reviewmine.records import Review, utcnow
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame
from reviewmine.store.sentences import AnalysisRow, save_analyses, sentences_frame

SAME_TIME = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def _day(month: int, year: int = 2025) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


@pytest.fixture
def store(any_store: Store) -> Store:
    """Reviews of three brands: ties in published_at, one without a date, one without a rating, one never
    analysed, a brand with no analyses, and two model versions."""
    reviews = [
        Review(source="s1", source_review_id="b", brand="Acme", body="x", rating=4, published_at=SAME_TIME),
        Review(source="s1", source_review_id="a", brand="Acme", body="x", rating=2, published_at=SAME_TIME),
        Review(source="s2", source_review_id="c", brand="Beta", body="x", published_at=_day(6)),
        Review(source="s1", source_review_id="d", brand="Acme", body="x", rating=5, published_at=None),
        Review(source="s1", source_review_id="e", brand="Acme", body="x", rating=1, published_at=_day(1, 2024)),
        Review(source="s1", source_review_id="f", brand="Zeta", body="x", rating=3, published_at=_day(7)),
    ]  # fmt: skip
    analysed = [r for r in reviews if r.source_review_id in "abcd"]
    with any_store.write() as conn:
        any_store.upsert_reviews(conn, reviews)
        for version, n_sentences in (("m-1", 3), ("m-2", 1)):
            rows = [AnalysisRow(r.key, r.content_hash(), "ok", "en", 0.1, "neutral", {}) for r in analysed]
            tags = [
                # sentence_idx written out of order: the frame sorts them
                (r.key, idx, f"{r.source_review_id} {idx} {version}", idx % 3, 0.5 - idx, 1 << idx, 2, 5, 1, 8)
                for r in analysed
                for idx in reversed(range(n_sentences))
            ]
            save_analyses(conn, version, utcnow(), rows, tags)
    return any_store


def _review_order(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["review_key"]))


def test_sentences_in_the_database_order(store):
    frame = sentences_frame(store, "m-1")
    assert list(frame.columns) == list(SENTENCE_COLUMNS) and len(frame) == 12
    # reviews in reviews_frame's order (ORDER BY published_at DESC, review_key in SQL: where a review without a
    # date goes is the backend's own), sentences of a review by index
    expected = [key for key in reviews_frame(store)["review_key"] if key in set(frame["review_key"])]
    assert _review_order(frame) == expected
    assert expected.index("s1:a") == expected.index("s1:b") - 1  # the tie in published_at: by key
    for _, sentences in frame.groupby("review_key", sort=False):
        assert list(sentences["sentence_idx"]) == [0, 1, 2]
    assert frame["text"].iloc[0].endswith("0 m-1")


def test_sentence_columns_are_typed(store):
    frame = sentences_frame(store, "m-1")
    assert frame["review_key"].dtype == object and frame["text"].dtype == object
    assert frame["sentence_idx"].dtype == np.int32 and frame["score"].dtype == np.float64
    assert list(frame["brand"].cat.categories) == ["Acme", "Beta"]  # Zeta has no sentences: not a category
    assert list(frame["source"].cat.categories) == ["s1", "s2"]
    assert list(frame["model_version"].cat.categories) == ["m-1"]
    assert str(frame["published_at"].dtype).endswith(", UTC]")
    undated = frame[frame["review_key"] == "s1:d"]
    assert undated["published_at"].isna().all() and (undated["rating_normalised"] == 1.0).all()
    unrated = frame[frame["review_key"] == "s2:c"]
    assert unrated["rating_normalised"].isna().all()
    first = frame[(frame["review_key"] == "s1:a") & (frame["sentence_idx"] == 1)].iloc[0]
    assert first["polarity"] == "negative" and first["score"] == -0.5
    assert bool(first["cat_price"]) and not first["cat_product"]  # bit 1 of the categories mask


def test_filters_keep_only_the_chosen_reviews(store):
    acme = sentences_frame(store, "m-1", brand="Acme")
    assert set(acme["review_key"]) == {"s1:a", "s1:b", "s1:d"} and list(acme["brand"].cat.categories) == ["Acme"]
    recent = sentences_frame(store, "m-1", since=datetime(2025, 5, 15, tzinfo=UTC))
    assert set(recent["review_key"]) == {"s2:c"}
    window = sentences_frame(store, "m-2", brand=["Beta", "Acme"], until=datetime(2025, 5, 15, tzinfo=UTC))
    assert _review_order(window) == ["s1:a", "s1:b"] and len(window) == 2
    assert list(window["model_version"].cat.categories) == ["m-2"]


def test_no_sentences_gives_the_empty_frame(store):
    for frame in (sentences_frame(store, "unknown"), sentences_frame(store, "m-1", brand="Zeta")):
        assert len(frame) == 0 and list(frame.columns) == list(SENTENCE_COLUMNS)
        assert str(frame["published_at"].dtype).endswith(", UTC]")


def test_reviews_frame_types(store):
    frame = reviews_frame(store)
    assert len(frame) == 6 and frame["helpful_votes"].dtype == "Int64" and frame["verified"].dtype == "boolean"
    assert frame["rating"].dtype == np.float64 and frame["rating"].isna().sum() == 1
    assert frame["author"].isna().all()  # a column of NULLs
    assert pd.api.types.is_string_dtype(frame["review_key"]) and pd.api.types.is_string_dtype(frame["brand"])
    empty = reviews_frame(store, brand="nobody")
    assert len(empty) == 0 and list(empty.columns) == list(frame.columns)
