"""`reviewmine db copy SRC DEST`: a whole store from one database to another, SQLite and PostgreSQL either way.

Tables go parents first, each streamed in primary-key order and written in chunks of their own transaction with an
upsert on the primary key. So a copy stopped halfway (Ctrl-C, a lost connection) is finished by running it again,
and running it again after it finished changes nothing; rows changed in SRC since are brought over. DEST must be
empty or hold an earlier copy of SRC: a brand, target or run id meaning something else there would attach rows to
the wrong brand, so that is refused before anything is written. The source is opened read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.dialects import sqlite

from ..errors import StoreError
from .db import Store
from .postgres import unnest_insert

__all__ = ["COPY_ORDER", "CopyReport", "copy_store"]

COPY_ORDER = ("brands", "targets", "runs", "reviews", "analyses", "sentences", "alerts_sent")
# Rows that other rows point at by id: in DEST they must mean what they mean in SRC.
_IDENTITIES = {"brands": ("id", "name"), "targets": ("id", "brand_id", "source", "locator"),
               "runs": ("id", "kind", "started_at")}  # fmt: skip
CHUNK_ROWS = 5_000


@dataclass
class CopyReport:
    """Rows written per table in this copy, and the row counts of both sides at the end."""

    source: str
    destination: str
    written: dict[str, int] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (source rows, destination rows)

    @property
    def ok(self) -> bool:
        return all(src == dest for src, dest in self.counts.values())

    def mismatches(self) -> list[str]:
        return [f"{table} {src} vs {dest}" for table, (src, dest) in self.counts.items() if src != dest]


def copy_store(
    source: Store, destination: Store, *, progress: Callable[[str, int], None] | None = None, chunk: int = CHUNK_ROWS
) -> CopyReport:
    """Copy every table of ``source`` into ``destination`` (see the module docstring); returns the counts."""
    if source.display_name == destination.display_name:
        raise StoreError(f"{source.display_name}: the source and the destination are the same database")
    destination.check_writable()
    _refuse_foreign_rows(source, destination)
    report = CopyReport(source.display_name, destination.display_name)
    for name in COPY_ORDER:
        report.written[name] = _copy_table(source, destination, name, chunk, progress)
    if destination.is_postgresql:
        _advance_identities(destination)
    for name in COPY_ORDER:
        report.counts[name] = (_count(source, name), _count(destination, name))
    return report


def _refuse_foreign_rows(source: Store, destination: Store) -> None:
    for name, columns in _IDENTITIES.items():
        wanted = set(_rows(source, name, columns))
        for row in _rows(destination, name, columns):
            if row not in wanted:
                raise StoreError(
                    f"{destination.display_name} already holds data that is not from {source.display_name} "
                    f"({name} id {row[0]}: {', '.join(map(str, row[1:]))}); copy into an empty database, or into "
                    "an earlier copy of this source"
                )


def _rows(store: Store, name: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    table = store.tables[name]
    with store.read() as conn:
        return [tuple(row) for row in conn.execute(select(*(table.c[c] for c in columns)))]


def _copy_table(
    source: Store, destination: Store, name: str, chunk: int, progress: Callable[[str, int], None] | None
) -> int:
    src, dest = source.tables[name], destination.tables[name]
    columns = [column.name for column in src.columns if column.name in dest.columns]
    written = 0
    for rows in _chunks(source, src, columns, chunk):
        with destination.write() as conn:
            if destination.is_postgresql:
                conn.execute(*_upsert_postgresql(conn, dest, columns, rows))
            else:
                conn.execute(_upsert_sqlite(dest, columns), rows)
        written += len(rows)
        if progress:
            progress(name, written)
    return written


def _chunks(store: Store, table: Table, columns: list[str], size: int) -> Iterator[list[dict[str, Any]]]:
    query = select(*(table.c[c] for c in columns)).order_by(*table.primary_key.columns)
    with store.read() as conn:
        result = conn.execution_options(yield_per=size).execute(query)
        for part in result.mappings().partitions(size):
            yield [dict(row) for row in part]


def _upsert_sqlite(table: Table, columns: list[str]) -> Any:
    statement = sqlite.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    changed = {c: statement.excluded[c] for c in columns if c not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=changed)


def _upsert_postgresql(conn: Connection, table: Table, columns: list[str], rows: list[dict[str, Any]]) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
    return unnest_insert(
        table.name,
        [(c, table.c[c].type.compile(dialect=conn.dialect)) for c in columns],
        [tuple(row[c] for c in columns) for row in rows],
        order_by=", ".join(keys),
        tail=f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {changed}",
    )


def _count(store: Store, name: str) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(store.tables[name])).scalar_one()


def _advance_identities(store: Store) -> None:
    """Rows copied with their ids leave PostgreSQL's identity sequences behind: move them past the largest id."""
    with store.write() as conn:
        for name in ("brands", "targets", "runs"):
            _advance(conn, name)


def _advance(conn: Connection, name: str) -> None:
    conn.execute(
        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 0) + 1, false) FROM {name}")
    )
