"""A collect run stopped from outside: SIGTERM closes its row as interrupted (as Ctrl-C does); after SIGKILL,
which no process can catch, the row shows as interrupted once the process is gone, and the next write run marks
it so. The real CLI in a subprocess against a loopback Steam whose second page hangs; pages before it are kept."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from loopback import Hit, LoopbackServer, Reply, serve
from steamsite import APP_ID, SteamSite
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.store.db import Store

runner = CliRunner()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def _start_hanging_collect(server: LoopbackServer, db_path: Path) -> subprocess.Popen[str]:
    """A collect run that has committed page 1 and waits on page 2, which answers only after 20 s."""
    site = SteamSite(server, 12)
    answer = site._answer

    def slow_after_first(hit: Hit) -> Reply:
        reply = answer(hit)
        first = parse_qs(urlsplit(hit.path).query)["cursor"][0] == "*"
        return reply if first else Reply(reply.body, content_type=reply.content_type, delay=20)

    server.route(f"/appreviews/{APP_ID}", slow_after_first)
    argv = ["collect", "steam", APP_ID, "--brand", "Game", "--db", str(db_path), "--delay", "0", "--quiet",
            "--base-url", server.base_url]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewmine", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while len(site.cursors()) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached page 2"
        time.sleep(0.05)
    return process


def test_sigterm_closes_the_run_as_interrupted(server: LoopbackServer, db_path: Path) -> None:
    process = _start_hanging_collect(server, db_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)
    assert process.returncode != 0 and "Traceback" not in stderr
    with Store(db_path) as store:
        run = store.run(1)
        assert run["status"] == "interrupted" and run["pages"] == 1 and run["ended_at"]
        assert store.target_review_count(1) == 5  # page 1 is kept


def test_a_killed_run_is_shown_interrupted_and_reaped_by_the_next(server: LoopbackServer, db_path: Path) -> None:
    process = _start_hanging_collect(server, db_path)
    process.kill()
    process.wait(timeout=15)

    info = runner.invoke(app, ["db", "info", "--db", str(db_path), "--json"])
    assert json.loads(info.stdout)["last_runs"][0]["status"] == "interrupted"
    assert " interrupted " in runner.invoke(app, ["db", "info", "--db", str(db_path)]).stdout
    with Store(db_path) as store:
        with store.read() as conn:  # the row itself still says running: nothing could write it
            assert conn.exec_driver_sql("SELECT status FROM runs WHERE id = 1").scalar_one() == "running"
        store.start_run("import", brand="Game")  # the next write run marks it
        with store.read() as conn:
            status, message = conn.exec_driver_sql("SELECT status, message FROM runs WHERE id = 1").one()
        assert status == "interrupted" and f"pid {process.pid}" in message
        assert store.target_review_count(1) == 5
