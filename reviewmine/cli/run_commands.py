"""`reviewmine run JOBFILE`: the scheduled job, from collection to report and alerts."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import ClvOption, CurrencyOption, DbOption, JsonOption, PerReviewOption, emit_json
from ._progress import AnalyzeProgress
from ._terminal import echo

if TYPE_CHECKING:
    from ..jobs.config import JobConfig


def run(
    jobfile: Annotated[Path, typer.Argument(help="The TOML job file (see docs/scheduling.md).")],
    check: Annotated[bool, typer.Option("--check", help="Only validate the job file and list every problem.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log to the file only (for cron).")] = False,
    db: DbOption = None,
    clv: ClvOption = None,
    currency: CurrencyOption = None,
    customers_per_review: PerReviewOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a scheduled job: collect every source incrementally, analyse new reviews, write the reports and
    summary.json, and send alerts.

    One failing source does not stop the others; a second run on the same database while one is going exits at
    once. Exit codes: 0 ok, 1 something failed (see the summary), 4 nothing failed but a collection was partial,
    3 none of those but an alert rule fired (and was sent). --clv, --currency and --customers-per-review
    replace the job file's [value] keys for this run.

    Examples:

        reviewmine run --check nightly.toml

        reviewmine run nightly.toml --quiet      # in cron; the log is in the job's output folder

        reviewmine run nightly.toml --clv 420 --currency EUR   # money in "What it is worth" for this run
    """
    from ..jobs.config import load_job, require_job_extras

    job = load_job(jobfile)
    job = _with_value_options(job, clv, currency, customers_per_review)
    require_job_extras(job)  # before anything is collected (or --check says ok): a slim install cannot tag
    if check:
        sources = sum(len(b.sources) for b in job.brands)
        value = job.value
        money = value is not None and value.money
        if as_json:
            inputs = asdict(value) if value is not None else None
            emit_json({"ok": True, "brands": len(job.brands), "sources": sources, "alerts": len(job.alerts)} | {
                "value": inputs})  # fmt: skip
        else:
            worth = f"; CLV {value.currency} {value.clv:,.2f}" if money else ""
            echo(f"{jobfile}: ok ({len(job.brands)} brands, {sources} sources, {len(job.alerts)} alert rules{worth})")
        return
    from ..jobs.lock import run_lock
    from ..jobs.logs import setup_logging, teardown_logging
    from ..jobs.runner import run_job
    from ..store.db import Store

    handlers = setup_logging(job.log_file or job.output / "reviewmine.log", quiet=quiet or as_json)
    try:
        with Store(db or job.db) as store:
            store.check_writable()  # a read-only or damaged database: one error now, not one per step
            with run_lock(store, job.name), AnalyzeProgress(not quiet and not as_json) as progress:
                outcome = run_job(store, job, analyze_progress=progress)
    finally:
        teardown_logging(handlers)
    if as_json:
        emit_json(outcome.summary)
    elif not quiet:
        _print_summary(outcome.summary)
    raise typer.Exit(outcome.exit_code)


def _with_value_options(job: JobConfig, clv: str | None, currency: str | None, per_review: str | None) -> JobConfig:
    """The job with the given --clv/--currency/--customers-per-review in place of its [value] keys (exit 2 on a
    bad one, naming the option or the key it came from)."""
    if clv is None and currency is None and per_review is None:
        return job
    from dataclasses import replace

    from ..analysis.value import value_inputs

    options = {"clv": clv, "currency": currency, "customers_per_review": per_review}
    kept = asdict(job.value) if job.value is not None else dict.fromkeys(options)
    values = [kept[key] if given is None else given for key, given in options.items()]
    names = [f"value.{key}" if given is None else "--" + key.replace("_", "-") for key, given in options.items()]
    return replace(job, value=value_inputs(*values, names=names))


def _print_summary(summary: dict) -> None:
    for row in summary.get("collect", []):
        status = row.get("status")
        detail = row.get("summary") or "; ".join(row.get("errors") or [])
        echo(f"collect  {row['brand']} / {row['source']} {row['locator']}: {status}: {detail}")
    if "analyze" in summary:
        echo(f"analyze  {summary['analyze'].get('message') or summary['analyze'].get('error')}")
    for report in summary.get("reports", []):
        echo(f"report   {report['brand']}: {report['html']}")
    alerts = summary.get("alerts") or {}
    for alert in alerts.get("new", []):
        echo(f"ALERT    {alert['message']}")
    for failure in summary.get("failures", []):
        echo(f"error: {failure}", err=True)
    echo(f"status   {summary.get('status')} in {summary.get('seconds')} s; summary.json in the output folder")
