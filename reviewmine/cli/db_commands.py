"""`reviewmine db ...`: look at the database itself."""

from __future__ import annotations

import typer

from ._common import DbOption, JsonOption, emit_json, new_app, open_store

app = new_app(help="Inspect the review database.")


@app.command("info")
def info(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the schema version, reviews per brand and source, analyses per model, and the latest runs.

    Example: `reviewmine db info --db reviews.db --json`
    """
    from ..store.queries import db_info

    with open_store(db) as store:
        data = db_info(store)
    if as_json:
        emit_json(data)
        return
    typer.echo(f"database   {data['path']} ({data['size_bytes'] / 1e6:.1f} MB, schema v{data['schema_version']})")
    typer.echo(f"reviews    {data['reviews']:,}")
    for row in data["by_brand_source"]:
        span = f"{(row['first_published'] or '?')[:10]} .. {(row['last_published'] or '?')[:10]}"
        typer.echo(f"  {row['brand']:<24} {row['source']:<12} {row['reviews']:>8,}  {span}")
    for version, count in data["analyses"].items():
        typer.echo(f"analyses   {version}: {count:,}")
    if data["last_runs"]:
        typer.echo("last runs")
    for run in data["last_runs"]:
        typer.echo(
            f"  #{run['id']:<5} {run['kind']:<8} {run['status']:<11} {run['started_at']}  "
            f"{run['source'] or ''} {run['locator'] or ''}  fetched {run['fetched']} new {run['new']} "
            f"updated {run['updated']}"
        )
