"""`reviewmine import`: load reviews from a CSV, JSON Lines or Parquet file into the database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import DbOption, JsonOption, emit_json, open_store, usage_errors
from ._terminal import echo, safe_text

# Below this size an import takes about a second: a progress bar would only flicker.
PROGRESS_MIN_BYTES = 5_000_000
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t"}


class ImportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


def import_reviews(
    file: Annotated[Path, typer.Argument(help="The file: .csv, .tsv, .jsonl, .ndjson or .parquet (.gz for text).")],
    brand: Annotated[str, typer.Option("--brand", "-b", help="The brand these reviews are about.")],
    source: Annotated[str, typer.Option("--source", "-s", help="Source name stored with each review.")] = "file",
    fmt: Annotated[
        ImportFormat | None, typer.Option("--format", "-f", help="File format (default: from the suffix).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            metavar="FIELD=COLUMN",
            help="Read FIELD from COLUMN (repeatable); FIELD= switches off recognition of FIELD.",
        ),
    ] = None,
    extra: Annotated[
        list[str] | None,
        typer.Option("--extra", metavar="COLUMN", help="Keep this unmapped column in `extra` (repeatable; * = all)."),
    ] = None,
    rating_scale: Annotated[str, typer.Option("--rating-scale", metavar="MIN-MAX", help="Rating scale.")] = "1-5",
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV/JSON Lines files.")] = "utf-8",
    delimiter: Annotated[
        str | None,
        typer.Option(
            help="CSV field delimiter: one character, or 'tab' (default ',', tab for .tsv).", show_default=False
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            metavar="FORMAT",
            help="strptime format for dates that are not ISO 8601, e.g. '%d/%m/%Y' (day first).",
            show_default=False,
        ),
    ] = None,
    skip_bad: Annotated[
        Path | None,
        typer.Option(
            "--skip-bad",
            metavar="REJECTS",
            help="Import the good rows and write the bad ones, with reasons, to REJECTS (.csv or .jsonl).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or column notes.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import reviews from a CSV, JSON Lines or Parquet file (docs/import.md).

    Only review text is required: a column called body, text, content, review or review_text (or
    `--map body=COLUMN`). Common names for rating, date, author, id, title, url... are recognised. The import
    is one transaction: the first bad row stops it with `error: FILE:LINE: reason` and nothing is written,
    unless `--skip-bad REJECTS` is given. Importing the same file again adds nothing.

    Examples:

        reviewmine import reviews.csv --brand Acme

        reviewmine import export.jsonl --brand Acme --source playstore --map body=content --map rating=score

        reviewmine import survey.csv --brand Acme --rating-scale 0-10 --skip-bad rejects.csv --json
    """
    from ..importing import import_file

    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    show_progress = not quiet and not as_json and sys.stderr.isatty() and _size(file) >= PROGRESS_MIN_BYTES
    # import_file checks these options' values before it reads a row; its data errors name the file instead
    checked = ("--brand", "--source", "--format", "--map", "--rating-scale", "--encoding", "--delimiter", "--skip-bad")
    with open_store(db) as store, _progress(file.name, show_progress) as progress, usage_errors(*checked):
        result = import_file(
            store, file, brand=brand, source=source, fmt=fmt.value if fmt else None, mapping=mapping or [],
            extra_columns=extra or [], rating_scale=rating_scale, encoding=encoding, delimiter=delimiter,
            date_format=date_format, skip_bad=skip_bad, progress=progress,
        )  # fmt: skip
    if as_json:
        emit_json(result.to_dict())
        return
    if not quiet:
        mapped = ", ".join(f"{f}={c}" for f, c in result.columns.items())
        ignored = f"; ignored: {', '.join(result.ignored_columns)}" if result.ignored_columns else ""
        echo(f"columns: {mapped}{ignored}", err=True)
    echo(result.summary())
    if result.rejected:
        echo(f"{result.rejected:,} rejected rows written to {result.rejects_path}", err=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr fed by the importer's (done, total) callback; None when disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"importing {escape(safe_text(label))}", total=None)  # a file name: no markup

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
