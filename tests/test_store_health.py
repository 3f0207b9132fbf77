"""A damaged, read-only or full database: one `error: ...` line and exit 1, nothing new written, reads still work.

Everything here is real: pages of a real database overwritten with random bytes, a file the CLI really cannot
write (permission bits with root's override capability dropped, or a read-only bind mount), a disk that really
fills (a small tmpfs in a private mount namespace). The CLI runs as a subprocess, so a traceback would show.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reviewmine
from reviewmine.cli import app
from reviewmine.errors import StoreError
from reviewmine.records import Review
from reviewmine.store.db import Store
from reviewmine.store.errors import DamagedDatabaseError, ReadOnlyDatabaseError

CLI = [sys.executable, "-m", "reviewmine"]
PAGE = 4096
# Root writes through permission bits; without these capabilities it obeys them like any user.
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
runner = CliRunner()


def _build(path: Path, n: int, *, brand: str = "Acme") -> None:
    """A real database of ``n`` reviews, a few hundred bytes each."""
    words = ["the", "pizza", "was", "cold", "and", "delivery", "took", "ages", "but", "staff", "friendly", "fair"]
    rng = random.Random(n)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    reviews = [
        Review(source="file", source_review_id=str(i), brand=brand, body=" ".join(rng.choices(words, k=50)),
               rating=1 + i % 5, published_at=start + timedelta(hours=i))
        for i in range(n)
    ]  # fmt: skip
    with Store(path) as store, store.write() as conn:
        store.upsert_reviews(conn, reviews)


def _csv(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body", "rating"])
        writer.writerows([f"new{i}", "A fairly long review of the pizza and of the delivery. " * 5, 1 + i % 5]
                         for i in range(n))  # fmt: skip
    return path


def _corrupt(path: Path) -> None:
    """Overwrite 4 KB pages in the middle with random bytes: three of the reviews table, two anywhere."""
    with sqlite3.connect(path) as raw:
        try:
            table = [r[0] for r in raw.execute("SELECT pageno FROM dbstat WHERE name = 'reviews' ORDER BY pageno")]
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            table = []
    raw.close()
    pages = path.stat().st_size // PAGE
    middle = list(range(pages // 4, pages * 3 // 4))
    rng = random.Random(7)
    chosen = [p - 1 for p in rng.sample(table[len(table) // 4 : len(table) * 3 // 4], 3)] if len(table) > 8 else []
    with path.open("r+b") as handle:
        for index in chosen + rng.sample(middle, 2):  # 0-based page indexes (dbstat numbers pages from 1)
            handle.seek(index * PAGE)
            handle.write(rng.randbytes(PAGE))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("REVIEWMINE_DB", None)
    return subprocess.run([*(prefix or []), *CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def _one_error_line(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# -- a damaged file ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def damaged_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damaged") / "reviews.db"
    _build(path, 3000)
    _corrupt(path)
    return path


def test_damaged_database_is_refused_in_one_line_and_left_unchanged(damaged_db: Path, tmp_path: Path) -> None:
    db = str(damaged_db)
    before = _sha(damaged_db)
    damaged = (f"the database {db} is damaged: ", f"`sqlite3 {db} .recover", "backup")
    _one_error_line(_cli("db", "info", "--db", db), *damaged, "reviewmine db check")
    _one_error_line(_cli("reviews", "--db", db), *damaged)
    _one_error_line(_cli("import", str(_csv(tmp_path / "new.csv", 3000)), "--brand", "Acme", "--db", db), *damaged)
    assert _sha(damaged_db) == before  # the refused import wrote nothing, not even its run record
    check = _cli("db", "check", "--db", db)
    line = _one_error_line(check, *damaged)
    assert "db check" not in line  # it is the check: no advice to run it
    assert check.stdout.strip() and "ok" not in check.stdout.splitlines()
    assert "table reviews: " in check.stdout  # named table by table when the file check cannot walk it


def test_damaged_database_in_json_and_in_the_notebook_api(damaged_db: Path) -> None:
    before = _sha(damaged_db)
    info = runner.invoke(app, ["db", "info", "--db", str(damaged_db), "--json"])
    assert info.exit_code == 1 and "is damaged" in info.stderr
    integrity = json.loads(info.stdout)["integrity"]
    assert integrity["check"] == "quick_check" and integrity["ok"] is False and integrity["problems"]
    check = runner.invoke(app, ["db", "check", "--db", str(damaged_db), "--json"])
    assert check.exit_code == 1 and json.loads(check.stdout)["ok"] is False
    with reviewmine.open(damaged_db) as workspace:
        with pytest.raises(DamagedDatabaseError, match="is damaged"):
            workspace.reviews()
        with pytest.raises(DamagedDatabaseError), workspace.store.write():
            pass
    assert _sha(damaged_db) == before


def test_sound_database_checks_ok(db_path: Path) -> None:
    _build(db_path, 50)
    check = runner.invoke(app, ["db", "check", "--db", str(db_path)])
    assert (check.exit_code, check.stdout) == (0, "ok\n")
    info = runner.invoke(app, ["db", "info", "--db", str(db_path), "--json"])
    data = json.loads(info.stdout)
    assert data["integrity"] == {"check": "quick_check", "ok": True, "problems": []} and data["read_only"] is None
    assert "integrity  ok" in runner.invoke(app, ["db", "info", "--db", str(db_path)]).stdout
    missing = runner.invoke(app, ["db", "check", "--db", str(db_path.with_name("none.db"))])
    assert missing.exit_code == 1 and "no such database file" in missing.stderr


def test_a_file_that_is_not_sqlite_is_still_called_that(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("not sqlite at all " * 500)
    result = runner.invoke(app, ["db", "info", "--db", str(bogus)])
    assert result.exit_code == 1 and "not a usable SQLite database" in result.stderr


# -- read-only ---------------------------------------------------------------------------------------------------


@functools.cache
def _unavailable(mechanism: str) -> str | None:
    """Why a way of making things really read-only / full cannot be used here (None: it can)."""
    with tempfile.TemporaryDirectory() as folder:
        if mechanism == "permissions":
            if os.geteuid() != 0:
                return None  # permission bits already bind this user
            if shutil.which("setpriv") is None:
                return "running as root and setpriv(1) is missing, so permission bits cannot bind"
            probe = Path(folder, "probe")
            probe.write_text("x")
            probe.chmod(0o444)
            code = f"import os, sys; sys.exit(os.access({str(probe)!r}, os.W_OK))"
            proc = subprocess.run([*NO_OVERRIDE, sys.executable, "-c", code], capture_output=True, text=True)
            return None if proc.returncode == 0 else f"setpriv cannot drop CAP_DAC_OVERRIDE here: {proc.stderr}"
        if shutil.which("unshare") is None:
            return "unshare(1) is missing"
        script = f"mount -t tmpfs -o size=64k tmpfs {folder} && mount --bind {folder} {folder}"
        proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
        if proc.returncode:
            return f"no private mount namespace here (needs root or CAP_SYS_ADMIN): {proc.stderr.strip()}"
    return None


def _require(mechanism: str) -> None:
    reason = _unavailable(mechanism)
    if reason:
        pytest.skip(reason)


def _fake_model(folder: Path) -> Path:
    """A model folder that declares its version; analyze reads only that before it needs to write."""
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_version": "health-test-1"}))
    return folder


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("file mode 0444", "the file is not writable"),
        ("file 0444 in a folder 0555", "is not writable"),
        ("read-only bind mount of the folder", "it is on a read-only file system"),
    ],
)
def test_read_only_database_reads_and_refuses_writes(how: str, reason: str) -> None:
    _require("mounts" if "mount" in how else "permissions")
    root = Path(tempfile.mkdtemp(prefix="reviewmine-ro-"))  # outside pytest's root-only tmp folders
    folder = root / "data"
    try:
        root.chmod(0o755)
        folder.mkdir()
        db = folder / "reviews.db"
        _build(db, 30)
        csv_file, model = _csv(root / "new.csv", 20), _fake_model(root / "model")
        prefix: list[str] = []
        if "mount" in how:
            prefix = ["unshare", "-m", "sh", "-c", f"mount --bind {folder} {folder} && "
                      f"mount -o remount,ro,bind {folder} {folder} && exec \"$@\"", "sh"]  # fmt: skip
        else:
            db.chmod(0o444)
            if "folder" in how:
                folder.chmod(0o555)
            prefix = NO_OVERRIDE if os.geteuid() == 0 else []
        before, files_before = _sha(db), sorted(p.name for p in folder.iterdir())

        rows = _cli("reviews", "--db", str(db), "--json", prefix=prefix)
        assert rows.returncode == 0, rows.stderr
        assert len(rows.stdout.splitlines()) == 30
        info = _cli("db", "info", "--db", str(db), "--json", prefix=prefix)
        assert info.returncode == 0, info.stderr
        assert json.loads(info.stdout)["reviews"] == 30 and reason in json.loads(info.stdout)["read_only"]
        read_only = (f"the database {db} is read-only (", reason, "nothing was written")
        _one_error_line(_cli("import", str(csv_file), "--brand", "Acme", "--db", str(db), prefix=prefix), *read_only)
        _one_error_line(_cli("analyze", "--model", str(model), "--db", str(db), prefix=prefix), *read_only)
        collect = ["collect", "steam", "1346200", "--brand", "Game", "--base-url", "http://127.0.0.1:9"]
        _one_error_line(_cli(*collect, "--db", str(db), prefix=prefix), *read_only)

        assert _sha(db) == before
        if "folder" in how or "mount" in how:  # nothing could be created beside it: it was opened immutable
            assert sorted(p.name for p in folder.iterdir()) == files_before
    finally:
        if folder.exists():
            folder.chmod(0o755)
        shutil.rmtree(root)


def test_read_only_open_in_python_never_writes(db_path: Path) -> None:
    _build(db_path, 5)
    before = _sha(db_path)
    with Store(db_path, read_only=True) as store:
        assert store.read_only and store.integrity_problems() == []
        with pytest.raises(ReadOnlyDatabaseError, match="opened with read_only=True"), store.write():
            pass
    assert _sha(db_path) == before


# -- a full disk -------------------------------------------------------------------------------------------------

_FULL_DISK = """
import json, shutil, subprocess, sys
folder, seed, csv_file, cli = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", folder], check=True)
db = folder + "/reviews.db"
shutil.copy(seed, db)
with open(folder + "/filler", "wb") as filler:  # leave 200 KB: enough to open and record a run, not to import
    filler.write(bytes(shutil.disk_usage(folder).free - 200_000))
