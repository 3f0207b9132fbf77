"""Versioned schema migrations, the same on SQLite and PostgreSQL.

Each migration is a list of SQL statements applied in one transaction. The version reached is ``PRAGMA
user_version`` in an SQLite file and the one row of ``reviewmine_schema`` in a PostgreSQL database. The statements
are written in SQLite's dialect; `for_dialect` turns them into PostgreSQL's (an identity column for ``INTEGER
PRIMARY KEY``, BIGINT for INTEGER as SQLite's integers are 64-bit, DOUBLE PRECISION for REAL, no ``WITHOUT
ROWID``). Append new migrations, never edit an applied one: a database written by an older reviewmine is brought
forward on open, and one written by a newer reviewmine is refused rather than damaged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from .errors import newer_schema_error

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "for_dialect", "migrate", "read_schema_version"]

VERSION_TABLE = "reviewmine_schema"  # PostgreSQL: one row, the schema version (SQLite keeps PRAGMA user_version)
_MIGRATION_LOCK = 0x7265766965776D69  # PostgreSQL advisory lock key ("reviewmi"): one migrating process at a time

_V1 = [
    """
    CREATE TABLE brands (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE targets (
        id INTEGER PRIMARY KEY,
        brand_id INTEGER NOT NULL REFERENCES brands(id),
        source TEXT NOT NULL,
        locator TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        cursor TEXT,
        last_run_id INTEGER,
        created_at TEXT NOT NULL,
        UNIQUE (brand_id, source, locator)
    )
    """,
    """
    CREATE TABLE reviews (
        review_key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        source_review_id TEXT,
        brand_id INTEGER NOT NULL REFERENCES brands(id),
        target_id INTEGER REFERENCES targets(id),
        target TEXT,
        url TEXT,
        author TEXT,
        rating REAL,
        rating_min REAL NOT NULL DEFAULT 1,
        rating_max REAL NOT NULL DEFAULT 5,
        rating_normalised REAL,
        title TEXT,
        body TEXT NOT NULL,
        language TEXT,
        published_at TEXT,
        updated_at TEXT,
        reply_text TEXT,
        reply_at TEXT,
        verified INTEGER,
        helpful_votes INTEGER,
        extra TEXT NOT NULL DEFAULT '{}',
        fetched_at TEXT NOT NULL,
        raw_hash TEXT,
        content_hash TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX reviews_brand_published ON reviews (brand_id, published_at)",
    "CREATE INDEX reviews_source ON reviews (source, brand_id)",
    "CREATE INDEX reviews_target ON reviews (target_id)",
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        brand_id INTEGER REFERENCES brands(id),
        target_id INTEGER REFERENCES targets(id),
        source TEXT,
        locator TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        pages INTEGER NOT NULL DEFAULT 0,
        fetched INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        expected_total INTEGER,
        errors TEXT NOT NULL DEFAULT '[]',
        message TEXT
    )
    """,
    "CREATE INDEX runs_target ON runs (target_id, started_at)",
    """
    CREATE TABLE analyses (
        review_key TEXT NOT NULL REFERENCES reviews(review_key) ON DELETE CASCADE,
        model_version TEXT NOT NULL,
        analyzed_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        language TEXT,
        status TEXT NOT NULL,
        score REAL,
        label TEXT,
        result TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (review_key, model_version)
    )
    """,
    "CREATE INDEX analyses_model ON analyses (model_version)",
]

# Sentence tags per analysed review and model version. Label decisions are bitmasks over the label tuples
# of reviewmine.taxonomy (bit i = the i-th label; those tuples are append-only); ``category_polarity`` holds
# 2 bits per category (0 not mentioned, 1 + index into POLARITIES); ``polarity`` is an index into POLARITIES.
_V2 = [
    """
    CREATE TABLE sentences (
        review_key TEXT NOT NULL,
        model_version TEXT NOT NULL,
        sentence_idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        polarity INTEGER NOT NULL,
        score REAL NOT NULL,
        categories INTEGER NOT NULL DEFAULT 0,
        category_polarity INTEGER NOT NULL DEFAULT 0,
        emotions INTEGER NOT NULL DEFAULT 0,
        ekman INTEGER NOT NULL DEFAULT 0,
        loyalty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (review_key, model_version, sentence_idx),
        FOREIGN KEY (review_key, model_version) REFERENCES analyses (review_key, model_version)
            ON DELETE CASCADE
    ) WITHOUT ROWID
    """,
    "CREATE INDEX sentences_model ON sentences (model_version)",
]

# Alerts already delivered by scheduled runs, so the same event is never sent twice.
_V3 = [
    """
    CREATE TABLE alerts_sent (
        alert_key TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}'
    )
    """,
]

# Which process runs a run, so one killed without a chance to close its row can be told apart (store/runs.py).
_V4 = [
    "ALTER TABLE runs ADD COLUMN pid INTEGER",
    "ALTER TABLE runs ADD COLUMN host TEXT",
]

MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4]
SCHEMA_VERSION = len(MIGRATIONS)


def for_dialect(statement: str, dialect: str) -> str:
    """``statement`` (SQLite's dialect) as ``dialect`` ("sqlite" or "postgresql") needs it."""
    if dialect == "sqlite":
        return statement
    statement = statement.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
    statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
    return statement.replace("WITHOUT ROWID", "")


def read_schema_version(conn: Connection) -> int:
    """The schema version of the database ``conn`` is on (0: a new, empty database)."""
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql("PRAGMA user_version").scalar_one()
    # pg_tables, not to_regclass(): a backend's name cache can still miss a table another session created while
    # this one waited for the migration lock; reading the catalog sees what is committed.
    exists = f"SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = '{VERSION_TABLE}' AND schemaname = current_schema()"
    if conn.exec_driver_sql(exists).scalar() is None:
        return 0
    return conn.exec_driver_sql(f"SELECT max(version) FROM {VERSION_TABLE}").scalar() or 0


def _write_schema_version(conn: Connection, version: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    if version == 1:
        conn.exec_driver_sql(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO {VERSION_TABLE} (version) VALUES (1)")
    else:
        conn.exec_driver_sql(f"UPDATE {VERSION_TABLE} SET version = {int(version)}")


def migrate(begin_write: Callable[[], AbstractContextManager[Connection]]) -> int:
    """Apply the migrations this database lacks, each in its own write transaction; return the version reached.

    ``begin_write`` opens a write transaction: ``BEGIN IMMEDIATE`` on SQLite, and on PostgreSQL (whose DDL is
    transactional too) the transaction first takes an advisory lock. Either way two processes opening a new
    database at once apply each migration exactly once.
    """
    for version in range(1, SCHEMA_VERSION + 1):
        with begin_write() as conn:
            dialect = conn.dialect.name
            if dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            current = read_schema_version(conn)
            if current > SCHEMA_VERSION:
                raise newer_schema_error(current, SCHEMA_VERSION)
            if current >= version:
                continue
            for statement in MIGRATIONS[version - 1]:
                conn.exec_driver_sql(for_dialect(statement, dialect))
            _write_schema_version(conn, version)
    return SCHEMA_VERSION
