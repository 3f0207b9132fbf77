"""The analyze pipeline over a real SQLite store: incremental runs, versions, resume after an interruption."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from runtime_fixtures import random_model_dir, random_predictor

import reviewmine
from reviewmine.columns import SENTENCE_COLUMNS, cat_col, catpol_col, emo_col
from reviewmine.errors import InputError
from reviewmine.nlp.analyze import analyze_store
from reviewmine.nlp.inference import Predictor
from reviewmine.records import Review
from reviewmine.store.db import Store
from reviewmine.store.sentences import ANALYSIS_COLUMNS
from reviewmine.taxonomy import CATEGORIES, POLARITIES

BODIES = [
    "The waiter was rude. The soup was cold.",
    "Great value for money! We will be back.",
    "Das Essen war kalt und der Kellner war unfreundlich. Nie wieder!",
    "😡😡😡",
    "Delivery took two weeks.\nNobody answered the phone.",
    "Lovely staff, spotless rooms &amp; a quiet street.",
    "Never again.",
]


@pytest.fixture
def store(any_store: Store) -> Store:
    """The tests that take ``store`` run on both backends: an SQLite file and a PostgreSQL database."""
    return any_store


def _reviews(brand: str = "Acme") -> list[Review]:
    return [
        Review(
            source="file",
            brand=brand,
            body=body,
            source_review_id=f"{brand}-{i}",
            title="Awful" if i == 0 else None,
            rating=1 + i % 5,
            published_at=datetime(2025, 3, 1 + i, tzinfo=UTC),
        )
        for i, body in enumerate(BODIES)
    ]


def _fill(store: Store, reviews: list[Review]) -> None:
    with store.write() as conn:
        store.upsert_reviews(conn, reviews)


def test_analyze_then_nothing_left(store: Store) -> None:
    _fill(store, _reviews() + _reviews("Beta"))
    predictor = random_predictor()
    report = analyze_store(store, predictor, brand="Acme", chunk_size=3)
    assert (report.pending, report.analyzed, report.new, report.updated) == (7, 7, 7, 0)
    assert report.skipped_language == 1 and report.skipped_empty == 1
    run = store.run(report.run_id)
    assert run["kind"] == "analyze" and run["status"] == "ok" and run["fetched"] == 7 and run["pages"] == 3
    assert run["locator"] == predictor.model_version
    again = analyze_store(store, predictor, brand="Acme")
    assert again.pending == 0 and again.analyzed == 0
    rest = analyze_store(store, predictor)  # the other brand only
    assert rest.analyzed == 7


def test_sentences_frame_contract(db_path: Path) -> None:
    with Store(db_path) as store:
        _fill(store, _reviews())
        analyze_store(store, random_predictor())
    with reviewmine.open(db_path) as db:
        frame = db.sentences(model="test-random-1")
        analyses = db.analyses(model="test-random-1")
        default = db.sentences()  # the only analysed version
        since = db.sentences(since="2025-03-05", model="test-random-1")
    assert tuple(frame.columns) == SENTENCE_COLUMNS
    assert len(default) == len(frame) > 0
    assert frame["published_at"].min() >= pd.Timestamp("2025-03-01", tz="UTC")
    assert set(since["review_key"]) == {"file:Acme-4", "file:Acme-5", "file:Acme-6"}
    assert frame["cat_product"].dtype == bool and frame[emo_col("anger")].dtype == bool
    assert list(frame["polarity"].cat.categories) == list(POLARITIES)
    for category in CATEGORIES:  # a mention has a polarity, no mention has none
        assert (frame[catpol_col(category)].isna() == ~frame[cat_col(category)]).all()
    first = frame[frame["review_key"] == "file:Acme-0"].sort_values("sentence_idx")
    assert list(first["text"]) == ["Awful", "The waiter was rude.", "The soup was cold."]
    assert list(first["sentence_idx"]) == [0, 1, 2]
    assert frame["score"].between(-1, 1).all()
    assert tuple(analyses.columns) == ANALYSIS_COLUMNS
    status = dict(zip(analyses["review_key"], analyses["status"], strict=True))
    assert status["file:Acme-2"] == "skipped: language de" and status["file:Acme-3"] == "skipped: no text"
    assert status["file:Acme-0"] == "ok" and analyses["current"].all()
    assert "file:Acme-2" not in set(frame["review_key"])


def test_changed_review_is_redone_and_versions_are_kept_apart(store: Store) -> None:
    _fill(store, _reviews())
    analyze_store(store, random_predictor())
    edited = _reviews()
    edited[1].body = "Terrible value. We will not be back."
    _fill(store, edited)
    report = analyze_store(store, random_predictor())
    assert (report.analyzed, report.new, report.updated) == (1, 0, 1)
    from reviewmine.store.sentences import sentences_frame

    texts = sentences_frame(store, "test-random-1").query("review_key == 'file:Acme-1'")["text"]
    assert list(texts) == ["Terrible value.", "We will not be back."]

    from reviewmine.nlp.inference import Predictor, load_tagger

    newer = Predictor(load_tagger(random_model_dir("test-random-2")), precision="fp32")
    assert analyze_store(store, newer).analyzed == len(BODIES)  # a new version redoes everything ...
    old = sentences_frame(store, "test-random-1")  # ... and leaves the old results alone
    assert len(old) > 0 and set(old["model_version"]) == {"test-random-1"}
    assert set(sentences_frame(store, "test-random-2")["model_version"]) == {"test-random-2"}


def test_interrupted_run_resumes(store: Store) -> None:
    _fill(store, _reviews())
    seen: list[int] = []

    def interrupt_after_first_chunk(done: int, total: int) -> None:
        seen.append(done)
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze_store(store, random_predictor(), chunk_size=2, progress=interrupt_after_first_chunk)
    runs = store.tables["runs"]
    with store.read() as conn:
        first = conn.execute(runs.select().order_by(runs.c.id.desc())).mappings().first()
        stored = conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar_one()
    assert first is not None and first["status"] == "interrupted" and first["fetched"] == 2
    assert stored == 2  # the committed chunk survived
    report = analyze_store(store, random_predictor(), chunk_size=2)
    assert report.pending == len(BODIES) - 2 and report.new == len(BODIES) - 2
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar_one() == len(BODIES)


def test_deleting_a_review_deletes_its_tags(store: Store) -> None:
    _fill(store, _reviews())
    analyze_store(store, random_predictor())
    with store.write() as conn:
        conn.exec_driver_sql("DELETE FROM reviews WHERE review_key = 'file:Acme-0'")
    with store.read() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM sentences WHERE review_key = 'file:Acme-0'").scalar_one()
    assert left == 0


def test_a_loader_loads_the_model_only_when_reviews_are_pending(store: Store) -> None:
    loads: list[str] = []

    def load(version: str = "test-random-1") -> Predictor:
        loads.append(version)
        time.sleep(0.3)  # a slow load must not count against the tagging rate
        return random_predictor()

    nothing = analyze_store(store, load, model_version="test-random-1")
    assert loads == [] and (nothing.pending, nothing.precision) == (0, "")
    assert store.run(nothing.run_id)["status"] == "ok"
    _fill(store, _reviews())
    report = analyze_store(store, load, model_version="test-random-1")
    assert loads == ["test-random-1"] and report.analyzed == len(BODIES) and report.precision == "fp32"
    assert 0.3 <= report.load_seconds < report.seconds
    assert report.per_second == pytest.approx(report.analyzed / (report.seconds - report.load_seconds))
    assert analyze_store(store, load, model_version="test-random-1").pending == 0 and len(loads) == 1
    _fill(store, _reviews("Beta"))
    with pytest.raises(InputError, match="the model loaded is test-random-1, not test-random-9"):
        analyze_store(store, load, model_version="test-random-9")
    with pytest.raises(TypeError, match="model_version"):
        analyze_store(store, load)
