"""`reviewmine db ...`: look at the database itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, StoreError
from ._common import DbOption, JsonOption, emit_json, new_app, open_store
from ._terminal import echo

app = new_app(help="Inspect, check and copy the review database.")


@app.command("info")
def info(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the database (a PostgreSQL URL with its password masked), its schema version, reviews per brand and
    source, analyses per model, and the latest runs.

    On SQLite runs quick_check first: a damaged file is reported (exit 1) instead of summarised; `--json` then
    prints only the path and the check. `reviewmine db check` runs the full check. PostgreSQL checks its own pages.

    Example: `reviewmine db info --db reviews.db --json`, `reviewmine db info --db postgresql://me@dbhost/reviews`
    """
    from ..store.errors import DamagedDatabaseError
    from ..store.health import describe_problems
    from ..store.queries import db_info

    with open_store(db) as store:
        problems = store.integrity_problems()
        check = "none (PostgreSQL)" if store.is_postgresql else "quick_check"
        integrity = {"check": check, "ok": not problems, "problems": problems}
        if problems:
            if as_json:
                emit_json({"path": store.display_name, "integrity": integrity})
            raise DamagedDatabaseError(store.path, describe_problems(problems))
        data = db_info(store) | {"integrity": integrity, "read_only": store.read_only_reason}
    if as_json:
        emit_json(data)
        return
    echo(f"database   {data['path']} ({data['size_bytes'] / 1e6:.1f} MB, schema v{data['schema_version']})")
    echo("integrity  not checked (PostgreSQL)" if data["backend"] == "postgresql" else "integrity  ok (quick_check)")
    if data["read_only"]:
        echo(f"read-only  {data['read_only']}: reads work, write runs are refused")
    echo(f"reviews    {data['reviews']:,}")
    for row in data["by_brand_source"]:
        span = f"{(row['first_published'] or '?')[:10]} .. {(row['last_published'] or '?')[:10]}"
        echo(f"  {row['brand']:<24} {row['source']:<12} {row['reviews']:>8,}  {span}")
    for version, count in data["analyses"].items():
        echo(f"analyses   {version}: {count:,}")
    if data["last_runs"]:
        echo("last runs")
    for run in data["last_runs"]:
        echo(
            f"  #{run['id']:<5} {run['kind']:<8} {run['status']:<11} {run['started_at']}  "
            f"{run['source'] or ''} {run['locator'] or ''}  fetched {run['fetched']} new {run['new']} "
            f"updated {run['updated']}"
        )


@app.command("check")
def check(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check the whole database file for damage with SQLite's integrity_check; prints ok or the problems.

    Every page, record and index entry is read and compared (about half a second per 100k reviews once the file
    is cached). Exit 0 when the file is sound, 1 when it is damaged: then restore it from a backup, or recover
    what is readable into a new file with `sqlite3 DB .recover | sqlite3 recovered.db` and check that one. The
    cheaper quick_check runs in `db info` and before every write run (collect, import, analyze, run), which
    refuse a damaged file. The check only reads, so it also works on a read-only database.

    On PostgreSQL there is no file to check: it says so and exits 0 (the server checksums its own pages; use
    amcheck or pg_dump to check a database there).

    Example: `reviewmine db check --db reviews.db`
    """
    from ..store.errors import DamagedDatabaseError
    from ..store.health import describe_problems
    from ..store.location import resolve_db

    path = resolve_db(db)
    if not isinstance(path, Path):
        with open_store(db) as store:
            note = "integrity_check is SQLite's; PostgreSQL checks its own pages (use amcheck or pg_dump)"
            if as_json:
                emit_json({"path": store.display_name, "check": "none", "ok": True, "problems": [], "note": note})
            else:
                echo(f"{store.display_name}: {note}")
        return
    if not path.exists():
        raise InputError("no such database file", where=str(path))
    with open_store(db) as store:
        problems = store.integrity_problems(full=True)
    if as_json:
        emit_json({"path": str(path), "check": "integrity_check", "ok": not problems, "problems": problems})
    else:
        for problem in problems or ["ok"]:
            echo(problem)
    if problems:
        raise DamagedDatabaseError(path, describe_problems(problems), suggest_check=False)


@app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help="The database to copy: an SQLite file or a PostgreSQL URL.")],
    destination: Annotated[str, typer.Argument(help="Where to copy it: an SQLite file or a PostgreSQL URL.")],
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Copy a whole store between databases, SQLite -> PostgreSQL or back, then check the row count of every table.

    DEST is created (an SQLite file) or migrated (an empty PostgreSQL database) as needed; it must be empty or an
    earlier copy of SRC. Resumable: a copy stopped halfway is finished by running the same command again, and a
    repeat changes nothing. Each table goes in chunks of 5,000 rows, one transaction each. Exit 0 when every
    table has as many rows in DEST as in SRC, 1 otherwise (the counts are printed either way).

    Example: `reviewmine db copy reviewmine.db postgresql://me@dbhost/reviews`
    """
    from ..store.copy import copy_store
    from ..store.db import Store
    from ..store.location import resolve_db

    where = resolve_db(source)
    if isinstance(where, Path) and not where.exists():
        raise InputError("no such database file", where=str(where))

    def show(table: str, rows: int) -> None:
        if not quiet and not as_json:
            echo(f"  {table:<12} {rows:>10,} rows copied", err=True)

    with Store(source, read_only=True) as src, Store(destination) as dest:
        report = copy_store(src, dest, progress=show)
    if as_json:
        emit_json({"source": report.source, "destination": report.destination, "ok": report.ok,
                   "tables": {name: {"source": s, "destination": d, "written": report.written[name]}
                              for name, (s, d) in report.counts.items()}})  # fmt: skip
    else:
        echo(f"copied {report.source} -> {report.destination}")
        for name, (src_rows, dest_rows) in report.counts.items():
            mark = "ok" if src_rows == dest_rows else "MISMATCH"
            echo(f"  {name:<12} {src_rows:>10,} -> {dest_rows:>10,}  {mark}")
    if not report.ok:
        raise StoreError(f"row counts differ after the copy: {'; '.join(report.mismatches())}")
