"""Writing reviews: insert new ones, update changed ones (by stable key), leave unchanged ones alone, and count.

SQLite serialises writers (``BEGIN IMMEDIATE``), so it reads the stored content hashes and then inserts and updates
with plain executemany, its fastest path. PostgreSQL lets writers run at once under READ COMMITTED, where "read the
keys, then insert" races (two processes both see a key missing and both insert it); there one ``INSERT ... ON
CONFLICT DO UPDATE ... WHERE the content hash differs`` per batch decides atomically per row, and ``RETURNING (xmax
= 0)`` tells the rows it inserted from those it updated. Rows go in key order, so two writers of overlapping batches
lock rows in the same order and cannot deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select

from ..records import Review, utcnow
from .timefmt import to_db

__all__ = ["LOOKUP_CHUNK", "UpsertCounts", "review_row", "upsert_reviews"]

LOOKUP_CHUNK = 500


@dataclass
class UpsertCounts:
    """What an upsert did: reviews inserted, changed (content differs), and seen again unchanged."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def seen(self) -> int:
        return self.new + self.updated + self.unchanged


def upsert_reviews(
    conn: Connection,
    table: Table,
    batch: dict[str, Review],
    brand_id: Callable[[str], int],
    target_id: int | None,
) -> UpsertCounts:
    """Upsert ``batch`` (key -> review, already deduplicated) into ``table`` inside ``conn``."""
    now = to_db(utcnow())
    # Brands in name order: two writers creating the same new brands never wait on each other in a circle.
    brand_ids = {name: brand_id(name) for name in sorted({review.brand for review in batch.values()})}
    fetched: dict[Any, str | None] = {}  # a batch usually shares one fetched_at: format it once
    rows: list[dict[str, Any]] = []
    for review in batch.values():
        if review.fetched_at not in fetched:
            fetched[review.fetched_at] = to_db(review.fetched_at)
        rows.append(review_row(review, brand_ids[review.brand], target_id, fetched[review.fetched_at]))
    if conn.dialect.name == "postgresql":
        return _upsert_postgresql(conn, table, rows, target_id, now)
    return _upsert_sqlite(conn, table, rows, target_id, now)


def _upsert_sqlite(
    conn: Connection, table: Table, rows: list[dict[str, Any]], target_id: int | None, now: str | None
) -> UpsertCounts:
    existing: dict[str, str] = {}
    keys = [row["review_key"] for row in rows]
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        query = select(table.c.review_key, table.c.content_hash).where(table.c.review_key.in_(chunk))
        existing.update((k, h) for k, h in conn.execute(query))
    counts = UpsertCounts()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        old_hash = existing.get(row["review_key"])
        if old_hash is None:
            row.update(first_seen_at=now, changed_at=now)
            inserts.append(row)
        elif old_hash != row["content_hash"]:
            row["changed_at"] = now
            row["b_key"] = row.pop("review_key")
            updates.append(row)
        else:
            counts.unchanged += 1
    if inserts:
        # Plain executemany: SQLAlchemy's per-row parameter processing costed more than SQLite's insert.
        names = list(inserts[0])
        sql = f"INSERT INTO reviews ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        conn.exec_driver_sql(sql, [tuple(row.values()) for row in inserts])
    if updates:
        columns = {name: bindparam(name) for name in updates[0] if name != "b_key"}
        if target_id is None:
            columns.pop("target_id", None)
        statement = table.update().where(table.c.review_key == bindparam("b_key")).values(columns)
        conn.execute(statement, updates)
    counts.new, counts.updated = len(inserts), len(updates)
    return counts


def _upsert_postgresql(
    conn: Connection, table: Table, rows: list[dict[str, Any]], target_id: int | None, now: str | None
) -> UpsertCounts:
    from .postgres import unnest_insert

    names = [*rows[0], "first_seen_at", "changed_at"]
    kept = {"review_key", "first_seen_at"} | ({"target_id"} if target_id is None else set())
    changed = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in kept)
    columns = [(name, table.c[name].type.compile(dialect=conn.dialect)) for name in names]
    statement, arrays = unnest_insert(
        "reviews",
        columns,
        [(*row.values(), now, now) for row in rows],
        order_by="review_key",
        tail=f"ON CONFLICT (review_key) DO UPDATE SET {changed} "
        "WHERE reviews.content_hash <> EXCLUDED.content_hash RETURNING (xmax = 0)",
    )
    counts = UpsertCounts()
    for (inserted,) in conn.execute(statement, arrays):
        if inserted:
            counts.new += 1
        else:
            counts.updated += 1
    counts.unchanged = len(rows) - counts.new - counts.updated
    return counts


def review_row(review: Review, brand_id: int, target_id: int | None, fetched_at: str | None) -> dict[str, Any]:
    """The reviews-table row of ``review`` (without first_seen_at and changed_at, which the upsert sets)."""
    return {
        "review_key": review.key,
        "source": review.source,
        "source_review_id": review.source_review_id,
        "brand_id": brand_id,
        "target_id": target_id,
        "target": review.target,
        "url": review.url,
        "author": review.author,
        "rating": review.rating,
        "rating_min": review.rating_min,
        "rating_max": review.rating_max,
        "rating_normalised": review.rating_normalised,
        "title": review.title,
        "body": review.body,
        "language": review.language,
        "published_at": to_db(review.published_at),
        "updated_at": to_db(review.updated_at),
        "reply_text": review.reply_text,
        "reply_at": to_db(review.reply_at),
        "verified": None if review.verified is None else int(review.verified),
        "helpful_votes": review.helpful_votes,
        "extra": json.dumps(review.extra, ensure_ascii=False, default=str) if review.extra else "{}",
        "fetched_at": fetched_at,
        "raw_hash": review.raw_hash,
        "content_hash": review.content_hash(),
    }
