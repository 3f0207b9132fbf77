"""The run lock on PostgreSQL: an advisory lock of the server keyed by the job's name, so two copies of one job
never overlap whichever machine they run on, other jobs run beside them, and a killed holder frees it at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.demo import DemoSite, generate_demo
from reviewmine.jobs.lock import RunLockedError, run_lock
from reviewmine.store.db import Store

runner = CliRunner()

HOLDER = """
import sys, time
from reviewmine.jobs.lock import run_lock
from reviewmine.store.db import Store
with Store(sys.argv[1]) as store, run_lock(store, sys.argv[2]):
    print("held", flush=True)
    time.sleep(60)
"""


def _hold(url: str, job: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, job], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_copy_of_a_job_is_refused_at_once_and_other_jobs_run(pg_server, pg_url) -> None:
    Store(pg_url).close()
    holder = _hold(pg_url, "nightly")
    try:
        with Store(pg_url) as store:
            started = time.monotonic()
            with pytest.raises(RunLockedError) as refused, run_lock(store, "nightly"):
                pass
            assert time.monotonic() - started < 1.0  # at once, not after a wait
            message = str(refused.value)
            assert "another reviewmine run of job 'nightly' is using postgresql://reviewmine:***@" in message
            assert f"reviewmine run nightly pid {holder.pid}" in message  # who holds it, from the server
            assert pg_server.owner_password not in message
            with run_lock(store, "weekly"):  # another job on the same database
                pass
    finally:
        holder.kill()
        holder.wait()
    with Store(pg_url) as store:
        deadline = time.monotonic() + 5
        while True:  # the server ends the killed holder's session as soon as it sees the socket close
            try:
                with run_lock(store, "nightly"):
                    break
            except RunLockedError:
                assert time.monotonic() < deadline, "a killed holder left the lock held"
                time.sleep(0.05)


def test_the_lock_connection_is_closed_not_pooled(pg_server, pg_database, pg_url) -> None:
    with Store(pg_url) as store:
        with run_lock(store, "nightly"):
            pass
        held = pg_server.admin("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", database=pg_database)
        assert held == [(0,)]
        with run_lock(store, "nightly"):  # and it can be taken again by this process
            pass


JOB = """\
[job]
name = "pg-nightly"
output = "out"
period = "26w"
analyze = false

[[brands]]
name = "Crustline"

  [[brands.sources]]
  source = "trustpilot"
  locator = "crustline.example"
  base_url = "{base}"
  delay = 0
  max_pages = 2
"""


def test_reviewmine_run_on_postgresql_masks_the_password_and_refuses_a_second_copy(
    pg_server, pg_database, pg_url, tmp_path: Path
) -> None:
    job = tmp_path / "job.toml"
    with DemoSite(generate_demo(7, scale=0.2)) as site:
        job.write_text(JOB.format(base=site.base_url))
        result = runner.invoke(app, ["run", str(job), "--db", pg_url, "--quiet", "--json"])
    summary = json.loads(result.stdout)
    assert [row["status"] for row in summary["collect"]] == ["ok"], result.output
    assert summary["db"] == pg_url.replace(pg_server.owner_password, "***")
    logged = (tmp_path / "out" / "reviewmine.log").read_text() + (tmp_path / "out" / "summary.json").read_text()
    assert pg_server.owner_password not in result.output + logged
    assert pg_server.admin("SELECT count(*) > 0 FROM reviews", database=pg_database) == [(True,)]

    holder = _hold(pg_url, "pg-nightly")
    try:
        refused = runner.invoke(app, ["run", str(job), "--db", pg_url, "--quiet"])
        assert refused.exit_code == 1 and "another reviewmine run of job 'pg-nightly'" in refused.stderr
        assert pg_server.owner_password not in refused.output
    finally:
        holder.kill()
        holder.wait()
