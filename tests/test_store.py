"""The store on both backends (SQLite and PostgreSQL, see the ``store`` fixture); SQLite-only checks take a path."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from reviewmine.errors import StoreError
from reviewmine.records import Review
from reviewmine.store.db import Store
from reviewmine.store.migrations import SCHEMA_VERSION


@pytest.fixture
def store(any_store: Store) -> Store:
    """The tests below that take ``store`` run on both backends: an SQLite file and a PostgreSQL database."""
    return any_store


def _review(**kw) -> Review:
    base = dict(source="trustpilot", source_review_id="r1", brand="Acme", body="Great pizza.", rating=5)
    base.update(kw)
    return Review(**base)


def test_new_database_is_wal_and_migrated(db_path):
    with Store(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"brands", "targets", "reviews", "runs", "analyses"} <= tables


def test_round_trip_keeps_every_field(store):
    published = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    review = _review(
        title="Yes",
        url="https://example.com/r/1",
        author="Ann",
        language="en",
        published_at=published,
        reply_text="Thanks!",
        reply_at=datetime(2025, 3, 2, tzinfo=UTC),
        verified=True,
        helpful_votes=3,
        raw_hash="ab" * 32,
        extra={"app_version": "1.2"},
    )
    with store.write() as conn:
        store.upsert_reviews(conn, [review])
    from reviewmine.store.queries import reviews_frame

    row = reviews_frame(store).iloc[0]
    assert row.review_key == "trustpilot:r1"
    assert row.brand == "Acme" and row.title == "Yes" and row.author == "Ann"
    assert row.rating == 5 and row.rating_normalised == 1.0
    assert row.published_at.to_pydatetime() == published
    assert bool(row.verified) is True and row.helpful_votes == 3
    assert row.reply_text == "Thanks!" and '"app_version": "1.2"' in row.extra


def test_upsert_counts_new_updated_unchanged(store):
    with store.write() as conn:
        assert store.upsert_reviews(conn, [_review(), _review(source_review_id="r2")]).new == 2
    with store.write() as conn:
        counts = store.upsert_reviews(conn, [_review(), _review(source_review_id="r2", body="Edited.")])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    from reviewmine.store.queries import reviews_frame

    frame = reviews_frame(store).set_index("review_key")
    assert frame.loc["trustpilot:r2", "body"] == "Edited."
    assert frame.loc["trustpilot:r2", "changed_at"] >= frame.loc["trustpilot:r2", "first_seen_at"]


def test_edit_keeps_source_updated_at(store):
    edited = datetime(2025, 5, 1, tzinfo=UTC)
    with store.write() as conn:
        store.upsert_reviews(conn, [_review()])
        store.upsert_reviews(conn, [_review(body="Changed my mind.", rating=2, updated_at=edited)])
    from reviewmine.store.queries import reviews_frame

    row = reviews_frame(store).iloc[0]
    assert row.updated_at.to_pydatetime() == edited and row.rating == 2


def test_id_less_reviews_key_on_content():
    a = Review(source="file", brand="Acme", body="Fine.", author="Bo")
    b = Review(source="file", brand="Acme", body="Fine.", author="Bo")
    c = Review(source="file", brand="Acme", body="Fine!", author="Bo")
    assert a.key == b.key != c.key and a.key.startswith("file:#")


def test_rating_outside_scale_is_refused():
    with pytest.raises(ValueError, match="outside its scale"):
        Review(source="file", brand="Acme", body="x", rating=7)


def test_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.write() as conn:
        store.upsert_reviews(conn, [_review()])
        raise RuntimeError("crash halfway")
    from reviewmine.store.queries import reviews_frame

    assert reviews_frame(store).empty


def test_newer_schema_is_refused(db_path):
    Store(db_path).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this reviewmine supports"):
        Store(db_path)


def test_not_a_database_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(bogus)


def test_cursor_round_trip(store):
    with store.write() as conn:
        target = store.target_id(conn, "Acme", "steam", "123")
        assert store.cursor(conn, target) is None
        store.save_cursor(conn, target, {"cursor": "AoJ4", "page": 3})
    with store.read() as conn:
        assert store.cursor(conn, target) == {"cursor": "AoJ4", "page": 3}
