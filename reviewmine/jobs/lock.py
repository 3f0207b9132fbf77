"""One run at a time per database: a second overlapping `reviewmine run` exits at once with a clear message."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ReviewmineError

__all__ = ["RunLockedError", "run_lock"]


class RunLockedError(ReviewmineError):
    """Another run holds the lock on this database."""


@contextmanager
def run_lock(db_path: Path) -> Iterator[Path]:
    """Hold ``<db>.lock`` for the duration of a run; raise RunLockedError immediately if another run holds it.

    The OS releases the lock when the holding process dies, so a crashed run never blocks the next one. The lock
    is keyed by the resolved file, so a symlink or another relative path to the same database meets the same lock.
    """
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
