"""The review store: one SQLite file in WAL mode, opened through SQLAlchemy Core.

Writers take ``BEGIN IMMEDIATE`` so a scheduled scrape and a notebook can share the file: readers see a
consistent snapshot and never block the writer; a second writer waits (``busy_timeout``) instead of failing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, create_engine, event, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError

from ..errors import StoreError
from ..records import Review, utcnow
from .errors import DamagedDatabaseError, ReadOnlyDatabaseError, newer_schema_error
from .health import describe_problems, integrity_problems, read_only_reason, read_only_uri, translate_error
from .migrations import SCHEMA_VERSION, migrate
from .runs import HOST, reap_stale_runs, shown_status
from .timefmt import to_db

# Connection is re-exported: the type of what read() and write() yield, for callers outside the store.
__all__ = ["DEFAULT_DB", "Connection", "Store", "UpsertCounts", "resolve_db_path"]

DEFAULT_DB = "reviewmine.db"
BUSY_TIMEOUT_S = 60
_LOOKUP_CHUNK = 500


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else ``$REVIEWMINE_DB``, else ``./reviewmine.db``."""
    return Path(path or os.environ.get("REVIEWMINE_DB") or DEFAULT_DB)


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


def _make_engine(
    path: Path, *, read_only: tuple[str, dict[str, str]] | None = None, busy_timeout: float = BUSY_TIMEOUT_S
) -> Engine:
    """An engine on ``path``, or with ``read_only`` (health.read_only_uri) one that never writes.

    A read-only engine leaves the journal mode alone (setting WAL is a write). SQLite's errors come out as the
    StoreErrors of health.translate_error (damaged, read-only, disk full) naming ``path``.
    """
    if read_only is None:
        url = URL.create("sqlite+pysqlite", database=str(path))
    else:
        database, options = read_only
        url = URL.create("sqlite+pysqlite", database=database, query={**options, "uri": "true"})
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if read_only is None:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> StoreError | None:
        return translate_error(context.original_exception, path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
        conn.exec_driver_sql(mode)

    return engine


class Store:
    """A reviewmine database. Use ``write()`` for a transaction that changes data, ``read()`` for a snapshot."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> None:
        """Open the database at ``path``, creating it and bringing its schema up to date when it can be written.

        One that cannot be written (file, folder or file system read-only), or any with ``read_only=True``, is
        opened without writing a byte: reads work, ``write()`` raises ReadOnlyDatabaseError.
        """
        self.path = resolve_db_path(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a database file")
        if not self.path.parent.exists():
            raise StoreError(f"{self.path}: folder {self.path.parent} does not exist")
        reason = read_only_reason(self.path)
        self.read_only_reason: str | None = reason or ("opened with read_only=True" if read_only else None)
        self._checked = False  # quick_check passed; see check_writable
        if self.read_only_reason and not self.path.exists():
            raise StoreError(f"cannot create the database {self.path}: {self.read_only_reason}")
        read_only_at = read_only_uri(self.path) if self.read_only_reason else None
        self.engine = _make_engine(self.path, read_only=read_only_at, busy_timeout=busy_timeout)
        try:
            self._bring_up_to_date()
            self.tables = self._reflect()
        except DatabaseError as exc:
            self.engine.dispose()
            raise StoreError(f"{self.path}: not a usable SQLite database ({exc.orig})") from None
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def _bring_up_to_date(self) -> None:
        """Migrate an older schema; an up-to-date one is only read, so opening needs no write access."""
        with self.read() as conn:
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        if version > SCHEMA_VERSION:
            raise newer_schema_error(version, SCHEMA_VERSION)
        if version == SCHEMA_VERSION:
            return
        if self.read_only_reason:
            raise ReadOnlyDatabaseError(
                self.path, self.read_only_reason, f"its schema v{version} needs an upgrade to v{SCHEMA_VERSION}"
            )
        migrate(self.write)

    def check_writable(self) -> None:
        """Refuse a write run before it changes anything: ReadOnlyDatabaseError, or DamagedDatabaseError when
        SQLite's quick_check finds the file corrupt (writing on would add to the damage and fail later).

        ``write()`` calls it, so every write run is covered; quick_check runs once per Store (about 0.15 s per
        100k reviews when the file is in the page cache, a few seconds from a cold disk; see health.py).
        """
        if self.read_only_reason:
            raise ReadOnlyDatabaseError(self.path, self.read_only_reason)
        if not self._checked:
            problems = self.integrity_problems()
            if problems:
                raise DamagedDatabaseError(self.path, describe_problems(problems))
            self._checked = True

    def integrity_problems(self, *, full: bool = False) -> list[str]:
        """SQLite's quick_check (``full``: integrity_check) problems; [] when the file is sound."""
        return integrity_problems(self.engine, full=full)

    def _reflect(self) -> dict[str, Table]:
        meta = MetaData()
        with self.engine.connect() as conn:
            meta.reflect(conn)
        return dict(meta.tables)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any exception.

        The first one checks the file (check_writable), so a read-only or damaged database is refused unchanged.
        """
        self.check_writable()
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: a consistent snapshot that never blocks the writer."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- brands and targets -------------------------------------------------------------------------------

    def brand_id(self, conn: Connection, name: str, *, create: bool = True) -> int | None:
        brands = self.tables["brands"]
        found = conn.execute(select(brands.c.id).where(brands.c.name == name)).scalar()
        if found is not None or not create:
            return found
        return conn.execute(brands.insert().values(name=name, created_at=to_db(utcnow()))).inserted_primary_key[0]

    def target_id(self, conn: Connection, brand: str, source: str, locator: str, *, create: bool = True) -> int | None:
        targets = self.tables["targets"]
        brand_id = self.brand_id(conn, brand, create=create)
        if brand_id is None:
            return None
        query = select(targets.c.id).where(
            targets.c.brand_id == brand_id, targets.c.source == source, targets.c.locator == locator
        )
        found = conn.execute(query).scalar()
        if found is not None or not create:
            return found
        values = {"brand_id": brand_id, "source": source, "locator": locator, "created_at": to_db(utcnow())}
        return conn.execute(targets.insert().values(**values)).inserted_primary_key[0]

    def cursor(self, conn: Connection, target_id: int) -> dict[str, Any] | None:
        """The saved pagination state of a target (None: start from the first page)."""
        targets = self.tables["targets"]
        raw = conn.execute(select(targets.c.cursor).where(targets.c.id == target_id)).scalar()
        return json.loads(raw) if raw else None

    def save_cursor(self, conn: Connection, target_id: int, cursor: dict[str, Any] | None) -> None:
        targets = self.tables["targets"]
        value = json.dumps(cursor) if cursor is not None else None
        conn.execute(targets.update().where(targets.c.id == target_id).values(cursor=value))

    def set_last_run(self, target_id: int, run_id: int) -> None:
        targets = self.tables["targets"]
        with self.write() as conn:
            conn.execute(targets.update().where(targets.c.id == target_id).values(last_run_id=run_id))

    def last_collect_status(self, conn: Connection, target_id: int) -> str | None:
        """How the latest collect run of a target that got to its end ended: ok or partial (None: never)."""
        runs = self.tables["runs"]
        query = (
            select(runs.c.status)
            .where(runs.c.target_id == target_id, runs.c.kind == "collect", runs.c.status.in_(("ok", "partial")))
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        return conn.execute(query).scalar()

    def target_review_count(self, target_id: int) -> int:
        reviews = self.tables["reviews"]
        with self.read() as conn:
            return conn.execute(select(func.count()).where(reviews.c.target_id == target_id)).scalar_one()

    # -- reviews ----------------------------------------------------------------------------------------

    def upsert_reviews(
        self, conn: Connection, reviews: Iterable[Review], *, target_id: int | None = None
    ) -> UpsertCounts:
        """Insert new reviews and update changed ones (by stable key); unchanged ones are left alone.

        Within one batch the last occurrence of a key wins.
        """
        batch: dict[str, Review] = {}
        for review in reviews:
            batch[review.key] = review
        counts = UpsertCounts()
        if not batch:
            return counts
        table = self.tables["reviews"]
        existing: dict[str, str] = {}
        keys = list(batch)
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            query = select(table.c.review_key, table.c.content_hash).where(table.c.review_key.in_(chunk))
            existing.update((k, h) for k, h in conn.execute(query))
        brand_ids: dict[str, int] = {}
        now = to_db(utcnow())
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        fetched: dict[Any, str | None] = {}  # a batch usually shares one fetched_at: format it once
        for key, review in batch.items():
            if review.brand not in brand_ids:
                brand_ids[review.brand] = self.brand_id(conn, review.brand)  # type: ignore[assignment]
            if review.fetched_at not in fetched:
                fetched[review.fetched_at] = to_db(review.fetched_at)
            row = _review_row(review, brand_ids[review.brand], target_id, fetched[review.fetched_at])
            old_hash = existing.get(key)
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

    def keys_of_other_brands(self, conn: Connection, keys: Sequence[str], brand_id: int | None) -> dict[str, str]:
        """Review key -> brand name, for those of ``keys`` stored under a brand other than ``brand_id``: an
        import refuses to move a review from one brand to another."""
        reviews, brands = self.tables["reviews"], self.tables["brands"]
        found: dict[str, str] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            query = (
                select(reviews.c.review_key, brands.c.name)
                .join(brands, reviews.c.brand_id == brands.c.id)
                .where(reviews.c.review_key.in_(keys[start : start + _LOOKUP_CHUNK]), reviews.c.brand_id != brand_id)
            )
            found.update((key, name) for key, name in conn.execute(query))
        return found

    # -- runs -------------------------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        *,
        brand: str | None = None,
        source: str | None = None,
        locator: str | None = None,
        target_id: int | None = None,
    ) -> int:
        """Record the start of a run (kind: collect, import, analyze) in its own committed transaction, with this
        process's id and host; runs of this host whose process is gone are marked interrupted first."""
        with self.write() as conn:
            reap_stale_runs(conn, self.tables["runs"])
            brand_id = self.brand_id(conn, brand) if brand else None
            values = {
                "kind": kind, "brand_id": brand_id, "target_id": target_id, "source": source,
                "locator": locator, "started_at": to_db(utcnow()), "status": "running",
                "pid": os.getpid(), "host": HOST,
            }  # fmt: skip
            return conn.execute(self.tables["runs"].insert().values(**values)).inserted_primary_key[0]

    def update_run(self, conn: Connection, run_id: int, **values: Any) -> None:
        """Set run columns (pages, fetched, new, updated, expected_total, errors, message) inside ``conn``."""
        if "errors" in values and not isinstance(values["errors"], str):
            values["errors"] = json.dumps(values["errors"], ensure_ascii=False, default=str)
        runs = self.tables["runs"]
        conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def finish_run(self, run_id: int, status: str, **values: Any) -> None:
        """Close a run with status ok, partial, failed or interrupted (its own transaction)."""
        with self.write() as conn:
            self.update_run(conn, run_id, status=status, ended_at=to_db(utcnow()), **values)

    def run(self, run_id: int) -> dict[str, Any]:
        runs = self.tables["runs"]
        with self.read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
        data = dict(row)
        data["status"] = shown_status(data)
        data["errors"] = json.loads(data["errors"] or "[]")
        return data

    def schema_version(self) -> int:
        with self.read() as conn:
            return conn.exec_driver_sql("PRAGMA user_version").scalar_one()

    # -- alerts -----------------------------------------------------------------------------------------

    def sent_alert_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` already delivered, so a nightly run does not send an alert twice."""
        table = self.tables["alerts_sent"]
        wanted, found = list(keys), set[str]()
        with self.read() as conn:
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                found.update(conn.execute(select(table.c.alert_key).where(table.c.alert_key.in_(chunk))).scalars())
        return found

    def record_sent_alerts(self, payloads: dict[str, str]) -> None:
        """Remember delivered alerts (alert key -> JSON payload), stamped now, in one transaction."""
        if not payloads:
            return
        now = to_db(utcnow())
        rows = [{"alert_key": key, "sent_at": now, "payload": payload} for key, payload in payloads.items()]
        with self.write() as conn:
            conn.execute(self.tables["alerts_sent"].insert(), rows)


def _review_row(review: Review, brand_id: int, target_id: int | None, fetched_at: str | None) -> dict[str, Any]:
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
