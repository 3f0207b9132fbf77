"""PostgreSQL specifics of the store: the engine, write privileges, advisory locks, and psycopg's errors in words.

The store's SQL is shared with SQLite where it can be; what differs lives here and in the dialect branches of
db.py, migrations.py and sentences.py. Writers run under READ COMMITTED and write with ``INSERT ... ON CONFLICT``,
so several processes on several machines can write overlapping data at once without duplicates or unique-key
errors; readers get a REPEATABLE READ snapshot.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, create_engine, event, text
from sqlalchemy.engine import URL

from ..errors import StoreError
from ..extras import require
from .errors import DiskFullError, ReadOnlyDatabaseError
from .location import display_name

__all__ = ["CONNECT_TIMEOUT_S", "LockHeldError", "advisory_lock", "lock_key", "make_engine", "translate_error",
           "unnest_insert", "write_problem"]  # fmt: skip

CONNECT_TIMEOUT_S = 10
_GRANT_ADVICE = "connect as a role that may write, or grant it: GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA"


class LockHeldError(StoreError):
    """Another session holds the advisory lock; ``holder`` says who, as far as the server tells."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"the lock is held by {holder}")


def make_engine(url: URL, shown: str, *, read_only: bool) -> Engine:
    """An engine for psycopg 3 on ``url`` whose errors come out as the StoreErrors of translate_error."""
    require("postgres", f"the PostgreSQL database {shown}")
    connect_args: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": f"reviewmine pid {os.getpid()}",
    }
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    engine = create_engine(url, connect_args=connect_args, pool_size=2, max_overflow=8)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> StoreError | None:
        return translate_error(context.original_exception, url, context.statement)

    return engine


def server_of(url: URL | None) -> str:
    if url is None:
        return "the PostgreSQL server"
    return f"the PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432}"


def translate_error(exc: BaseException, url: URL | None, statement: str | None = None) -> StoreError | None:
    """The StoreError that explains a psycopg failure (server unreachable, login refused, no such database, no
    permission to read or write, disk full, connection lost), or None for others (a bug should show its
    traceback). ``statement`` is the SQL that failed, when known."""
    orig = getattr(exc, "orig", None) or exc
    if not type(orig).__module__.startswith("psycopg"):
        return None
    state = getattr(orig, "sqlstate", None) or ""
    message = _scrub(str(orig), url)
    first = " ".join(message.strip().splitlines()[0].split()) if message.strip() else type(orig).__name__
    server = server_of(url)
    user = url.username if url is not None else None
    if state.startswith("28") or "password authentication failed" in message or "no password supplied" in message:
        return StoreError(f"{server} refused the login of role {user!r}: wrong password or role name ({_fatal(first)})")
    if state == "3D000" or ("database" in message and "does not exist" in message and state == ""):
        name = url.database if url is not None else "?"
        return StoreError(f"{server} has no database {name!r}: create it (createdb {name}) or fix the URL")
    role = f"the role {user}" if user else "this role"
    if state == "42501" and statement is not None and statement.lstrip().upper().startswith("SELECT"):
        return StoreError(f"{role} may not read this database ({_fatal(first)}): GRANT SELECT ON ALL TABLES IN "
                          f"SCHEMA public TO {user or 'ROLE'}, or connect as another role")  # fmt: skip
    if state in ("42501", "25006"):
        shown = display_name(url) if url is not None else None
        return ReadOnlyDatabaseError(shown, f"{role} cannot write: {_fatal(first)}", advice=write_advice(user))
    if state == "53100":
        return DiskFullError(server, _fatal(first))
    if state in ("40001", "40P01"):
        return StoreError(f"{server} aborted this transaction ({_fatal(first)}): nothing was written by it, run again")
    if state == "53300":
        return StoreError(f"{server} has no free connection slot ({_fatal(first)}); run again later")
    if state.startswith(("08", "57P")) or type(orig).__name__ == "OperationalError":
        if "Connection refused" in message:
            return StoreError(f"cannot reach {server}: connection refused (is PostgreSQL running and listening there?)")
        if "could not translate host name" in message or "Name or service not known" in message:
            return StoreError(f"cannot reach {server}: unknown host name")
        if "timeout expired" in message:
            return StoreError(f"cannot reach {server}: no answer within {CONNECT_TIMEOUT_S} s")
        return StoreError(f"lost or could not open the connection to {server} ({_fatal(first)}); "
                          "what this transaction wrote was rolled back, run again")  # fmt: skip
    return None


