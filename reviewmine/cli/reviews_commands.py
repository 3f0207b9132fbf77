"""`reviewmine reviews`: list or export stored reviews."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ._common import DbOption, JsonOption, open_store
from ._terminal import echo, json_safe, safe_text


class ExportFormat(StrEnum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


_SUFFIX_FORMAT = {".csv": ExportFormat.csv, ".jsonl": ExportFormat.jsonl, ".parquet": ExportFormat.parquet}


def reviews(
    brand: Annotated[list[str] | None, typer.Option("--brand", "-b", help="Only this brand (repeatable).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on/after: a date (2025-01-31) or a span (90d).")] = None,
    until: Annotated[str | None, typer.Option(help="Published before: a date or a span back from now.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (newest first).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file; format from the suffix.")
    ] = None,
    fmt: Annotated[ExportFormat | None, typer.Option("--format", "-f", help="Output format.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List stored reviews, or export them as CSV, JSON Lines or Parquet.

    Columns are documented in docs/data-model.md (the same as `reviewmine.open(db).reviews()`).

    Examples:

        reviewmine reviews --brand Acme --since 90d --limit 10

        reviewmine reviews --brand Acme -o acme.parquet
    """
    from ..export import write_frame
    from ..store.queries import reviews_frame
    from ..timeparse import parse_when

    try:
        since_at, until_at = parse_when(since), parse_when(until)
    except ValueError as exc:
        raise UsageError(str(exc), where="--since/--until") from None
    if as_json:
        fmt = ExportFormat.jsonl
    if fmt is None:
        fmt = _SUFFIX_FORMAT.get(output.suffix.lower(), ExportFormat.csv) if output else ExportFormat.table
    if fmt is ExportFormat.parquet and output is None:  # before the query: write_frame would say so after it
        raise UsageError("Parquet needs a file: pass -o FILE.parquet")
    if fmt is ExportFormat.table and limit is None:
        limit = 20
    with open_store(db) as store:
        frame = reviews_frame(store, brand=brand, source=source, since=since_at, until=until_at, limit=limit)
    if fmt is ExportFormat.table:
        _print_table(frame)
        return
    if output is None and fmt is ExportFormat.jsonl:  # on stdout, maybe a terminal: escape C1/bidi the JSON way
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            write_frame(frame, None, fmt.value)
        sys.stdout.write(json_safe(buffer.getvalue()))
        return
    write_frame(frame, output, fmt.value)
    if output:
        echo(f"wrote {len(frame):,} reviews to {output}", err=True)


def _print_table(frame: object) -> None:
    """Review text as plain `Text` cells (no rich markup or emoji codes), through `safe_text`; '-' when undated."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("published", "brand", "source", "rating", "text", show_lines=False)
    for row in frame.itertuples():  # type: ignore[attr-defined]
        published = row.published_at.strftime("%Y-%m-%d") if pd.notna(row.published_at) else "-"
        rating = "" if pd.isna(row.rating) else f"{row.rating:g}/{row.rating_max:g}"
        text = " ".join(" ".join(part.split()) for part in (row.title, row.body) if isinstance(part, str) and part)
        text = text[:120] + ("…" if len(text) > 120 else "")
        cells = (published, row.brand, row.source, rating, text)
        table.add_row(*(Text(safe_text(cell)) for cell in cells))
    Console().print(table)
