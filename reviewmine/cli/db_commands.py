"""`reviewmine db ...`: look at the database itself."""

from __future__ import annotations

from ..errors import InputError
from ._common import DbOption, JsonOption, emit_json, new_app, open_store
from ._terminal import echo

app = new_app(help="Inspect the review database.")


@app.command("info")
def info(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the schema version, reviews per brand and source, analyses per model, and the latest runs.

    Runs SQLite's quick_check first: a damaged file is reported (exit 1) instead of summarised; `--json` then
    prints only the path and the check. `reviewmine db check` runs the full check.

    Example: `reviewmine db info --db reviews.db --json`
    """
    from ..store.errors import DamagedDatabaseError
    from ..store.health import describe_problems
    from ..store.queries import db_info

    with open_store(db) as store:
        problems = store.integrity_problems()
        integrity = {"check": "quick_check", "ok": not problems, "problems": problems}
        if problems:
            if as_json:
                emit_json({"path": str(store.path), "integrity": integrity})
            raise DamagedDatabaseError(store.path, describe_problems(problems))
        data = db_info(store) | {"integrity": integrity, "read_only": store.read_only_reason}
    if as_json:
        emit_json(data)
        return
    echo(f"database   {data['path']} ({data['size_bytes'] / 1e6:.1f} MB, schema v{data['schema_version']})")
    echo("integrity  ok (quick_check)")
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

    Example: `reviewmine db check --db reviews.db`
    """
    from ..store.db import resolve_db_path
    from ..store.errors import DamagedDatabaseError
    from ..store.health import describe_problems

    path = resolve_db_path(db)
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