def _fatal(first_line: str) -> str:
    """libpq's line without its 'connection to server at ... failed:' preamble and 'FATAL:' prefix."""
    detail = first_line.rsplit(" failed: ", 1)[-1]
    return detail.removeprefix("FATAL:").strip()


def _scrub(message: str, url: URL | None) -> str:
    password = url.password if url is not None else None
    return message.replace(str(password), "***") if password else message


def unnest_insert(
    table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], order_by: str, tail: str = ""
) -> tuple[TextClause, dict[str, list[Any]]]:
    """``INSERT INTO table SELECT ... FROM unnest(arrays) ORDER BY order_by tail``: a whole batch as one array per
    column in one statement (``columns``: name and PostgreSQL type), several times faster than executemany or
    a multi-row VALUES list, whose SQL text psycopg has to parse anew for every batch size."""
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"CAST(:c{i} AS {kind}[])" for i, (_, kind) in enumerate(columns))
    statement = text(
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) AS batch ({names}) ORDER BY {order_by} {tail}"
    )
    return statement, {f"c{i}": [row[i] for row in rows] for i in range(len(columns))}


def write_problem(conn: Connection, tables: list[str]) -> str | None:
    """Why this session cannot write the store (None: it can): a read-only transaction or standby server, or a role
    without INSERT, UPDATE and DELETE on every table. Checked once, before a write run changes anything."""
    user, read_only, standby = conn.execute(
        text("SELECT current_user, current_setting('transaction_read_only'), pg_is_in_recovery()")
    ).one()
    if standby:
        return "the server is a read-only standby"
    if read_only == "on":
        return "the session is read-only (default_transaction_read_only)"
    query = text(
        "SELECT t, has_table_privilege(t, 'INSERT'), has_table_privilege(t, 'UPDATE'), "
        "has_table_privilege(t, 'DELETE') FROM unnest(CAST(:tables AS text[])) AS t"
    )
    lacking: dict[str, list[str]] = {}
    for table, *allowed in conn.execute(query, {"tables": list(tables)}):
        for privilege, ok in zip(("INSERT", "UPDATE", "DELETE"), allowed, strict=True):
            if not ok:
                lacking.setdefault(privilege, []).append(table)
    if not lacking:
        return None
    names = sorted({table for missing in lacking.values() for table in missing})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more tables" if len(names) > 3 else "")
    return f"the role {user} cannot write: no {'/'.join(lacking)} privilege on {shown}"


def write_advice(user: str | None) -> str:
    return f"{_GRANT_ADVICE} public TO {user or 'ROLE'}"


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name`` (advisory locks are already scoped to one database)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def advisory_lock(engine: Engine, name: str, holder: str) -> Iterator[None]:
    """Hold the session advisory lock ``name`` on a connection of its own while the block runs.

    Raises LockHeldError at once when another session holds it. The server releases the lock when the holding
    connection ends, so a killed process (or machine) never leaves it held; ``holder`` (who we are) is set as the
    connection's application_name so a refused run can say who holds it.
    """
    key = lock_key(name)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(text("SELECT set_config('application_name', :h, false)"), {"h": holder[:63]})
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            raise LockHeldError(_holder_of(conn, key))
        try:
            yield
        finally:
            with suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.invalidate()  # close the session rather than pool it: nothing it held can outlive the block
        conn.close()


def _holder_of(conn: Connection, key: int) -> str:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    query = text(
        "SELECT a.application_name, host(a.client_addr) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid = CAST(:hi AS oid) AND l.objid = CAST(:lo AS oid) "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with suppress(Exception):
        row = conn.execute(query, {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}).first()
        if row and row[0]:
            return f"{row[0]}" + (f" from {row[1]}" if row[1] else "")
    return "another session"
