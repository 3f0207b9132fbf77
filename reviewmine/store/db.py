"""The review store: one SQLite file in WAL mode, or a PostgreSQL database, opened through SQLAlchemy Core.

On SQLite, writers take ``BEGIN IMMEDIATE`` so a scheduled scrape and a notebook can share the file: readers see a
consistent snapshot and never block the writer; a second writer waits (``busy_timeout``) instead of failing. On
PostgreSQL (a ``postgresql://`` URL, see location.py) many writers on many machines run at once: writes are upserts
with ``ON CONFLICT`` under READ COMMITTED, reads a REPEATABLE READ snapshot (postgres.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError

from ..errors import StoreError
from ..records import Review, utcnow
from . import postgres
from .errors import DamagedDatabaseError, ReadOnlyDatabaseError, newer_schema_error
from .health import describe_problems, integrity_problems, read_only_reason, read_only_uri, translate_error
from .location import DEFAULT_DB, display_name, mask_password, resolve_db
from .migrations import SCHEMA_VERSION, VERSION_TABLE, migrate, read_schema_version
from .reviews import LOOKUP_CHUNK, UpsertCounts
from .reviews import upsert_reviews as _upsert_reviews
from .runs import HOST, reap_stale_runs, shown_status
from .timefmt import to_db

# Connection is re-exported: the type of what read() and write() yield, for callers outside the store.
__all__ = ["DEFAULT_DB", "Connection", "Store", "UpsertCounts", "resolve_db_path"]

BUSY_TIMEOUT_S = 60


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite database path: the argument, else ``$REVIEWMINE_DB``, else ``./reviewmine.db``.

    A PostgreSQL URL has no path: StoreError (callers that take either use `location.resolve_db`).
    """
    target = resolve_db(path)
    if isinstance(target, URL):
        raise StoreError(f"{display_name(target)} is a PostgreSQL database, not an SQLite file")
    return target


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
    """A reviewmine database. Use ``write()`` for a transaction that changes data, ``read()`` for a snapshot.

    ``display_name`` says which database it is, fit for messages and summaries (a URL's password masked);
    ``path`` is the SQLite file (None on PostgreSQL); ``backend`` is "sqlite" or "postgresql".
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> None:
        """Open the database at ``path`` (a file path or a PostgreSQL URL), creating it and bringing its schema up
        to date when it can be written.

        One that cannot be written (file, folder or file system read-only), or any with ``read_only=True``, is
        opened without writing a byte: reads work, ``write()`` raises ReadOnlyDatabaseError.
        """
        target = resolve_db(path)
        self._checked = False  # quick_check (SQLite) or the privilege check (PostgreSQL) passed; see check_writable
        if isinstance(target, URL):
            self.path: Path | None = None
            self.url = target  # its str() masks the password
            self.backend = "postgresql"
            self.display_name = display_name(target)
            self.read_only_reason: str | None = "opened with read_only=True" if read_only else None
            self.engine = postgres.make_engine(target, self.display_name, read_only=read_only)
        else:
            self._init_sqlite(target, read_only, busy_timeout)
        try:
            self._bring_up_to_date()
            self.tables = self._reflect()
        except DatabaseError as exc:
            self.engine.dispose()
            if self.backend == "sqlite":
                raise StoreError(f"{self.path}: not a usable SQLite database ({exc.orig})") from None
            detail = mask_password(str(exc.orig).strip().splitlines()[0]) if str(exc.orig).strip() else "error"
            raise StoreError(f"{self.display_name}: cannot open the database ({detail})") from None
        except BaseException:
            self.engine.dispose()
            raise

    def _init_sqlite(self, path: Path, read_only: bool, busy_timeout: float) -> None:
        self.path = path
        self.url = URL.create("sqlite+pysqlite", database=str(path))
        self.backend = "sqlite"
        self.display_name = str(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a database file")
        if not self.path.parent.exists():
            raise StoreError(f"{self.path}: folder {self.path.parent} does not exist")
        reason = read_only_reason(self.path)
        self.read_only_reason = reason or ("opened with read_only=True" if read_only else None)
        if self.read_only_reason and not self.path.exists():
            raise StoreError(f"cannot create the database {self.path}: {self.read_only_reason}")
        read_only_at = read_only_uri(self.path) if self.read_only_reason else None
        self.engine = _make_engine(self.path, read_only=read_only_at, busy_timeout=busy_timeout)

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def is_postgresql(self) -> bool:
        return self.backend == "postgresql"

    def _bring_up_to_date(self) -> None:
        """Migrate an older schema; an up-to-date one is only read, so opening needs no write access."""
        with self.read() as conn:
            version = read_schema_version(conn)
        if version > SCHEMA_VERSION:
            raise newer_schema_error(version, SCHEMA_VERSION, self.display_name)
        if version == SCHEMA_VERSION:
            return
        if self.read_only_reason:
            raise ReadOnlyDatabaseError(
                self.display_name,
                self.read_only_reason,
                f"its schema v{version} needs an upgrade to v{SCHEMA_VERSION}",
            )
        migrate(self._write_transaction)

    def check_writable(self) -> None:
        """Refuse a write run before it changes anything: ReadOnlyDatabaseError; on SQLite also
        DamagedDatabaseError when quick_check finds the file corrupt (writing on would add to the damage and fail
        later); on PostgreSQL ReadOnlyDatabaseError when the role may not write every table (or the session or
        server is read-only).

        ``write()`` calls it, so every write run is covered; the check runs once per Store (quick_check: about
        0.15 s per 100k reviews when the file is in the page cache, a few seconds from a cold disk; see health.py).
        """
        if self.read_only_reason:
            raise ReadOnlyDatabaseError(self.display_name, self.read_only_reason, advice=self._read_only_advice())
        if self._checked:
            return
        if self.is_postgresql:
            with self.read() as conn:
                problem = postgres.write_problem(conn, sorted(self.tables))
            if problem:
                raise ReadOnlyDatabaseError(self.display_name, problem, advice=postgres.write_advice(self.url.username))
        else:
            problems = self.integrity_problems()
            if problems:
                raise DamagedDatabaseError(self.path, describe_problems(problems))
        self._checked = True

    def _read_only_advice(self) -> str | None:
        if self.is_postgresql:
            return "open it without read_only=True to write"
        return None

    def integrity_problems(self, *, full: bool = False) -> list[str]:
        """SQLite's quick_check (``full``: integrity_check) problems; [] when the file is sound.

        PostgreSQL checks its own pages (checksums, amcheck): always [] there.
        """
        if self.is_postgresql:
            return []
        return integrity_problems(self.engine, full=full)

    @contextmanager
    def advisory_lock(self, name: str, holder: str) -> Iterator[None]:
        """PostgreSQL: hold the advisory lock ``name`` for the block (postgres.advisory_lock); LockHeldError when
        another session, on any machine, holds it."""
        if not self.is_postgresql:
            raise StoreError("advisory locks are PostgreSQL's; an SQLite store uses a lock file (jobs/lock.py)")
        with postgres.advisory_lock(self.engine, name, holder):
            yield

    def _reflect(self) -> dict[str, Table]:
        meta = MetaData()
        with self.engine.connect() as conn:
            meta.reflect(conn)
        return {name: table for name, table in meta.tables.items() if name != VERSION_TABLE}

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED): committed on success,
        rolled back on any exception.

        The first one checks the database (check_writable), so a read-only or damaged one is refused unchanged.
        """
        self.check_writable()
        with self._write_transaction() as conn:
            yield conn

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: a consistent snapshot that never blocks the writer."""
        with self.engine.connect() as conn:
            if self.is_postgresql:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- brands and targets -------------------------------------------------------------------------------

    def brand_id(self, conn: Connection, name: str, *, create: bool = True) -> int | None:
        brands = self.tables["brands"]
        query = select(brands.c.id).where(brands.c.name == name)
        found = conn.execute(query).scalar()
        if found is not None or not create:
            return found
        self._insert_if_absent(conn, brands, {"name": name, "created_at": to_db(utcnow())}, ["name"])
        return conn.execute(query).scalar_one()

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
        self._insert_if_absent(conn, targets, values, ["brand_id", "source", "locator"])
        return conn.execute(query).scalar_one()

    def _insert_if_absent(self, conn: Connection, table: Table, values: dict[str, Any], unique: list[str]) -> None:
        """Insert a row unless one with the same ``unique`` columns exists, also when another writer adds it at
        the same moment (PostgreSQL's READ COMMITTED: it waits for that writer, then does nothing)."""
        dialect = postgresql if self.is_postgresql else sqlite
        conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=unique))

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

    def review_count(self) -> int:
        """Reviews in the store."""
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(self.tables["reviews"])).scalar_one())

    def target_review_count(self, target_id: int) -> int:
        reviews = self.tables["reviews"]
        with self.read() as conn:
            return conn.execute(select(func.count()).where(reviews.c.target_id == target_id)).scalar_one()

    # -- reviews ----------------------------------------------------------------------------------------

    def upsert_reviews(
        self, conn: Connection, reviews: Iterable[Review], *, target_id: int | None = None
    ) -> UpsertCounts:
        """Insert new reviews and update changed ones (by stable key); unchanged ones are left alone.

        Within one batch the last occurrence of a key wins. Exact under concurrent writers on PostgreSQL too: each
        key is counted new by exactly one of them (reviews.py).
        """
        batch: dict[str, Review] = {}
        for review in reviews:
            batch[review.key] = review
        if not batch:
            return UpsertCounts()

        def brand_id(name: str) -> int:
            return self.brand_id(conn, name)  # type: ignore[return-value]  # create=True: never None

        return _upsert_reviews(conn, self.tables["reviews"], batch, brand_id, target_id)

    def keys_of_other_brands(self, conn: Connection, keys: Sequence[str], brand_id: int | None) -> dict[str, str]:
        """Review key -> brand name, for those of ``keys`` stored under a brand other than ``brand_id``: an
        import refuses to move a review from one brand to another."""
        reviews, brands = self.tables["reviews"], self.tables["brands"]
        found: dict[str, str] = {}
        for start in range(0, len(keys), LOOKUP_CHUNK):
            query = (
                select(reviews.c.review_key, brands.c.name)
                .join(brands, reviews.c.brand_id == brands.c.id)
                .where(reviews.c.review_key.in_(keys[start : start + LOOKUP_CHUNK]), reviews.c.brand_id != brand_id)
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
            return read_schema_version(conn)

    # -- alerts -----------------------------------------------------------------------------------------

    def sent_alert_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` already delivered, so a nightly run does not send an alert twice."""
        table = self.tables["alerts_sent"]
        wanted, found = list(keys), set[str]()
        with self.read() as conn:
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                chunk = wanted[start : start + LOOKUP_CHUNK]
                found.update(conn.execute(select(table.c.alert_key).where(table.c.alert_key.in_(chunk))).scalars())
        return found

    def record_sent_alerts(self, payloads: dict[str, str]) -> None:
        """Remember delivered alerts (alert key -> JSON payload), stamped now, in one transaction."""
        if not payloads:
            return
        now = to_db(utcnow())
        rows = [{"alert_key": key, "sent_at": now, "payload": payload} for key, payload in payloads.items()]
        dialect = postgresql if self.is_postgresql else sqlite
        with self.write() as conn:  # another run may have sent the same alert meanwhile: keep the first record
            conn.execute(dialect.insert(self.tables["alerts_sent"]).on_conflict_do_nothing(), rows)