out = {}
for name, args in (("import", ["import", csv_file, "--brand", "Acme"]), ("info", ["db", "info", "--json"])):
    proc = subprocess.run([*cli, *args, "--db", db], capture_output=True, text=True)
    out[name] = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
print(json.dumps(out))
"""


def test_full_disk_fails_the_import_in_one_line_and_keeps_the_data(tmp_path: Path) -> None:
    _require("mounts")
    seed, disk = tmp_path / "seed.db", tmp_path / "disk"
    disk.mkdir()
    _build(seed, 300)
    csv_file = _csv(tmp_path / "new.csv", 3000)  # about 1 MB to write
    args = [str(disk), str(seed), str(csv_file), json.dumps(CLI)]
    proc = subprocess.run(["unshare", "-m", sys.executable, "-c", _FULL_DISK, *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    failed = subprocess.CompletedProcess([], out["import"]["rc"], out["import"]["stdout"], out["import"]["stderr"])
    _one_error_line(failed, f"the disk holding {disk}/reviews.db is full", "what was committed before is intact")
    info = json.loads(out["info"]["stdout"])
    assert info["reviews"] == 300  # the import was one transaction: none of it, and nothing lost
    assert info["last_runs"][0]["kind"] == "import" and info["last_runs"][0]["status"] == "failed"


LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(30)
"""


def test_a_write_lock_held_too_long_is_one_line_not_a_traceback(db_path: Path) -> None:
    """Another process holds the write lock past the wait: the write is refused in words, reads still work."""
    Store(db_path).close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with Store(db_path, busy_timeout=0.2) as store:
            with pytest.raises(StoreError, match=r"is busy: another process held its write lock"):
                store.start_run("import", brand="Acme")
            with store.read() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one() == 0
    finally:
        holder.kill()
        holder.wait()
