"""Is the database usable? Integrity checks, read-only opening, and plain words for SQLite's failures.

SQLite reports a damaged file, a read-only file and a full disk as terse driver errors ("database disk image is
malformed", "attempt to write a readonly database", "database or disk is full") that surfaced as tracebacks, often
after a run had already done work. ``translate_error`` turns them into StoreErrors that say what is wrong and what
to do; the Store installs it on its engine so every query gets it, and the CLI falls back on it for the rest.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine

from ..errors import StoreError
from .errors import DamagedDatabaseError, DiskFullError, ReadOnlyDatabaseError

__all__ = ["describe_problems", "integrity_problems", "read_only_reason", "read_only_uri", "translate_error"]

SQLITE_MAGIC = b"SQLite format 3\x00"
_FULL_BELOW_BYTES = 1 << 20  # an I/O error with less free space than this is a full disk
_DAMAGED = ("database disk image is malformed", "file is not a database")


def translate_error(exc: BaseException, path: Path | None) -> StoreError | None:
    """The StoreError that explains an SQLite failure on the database at ``path``, or None for other errors."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, sqlite3.Error):
        return None
    message = str(orig)
    code = getattr(orig, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or message in _DAMAGED:
        if message == "file is not a database" and path is not None and not _has_sqlite_header(path):
            return StoreError(f"{path}: not a usable SQLite database ({message})")
        return DamagedDatabaseError(path, message)
    if code.startswith("SQLITE_READONLY") or message.startswith("attempt to write a readonly database"):
        reason = (read_only_reason(path) if path is not None else None) or "file or folder not writable"
        return ReadOnlyDatabaseError(path, reason)
    if code == "SQLITE_FULL" or message == "database or disk is full":
        return DiskFullError(path, message)
    if code.startswith("SQLITE_IOERR") or message == "disk I/O error":
        if path is not None and _free_bytes(path) < _FULL_BELOW_BYTES:
            return DiskFullError(path, message)
        where = f" on the database {path}" if path is not None else ""
        return StoreError(f"{message}{where}: check the disk and the file system, then run again")
    if code.startswith("SQLITE_BUSY") or message.startswith("database is locked"):
        where = f"the database {path}" if path is not None else "the database"
        return StoreError(
            f"{where} is busy: another process held its write lock for longer than the wait allowed; nothing was "
            "written by this transaction, run again when that process is done"
        )
    return None


def read_only_reason(path: Path) -> str | None:
    """Why the database at ``path`` cannot be written (None: it can). WAL mode also writes files in its folder."""
    folder = path.parent
    probe = path if path.exists() else folder
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except OSError:
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(folder, os.W_OK):
        return f"its folder {folder} is not writable"
    return None


def read_only_uri(path: Path) -> tuple[str, dict[str, str]]:
    """An SQLite ``file:`` URI path and its options that read ``path`` without writing anything.

    ``mode=ro`` still needs the WAL index (-shm) beside the file, which a read-only folder cannot hold; then the
    file is opened ``immutable=1`` (no locks, no WAL), which is only right when no WAL holds uncheckpointed
    changes, so those are refused rather than silently left out.
    """
    target = f"file:{quote(str(path.resolve()))}"
    try:
        with closing(sqlite3.connect(f"{target}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA user_version").fetchone()
        return target, {"mode": "ro"}
    except sqlite3.OperationalError:
        pass
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"the database {path} has changes in {wal} that cannot be read in a read-only folder: copy both "
            "files to a writable folder and open the copy"
        )
    return target, {"mode": "ro", "immutable": "1"}


def describe_problems(problems: list[str]) -> str:
    """The first problem SQLite reported, and how many more there are (for a one-line message)."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}"


def integrity_problems(engine: Engine, *, full: bool = False, limit: int = 100) -> list[str]:
    """SQLite's ``quick_check`` (or, ``full``, ``integrity_check``): [] when the file is sound, else the problems.

    quick_check reads every page but skips the index-content comparison: about 0.15 s for 100k reviews with
    their sentences (117 MB) in the page cache, 2.3 s from a cold disk; integrity_check takes about 0.45 s warm.
    A file too damaged for the check to walk is checked table by table, so the message names what is broken.
    """
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = _pragma_rows(engine, f"PRAGMA {pragma}({int(limit)})")
    except DamagedDatabaseError as exc:
        return _problems_per_table(engine, pragma, exc.detail)
    return [] if rows == ["ok"] else rows


def _problems_per_table(engine: Engine, pragma: str, detail: str) -> list[str]:
    try:
        tables = _pragma_rows(engine, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
    except DamagedDatabaseError:
        return [detail]
    problems: list[str] = []
    for table in tables:
        name = table.replace("'", "''")
        try:
            rows = _pragma_rows(engine, f"PRAGMA {pragma}('{name}')")
        except DamagedDatabaseError as exc:
            rows = [exc.detail]
        problems += [f"table {table}: {row}" for row in rows if row != "ok"]
    return problems or [detail]


def _pragma_rows(engine: Engine, sql: str) -> list[str]:
    with engine.connect() as conn:
        return [str(row[0]) for row in conn.exec_driver_sql(sql)]


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return _FULL_BELOW_BYTES
