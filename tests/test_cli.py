"""The command line through typer's runner and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.records import Review
from reviewmine.store.db import Store

runner = CliRunner()


def _seed(db_path: Path) -> None:
    with Store(db_path) as store, store.write() as conn:
        store.upsert_reviews(
            conn,
            [
                Review(
                    source="file",
                    source_review_id=str(i),
                    brand="Acme" if i % 2 else "Rival",
                    body=f"Text {i}",
                )
                for i in range(10)
            ],
        )


def test_db_info_json(db_path: Path) -> None:
    _seed(db_path)
    result = runner.invoke(app, ["db", "info", "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reviews"] == 10 and data["schema_version"] >= 1
    assert {row["brand"] for row in data["by_brand_source"]} == {"Acme", "Rival"}


def test_reviews_filters_and_exports(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path)
    result = runner.invoke(app, ["reviews", "--db", str(db_path), "--brand", "Acme", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5 and {r["brand"] for r in rows} == {"Acme"}
    for suffix in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"acme.{suffix}"
        result = runner.invoke(app, ["reviews", "--db", str(db_path), "-b", "Acme", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.exists() and out.stat().st_size > 0


def test_db_env_var(db_path: Path) -> None:
    _seed(db_path)
    result = runner.invoke(app, ["db", "info", "--json"], env={"REVIEWMINE_DB": str(db_path)})
    assert result.exit_code == 0 and json.loads(result.stdout)["reviews"] == 10


def test_bad_option_value_is_exit_2_with_a_message(db_path: Path) -> None:
    result = runner.invoke(app, ["reviews", "--db", str(db_path), "--since", "last tuesdayish"])
    assert result.exit_code == 2
    assert "error: --since/--until" in result.stderr and "Traceback" not in result.output


def test_usage_error_is_exit_2() -> None:
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
    assert runner.invoke(app, ["reviews", "--limit", "many"]).exit_code == 2


def test_bad_database_is_exit_1(tmp_path: Path) -> None:
    bogus = tmp_path / "x.db"
    bogus.write_bytes(b"garbage" * 1000)
    result = runner.invoke(app, ["db", "info", "--db", str(bogus)])
    assert result.exit_code == 1 and "not a usable SQLite database" in result.stderr


def _cli(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("reviewmine")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "reviewmine"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120, **kw)


def test_real_subprocess_round_trip(db_path: Path) -> None:
    _seed(db_path)
    proc = _cli("db", "info", "--db", str(db_path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reviews"] == 10
    assert _cli("reviews", "--db", str(db_path), "--since", "nonsense").returncode == 2  # a usage error


def test_help_is_fast_and_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, time; t=time.perf_counter();\n"
        "from reviewmine.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('torch', 'transformers', 'pandas', 'sklearn', 'scipy') if m in sys.modules]\n"
        "print(heavy, round(time.perf_counter() - t, 3))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    heavy, _seconds = proc.stdout.rsplit("]", 1)
    assert heavy.strip() == "[", f"--help imported {heavy}]"
    start = time.perf_counter()
    proc = _cli("--help", env={**os.environ, "COLUMNS": "100"})
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0 and "reviewmine" in proc.stdout
    assert elapsed < 1.0, f"reviewmine --help took {elapsed:.2f}s"


def test_every_command_has_help_with_an_example() -> None:
    import typer.main

    group = typer.main.get_command(app)

    def walk(cmd, path):
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                yield from walk(child, [*path, name])
        else:
            yield path, cmd

    for path, cmd in walk(group, []):
        assert cmd.help and len(cmd.help) > 30, f"{' '.join(path)} has no real help"
        assert "reviewmine " in cmd.help, f"`reviewmine {' '.join(path)} --help` shows no example"
