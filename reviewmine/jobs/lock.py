"""One copy of a run at a time: a second overlapping `reviewmine run` exits at once with a clear message.

On SQLite the lock is a file beside the database (one run at a time per file). On PostgreSQL, where runs on
several machines share one database, it is an advisory lock of the server keyed by the job's name: two copies of
one job never overlap, different jobs run side by side.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from ..errors import ReviewmineError

if TYPE_CHECKING:
    from ..store.db import Store

__all__ = ["RunLockedError", "run_lock"]


class RunLockedError(ReviewmineError):
    """Another run holds the lock on this database."""


@contextmanager
def run_lock(target: Path | Store, job: str = "") -> Iterator[object]:
    """Hold the run lock of ``target`` (an SQLite path, or an open Store of either backend) for the duration of
    a run; raise RunLockedError immediately if another run holds it.

    SQLite: ``<db>.lock``, keyed by the resolved file, so a symlink or another relative path to the same database
    meets the same lock. PostgreSQL: the advisory lock ``reviewmine run <job>`` on a connection of its own. Either
    way the lock goes when the holding process dies, so a crashed run never blocks the next one.
    """
    path = target if isinstance(target, Path) else target.path
    if path is not None:
        with _file_lock(path) as lock_path:
            yield lock_path
        return
    assert not isinstance(target, Path)  # a Store on PostgreSQL (it has no path)
    with _advisory_lock(target, job):
        yield target.display_name


@contextmanager
def _advisory_lock(store: Store, job: str) -> Iterator[None]:
    from ..store.postgres import LockHeldError
    from ..store.runs import HOST

    held = ExitStack()
    holder = f"reviewmine run {job} pid {os.getpid()} on {HOST}"  # what a refused copy is told
    try:
        held.enter_context(store.advisory_lock(f"reviewmine run {job}", holder))
    except LockHeldError as exc:
        raise RunLockedError(
            f"another reviewmine run of job {job!r} is using {store.display_name} ({exc.holder}); this run was not "
            "started. The server releases the lock when that run's connection ends."
        ) from None
    with held:
        yield


@contextmanager
def _file_lock(db_path: Path) -> Iterator[Path]:
    db_path = Path(os.path.realpath(db_path))
    lock_path = db_path.with_name(db_path.name + ".lock")
    info_path = db_path.with_name(db_path.name + ".lock.pid")
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = info_path.read_text().strip() if info_path.exists() else "another process"
        raise RunLockedError(
            f"another reviewmine run is using {db_path} ({holder}); this run was not started. "
            f"If no run is active, the lock {lock_path} is stale only while that process lives."
        ) from None
    try:
        info_path.write_text(f"pid {os.getpid()}")
        yield lock_path
    finally:
        info_path.unlink(missing_ok=True)
        lock.release()
