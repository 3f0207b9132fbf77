"""`reviewmine report` (HTML / Markdown / JSON report of a brand) and `reviewmine export` (the tidy tables)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .._files import write_atomic
from ..errors import InputError, UsageError
from ..tables import EXPORT_TABLES
from ._common import ClvOption, CurrencyOption, DbOption, PerReviewOption

ReportFormat = StrEnum("ReportFormat", {name: name for name in ("html", "md", "json")})  # type: ignore[misc]
ExportTable = StrEnum("ExportTable", {name: name for name in EXPORT_TABLES})  # type: ignore[misc]
ExportFormat = StrEnum("ExportFormat", {name: name for name in ("csv", "jsonl", "parquet")})  # type: ignore[misc]
_REPORT_SUFFIX = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}
_EXPORT_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model version, name or folder of the tags (default: the latest analysed)."),
]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")]


def _write_text(text: str, output: Path | None) -> None:
    """Write atomically (a partial file never replaces a good one), or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)


def report(
    brand: Annotated[str, typer.Option("--brand", "-b", help="The brand the report is about.")],
    vs: Annotated[list[str] | None, typer.Option("--vs", help="A competitor to compare with (repeatable).")] = None,
    period: Annotated[str, typer.Option(help="How far back the report looks: 90d, 12w, 6m, 1y.")] = "90d",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="End of the period (a date; default: midnight after the newest review)."),
    ] = None,
    model: ModelOption = None,
    fmt: Annotated[
        ReportFormat | None, typer.Option("--format", "-f", help="html, md or json (default: from -o, else html).")
    ] = None,
    output: OutputOption = None,
    db: DbOption = None,
    clv: ClvOption = None,
    currency: CurrencyOption = None,
    customers_per_review: PerReviewOption = None,
) -> None:
    """Write a reputation report of a brand: headline risk and why, trends, drivers, emotions, loyalty and
    what it is worth, quotes linking to the reviews, competitors and coverage.

    HTML is one self-contained file (inline CSS and charts, no external URL, opens offline); Markdown has the
    same content without charts; JSON is the full report model with stable keys (docs/report.md).

    Examples:

        reviewmine report --brand Crustline --vs "Napoli Nest" --vs "Forno Fresco" -o crustline.html

        reviewmine report --brand Acme --period 12w --format json -o summary.json

        reviewmine report --brand Crustline --clv 420 --currency EUR -o crustline.html
    """
    from ..analysis.value import value_inputs
    from ..report import build_report, render
    from ..report.levels import risk_level
    from ..timeparse import parse_span, parse_when
    from ..workspace import Workspace

    # checked here, not in build_report: a malformed value is a usage error (exit 2), a period without data is not
    try:
        parse_span(period)
    except ValueError as exc:
        raise UsageError(str(exc), where="--period") from None
    try:
        parse_when(as_of)
    except ValueError as exc:
        raise UsageError(str(exc), where="--as-of") from None
    value = value_inputs(clv, currency, customers_per_review)  # a bad CLV or currency: exit 2, naming the option
    chosen = fmt.value if fmt else _REPORT_SUFFIX.get(output.suffix.lower(), "html") if output else "html"
    if output is not None and not output.parent.exists():
        raise InputError(f"folder {output.parent} does not exist", where=str(output))
    with Workspace(db) as workspace:
        model_obj = build_report(workspace, brand, vs or [], period, as_of=as_of, model=model, value=value)
    _write_text(render(model_obj, chosen), output)
    if output:
        level = risk_level(model_obj.risk.score)
        score = "not scored" if model_obj.risk.score is None else f"{model_obj.risk.score:.0f}/100"
        typer.echo(f"wrote {output} ({brand}: {level.name} risk, {score})", err=True)


