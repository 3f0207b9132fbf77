"""Runs whose process is gone. A run killed with SIGKILL, by the OOM killer or a power cut cannot close its own
row, so each run records its process id and host: a "running" run of this host whose process no longer exists
is shown as interrupted, and the next write run marks it so in the database.

A run started on another machine cannot be checked from here and keeps its status. A process id reused since
(rare within one run's life) keeps a dead run "running" until that process ends too.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..records import utcnow
from .timefmt import to_db

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

__all__ = ["GONE_MESSAGE", "HOST", "process_gone", "reap_stale_runs", "shown_status"]

HOST = socket.gethostname()
GONE_MESSAGE = "the process (pid {pid}) ended without closing the run (killed?); what it committed is kept"


def process_gone(pid: int | None, host: str | None) -> bool:
    """True when ``pid`` ran on this host and no such process exists now."""
    if pid is None or host != HOST or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


def shown_status(row: Any) -> str:
    """A run row's status as it stands: ``interrupted`` for a "running" run whose process is gone."""
    if row["status"] == "running" and process_gone(row["pid"], row["host"]):
        return "interrupted"
    return row["status"]


def reap_stale_runs(conn: Connection, runs: Table) -> list[int]:
    """Mark this host's "running" runs whose process is gone as interrupted; return their ids."""
    query = select(runs.c.id, runs.c.pid, runs.c.host).where(runs.c.status == "running", runs.c.host == HOST)
    gone = [(run_id, pid) for run_id, pid, host in conn.execute(query) if process_gone(pid, host)]
    now = to_db(utcnow())
    for run_id, pid in gone:
        values = {"status": "interrupted", "ended_at": now, "message": GONE_MESSAGE.format(pid=pid)}
        conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
    return [run_id for run_id, _ in gone]
