"""The store on a real PostgreSQL server (tests/pgserver.py): the schema and its version, URLs and $REVIEWMINE_DB,
the CLI end to end, passwords never shown, and bad input (server unreachable, wrong password, newer schema,
read-only role), each one `error:` line with exit 1 and nothing written. The store tests shared with SQLite are in
test_store.py and test_concurrency.py; the run lock on PostgreSQL is in test_postgres_lock.py."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reviewmine
from reviewmine.cli import app
from reviewmine.errors import StoreError, UsageError
from reviewmine.records import Review
from reviewmine.store.db import Store
from reviewmine.store.errors import ReadOnlyDatabaseError
from reviewmine.store.migrations import SCHEMA_VERSION

IMPORT = Path(__file__).parent / "fixtures" / "import"
runner = CliRunner()


def _fill(target: str, n: int = 3) -> None:
    with Store(target) as store, store.write() as conn:
        store.upsert_reviews(conn, [Review(source="file", source_review_id=str(i), brand="Acme", body=f"Review {i}.")
                                    for i in range(n)])  # fmt: skip


def _one_error_line(result) -> str:
    """The single `error: ...` line a failed command prints (a traceback would not be one line)."""
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_schema_uses_postgresql_types_and_a_version_row(pg_server, pg_database, pg_url) -> None:
    with Store(pg_url) as store:
        assert store.backend == "postgresql" and store.path is None
        assert store.schema_version() == SCHEMA_VERSION
        assert {"brands", "targets", "reviews", "runs", "analyses", "sentences", "alerts_sent"} == set(store.tables)
    types = dict(pg_server.admin(
        "SELECT table_name || '.' || column_name, data_type || ':' || is_identity FROM information_schema.columns "
        "WHERE table_schema = 'public'", database=pg_database,
    ))  # fmt: skip
    assert types["reviews.rating"] == "double precision:NO"
    assert types["brands.id"] == "bigint:YES" and types["runs.id"] == "bigint:YES"
    assert types["sentences.emotions"] == "bigint:NO" and types["runs.pid"] == "bigint:NO"
    assert pg_server.admin("SELECT version FROM reviewmine_schema", database=pg_database) == [(SCHEMA_VERSION,)]


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_url_forms_env_and_notebook_api(pg_url, scheme, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_url.replace("postgresql://", f"{scheme}://")
    _fill(url)
    monkeypatch.setenv("REVIEWMINE_DB", url)
    with reviewmine.open() as db:  # no argument: $REVIEWMINE_DB
        assert len(db.reviews(brand="Acme")) == 3
        assert "***" in repr(db) and url.split(":")[2].split("@")[0] not in repr(db)
    result = runner.invoke(app, ["db", "info", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["reviews"] == 3


def test_cli_import_info_reviews_export_on_postgresql(pg_server, pg_url, tmp_path: Path) -> None:
    args = ["import", str(IMPORT / "reviews.csv"), "--brand", "Acme", "--db", pg_url]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and "5 new, 0 updated, 0 unchanged" in first.stdout, first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "0 new, 0 updated, 5 unchanged" in again.stdout
    listed = runner.invoke(app, ["reviews", "--db", pg_url, "--brand", "Acme", "--format", "jsonl"])
    assert listed.exit_code == 0 and len(listed.stdout.strip().splitlines()) == 5, listed.output

    info = runner.invoke(app, ["db", "info", "--db", pg_url])
    text = runner.invoke(app, ["db", "info", "--db", pg_url, "--json"])
    check = runner.invoke(app, ["db", "check", "--db", pg_url, "--json"])
    assert info.exit_code == text.exit_code == check.exit_code == 0, (info.output, text.output, check.output)
    data = json.loads(text.stdout)
    assert data["backend"] == "postgresql" and data["reviews"] == 5 and data["schema_version"] == SCHEMA_VERSION
    assert data["path"] == pg_url.replace(pg_server.owner_password, "***")
    for output in (info.output, text.output, check.output):
        assert pg_server.owner_password not in output
    assert "postgresql://reviewmine:***@127.0.0.1:" in info.stdout


def test_password_never_in_runs_errors_or_reprs(pg_server, pg_database, pg_url) -> None:
    password = pg_server.owner_password
    assert runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "--brand", "Acme", "--db", pg_url]).exit_code == 0
    with Store(pg_url) as store:
        run_id = store.start_run("import", brand="Acme")
        store.finish_run(run_id, "failed", message=f"something about {store.display_name}", errors=[str(store.url)])
        assert password not in repr(store.url) and password not in str(store.url) and password not in store.display_name
    rows = pg_server.admin("SELECT * FROM runs", database=pg_database)
    assert len(rows) == 2 and not any(password in str(value) for row in rows for value in row)
    bad_port = pg_url.replace(f":{pg_server.port}/", f":{_closed_port()}/")
    for url in (bad_port, pg_url.replace(password, password + "x")):
        result = runner.invoke(app, ["db", "info", "--db", url])
        assert password not in result.output and result.exit_code == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed when the block ends: nothing listens there


def test_unreachable_server_names_host_and_port(pg_url) -> None:
    port = _closed_port()
    url = f"postgresql://reviewmine:secret@127.0.0.1:{port}/reviews"
    line = _one_error_line(runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "-b", "Acme", "--db", url]))
    assert f"cannot reach the PostgreSQL server at 127.0.0.1:{port}: connection refused" in line
    assert runner.invoke(app, ["db", "info", "--db", url]).exit_code == 1


def test_wrong_password_and_missing_database(pg_server, pg_url) -> None:
    wrong = pg_url.replace(pg_server.owner_password, "not-the-password")
    line = _one_error_line(runner.invoke(app, ["db", "info", "--db", wrong]))
    assert "refused the login of role 'reviewmine'" in line and "password authentication failed" in line
    assert "not-the-password" not in line
    missing = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    line = _one_error_line(runner.invoke(app, ["db", "info", "--db", missing]))
    assert "has no database 'no_such_db'" in line
    with pytest.raises(StoreError, match="refused the login"):
        Store(wrong)


def test_malformed_or_foreign_urls_are_usage_errors() -> None:
    for url, expected in [
        ("postgresql://me:hunter2@db:notaport/x", "not a valid database URL: postgresql://me:***@db:notaport/x"),
        ("mysql://me:hunter2@db/x", "unsupported database URL scheme mysql://"),
        ("postgresql://me:hunter2@db", "names no database"),
    ]:
        result = runner.invoke(app, ["db", "info", "--db", url])
        assert result.exit_code == 2 and expected in _one_error_line(result) and "hunter2" not in result.output
        with pytest.raises(UsageError):
            Store(url)


def test_newer_schema_is_refused(pg_server, pg_database, pg_url) -> None:
    _fill(pg_url)
    pg_server.admin(f"UPDATE reviewmine_schema SET version = {SCHEMA_VERSION + 1}", database=pg_database)
    with pytest.raises(StoreError, match="newer than this reviewmine supports"):
        Store(pg_url)
    line = _one_error_line(runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "-b", "Acme", "--db", pg_url]))
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this reviewmine supports" in line
    assert pg_server.admin("SELECT count(*) FROM reviews", database=pg_database) == [(3,)]  # nothing written


def test_read_only_role_reads_but_a_write_run_is_refused_unchanged(pg_server, pg_database, pg_url) -> None:
    _fill(pg_url)
    pg_server.grant_read_only(pg_database)
    reader = pg_server.url(pg_database, user="rm_reader")
    with reviewmine.open(reader) as db:
        assert len(db.reviews()) == 3
    runs_before = pg_server.admin("SELECT count(*) FROM runs", database=pg_database)
    line = _one_error_line(runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "-b", "Acme", "--db", reader]))
    assert "is read-only (the role rm_reader cannot write: no INSERT/UPDATE/DELETE privilege on" in line
    assert "GRANT INSERT, UPDATE, DELETE" in line and pg_server.reader_password not in line
    assert pg_server.admin("SELECT count(*) FROM reviews", database=pg_database) == [(3,)]
    assert pg_server.admin("SELECT count(*) FROM runs", database=pg_database) == runs_before
    with Store(reader) as store, pytest.raises(ReadOnlyDatabaseError, match="cannot write"), store.write():
        pass


def test_read_only_role_on_a_new_database_cannot_create_the_schema(pg_server, pg_database) -> None:
    pg_server.grant_read_only(pg_database)
    reader = pg_server.url(pg_database, user="rm_reader")
    line = _one_error_line(runner.invoke(app, ["db", "info", "--db", reader]))
    assert "rm_reader cannot write: permission denied for schema public" in line
    assert pg_server.admin("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database=pg_database) == [(0,)]


def test_store_opened_read_only_refuses_writes(pg_url) -> None:
    _fill(pg_url)
    with Store(pg_url, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        with pytest.raises(ReadOnlyDatabaseError, match="opened with read_only=True"), store.write():
            pass


BLOCKED = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("psycopg", "psycopg_binary", "psycopg_c"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
sys.argv = ["reviewmine", *sys.argv[1:]]
from reviewmine.cli import main
main()
"""


def test_postgresql_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    url = "postgresql://me:hunter2@127.0.0.1:1/reviews"
    result = subprocess.run([sys.executable, "-c", BLOCKED, "db", "info", "--db", url], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "error: the PostgreSQL database postgresql://me:***@127.0.0.1:1/reviews needs the postgres extra: "
        "pip install 'reviewmine[postgres]' (psycopg not importable)"
    )
    sqlite = subprocess.run([sys.executable, "-c", BLOCKED, "db", "info", "--db", str(tmp_path / "r.db")],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert sqlite.returncode == 0, sqlite.stderr  # SQLite never needs it


def test_sqlite_and_help_never_import_psycopg(tmp_path: Path) -> None:
    code = (
        "import sys; from reviewmine.cli import app; from reviewmine.store.db import Store; "
        f"Store({str(tmp_path / 'r.db')!r}).close(); print('psycopg' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