def export(
    table: Annotated[ExportTable, typer.Option("--table", "-t", help="Which table (see the list above).")],
    brand: Annotated[list[str] | None, typer.Option("--brand", "-b", help="Only this brand (repeatable).")] = None,
    freq: Annotated[
        str, typer.Option("--freq", help="Period of the metric tables: D, W (ISO weeks) or M (Q too for nps).")
    ] = "W",
    since: Annotated[str | None, typer.Option(help="Published on/after: a date or a span (90d).")] = None,
    until: Annotated[str | None, typer.Option(help="Published before (for risk: the as-of date).")] = None,
    model: ModelOption = None,
    fmt: Annotated[
        ExportFormat | None, typer.Option("--format", "-f", help="csv, jsonl or parquet (default: from -o, else csv).")
    ] = None,
    partition_by: Annotated[
        list[str] | None,
        typer.Option(
            "--partition-by",
            help="Write a hive-partitioned Parquet dataset to the folder -o, one folder level per column "
            "(comma-separated or repeated), e.g. brand,month.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="With --partition-by: replace an existing dataset in -o.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="FILE.csv, .parquet or .jsonl, or a folder with --partition-by (default: CSV on stdout).",
        ),
    ] = None,
    db: DbOption = None,
    clv: ClvOption = None,
    currency: CurrencyOption = None,
    customers_per_review: PerReviewOption = None,
) -> None:
    """Export a tidy table behind the report as CSV, Parquet or JSON Lines.

    Tables: metrics, emotions, loyalty, replies, coverage, risk, events, drivers, quadrant, subthemes,
    nps, nps_drivers (survey responses on a 0-10 scale only), value, value_categories (customers at risk;
    money only with --clv and --currency), sentences, reviews. Columns are documented in docs/methods.md,
    docs/report.md and docs/data-model.md; list cells (event examples, quotes) are JSON text.

    Examples:

        reviewmine export --brand Crustline --table metrics --freq W -o crustline-weekly.csv

        reviewmine export --brand Crustline --table events -o events.parquet

        reviewmine export --table reviews --format parquet --partition-by brand,month -o lake/reviews

        reviewmine export --table value --freq M --clv 240 --currency GBP -o value-at-risk.csv
    """
    from ..analysis.value import value_inputs
    from ..export import check_dataset_target, check_partition_by, write_dataset, write_frame
    from ..tables import export_table
    from ..timeparse import parse_when
    from ..workspace import Workspace

    given = [n for n, v in (("--clv", clv), ("--currency", currency), ("--customers-per-review", customers_per_review))
             if v is not None]  # fmt: skip
    if given and not table.value.startswith("value"):
        raise UsageError(f"only the value tables use it, not {table.value}", where=given[0])
    value = value_inputs(clv, currency, customers_per_review)  # a bad CLV or currency: exit 2, naming the option
    periods = ("D", "W", "M", "Q") if table.value == "nps" else ("D", "W", "M")  # NPS also per quarter
    if freq not in periods:
        raise UsageError(f"unknown period {freq!r}; use {', '.join(periods[:-1])} or {periods[-1]}", where="--freq")
    try:
        since_at, until_at = parse_when(since), parse_when(until)
    except ValueError as exc:
        raise UsageError(str(exc), where="--since/--until") from None
    chosen = fmt.value if fmt else _EXPORT_SUFFIX.get(output.suffix.lower(), "") if output else "csv"
    if not chosen and not partition_by:
        raise UsageError("use a .csv, .parquet or .jsonl file name, or --format", where=str(output))
    if partition_by:
        columns = check_partition_by(table.value, partition_by)
        if chosen != "parquet":
            raise UsageError("partitioned exports are Parquet datasets: add --format parquet", where="--partition-by")
        if output is None:
            raise UsageError("a partitioned export needs a folder: add -o DIR", where="--partition-by")
        check_dataset_target(output, overwrite=overwrite)
    elif output is not None and not output.parent.exists():
        raise InputError(f"folder {output.parent} does not exist", where=str(output))
    with Workspace(db) as workspace:
        try:
            frame = export_table(workspace, table.value, brand, freq=freq, since=since_at, until=until_at, model=model,
                                 value=value)  # fmt: skip
        except ValueError as exc:
            raise InputError(str(exc), where="--since/--until") from None
    if table.value.startswith("nps") and frame.empty:
        typer.echo(f"no survey responses (0-10 scores) in the selection: {table.value} has no rows", err=True)
    if partition_by and output is not None:
        files = write_dataset(frame, output, table.value, columns, overwrite=overwrite)
        typer.echo(f"wrote {len(frame):,} rows of {table.value} to {output} ({files:,} Parquet files)", err=True)
        return
    write_frame(frame, output, chosen)
    if output:
        typer.echo(f"wrote {len(frame):,} rows of {table.value} to {output}", err=True)
