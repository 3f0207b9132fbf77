"""`reviewmine collect` and `reviewmine sources`: fetch reviews from a public source, politely."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import EXIT_FAILED, EXIT_PARTIAL, UsageError
from ._common import DbOption, JsonOption, emit_json, open_store, usage_errors
from ._terminal import echo

if TYPE_CHECKING:
    from ..collect import CollectProgress


def collect(
    source: Annotated[str, typer.Argument(help="The source, e.g. trustpilot (see `reviewmine sources`).")],
    locator: Annotated[str, typer.Argument(help="What to collect there: a domain, app id or URL (see `sources`).")],
    brand: Annotated[str, typer.Option("--brand", "-b", help="The brand these reviews are about.")],
    max_pages: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many pages; the next run resumes after them.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only reviews published on/after: a date (2025-01-31) or a span (90d).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Refetch every page instead of stopping at the first with nothing new.")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Fetch from this base URL instead of the site's (e.g. a local copy); also env "
            "`REVIEWMINE_<SOURCE>_BASE_URL`."
        ),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds between requests to one host (default: the source's, usually 1 s). "
            "A larger robots.txt Crawl-delay still wins.",
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(
            envvar="REVIEWMINE_CONTACT",
            help="A URL or e-mail for the User-Agent, so site owners can reach you. Default: the project URL.",
        ),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Keep answers in this folder and reuse them (for developing a source).")
    ] = None,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not obey robots.txt (only for sites you run or may crawl).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary; errors only.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Collect the reviews of BRAND from SOURCE into the database, page by page.

    Polite by default: robots.txt is obeyed, one request at a time per host with a delay between them, and
    transient errors are retried with backoff. Each page is committed as it arrives: an interrupted run resumes
    where it stopped, and a later run stops at the first page with nothing new (`--full` refetches all).
    Prints the coverage: expected vs fetched, new vs updated, pages, errors. Exit 1 when the run failed, 4 when
    it is partial: a page came back empty or the chain ended far short of the total the source announces (what
    was fetched is stored, and the next run walks the whole chain again to fill the gap).

    Examples:

        reviewmine collect trustpilot www.example.com --brand Example

        reviewmine collect steam 1346200 --brand "Some Game" --since 90d --json
    """
    from ..collect import collect as run_collect
    from ..collectors.registry import make_collector
    from ..http import PROJECT_URL, HttpClient, HttpSettings
    from ..timeparse import parse_when

    # --delay goes to HttpSettings (every host of the run), not to the collector (its own source's pace)
    with usage_errors("--base-url"):
        collector = make_collector(source, locator, brand, base_url, base_url_where="--base-url")
    try:
        since_at = parse_when(since)
    except ValueError as exc:
        raise UsageError(str(exc), where="--since") from None
    with usage_errors("--contact", "--delay"):
        settings = HttpSettings(
            contact=contact or PROJECT_URL, min_delay=delay, obey_robots=not ignore_robots, cache_dir=cache
        )
    with open_store(db) as store, HttpClient(settings) as http, _progress_bar(quiet) as progress:
        result = run_collect(store, collector, http, max_pages=max_pages, since=since_at, full=full, progress=progress)
    if as_json:
        emit_json(result.to_dict())
    elif not quiet:
        echo(result.summary())
        note = f"run {result.run_id} {result.status}"
        if result.resumed:
            note += ", resumed from the saved cursor"
        if result.rewalk:
            note += ", walked the whole chain again after a partial run"
        if result.stopped:
            note += f", stopped at {result.stopped}" if result.ok else ""
        echo(f"{note}; {result.stored:,} reviews stored for {brand} / {collector.name} {collector.locator}")
    if result.status == "partial":
        echo(f"partial: {result.partial_reason()}", err=True)
        raise typer.Exit(EXIT_PARTIAL)
    if not result.ok:
        for error in result.errors:
            echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_FAILED)


@contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[CollectProgress], None] | None]:
    """A rich progress bar on stderr (reviews against the expected total), when stderr is a terminal."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [
        SpinnerColumn(),
        TextColumn("collecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("reviews, page {task.fields[pages]}, new {task.fields[new]}, delay {task.fields[delay]:.1f}s"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("collect", total=None, pages=0, new=0, delay=0.0)

        def update(step: CollectProgress) -> None:
            total = max(step.expected_total, step.fetched) if step.expected_total else None
            bar.update(task, total=total, completed=step.fetched, pages=step.pages, new=step.new, delay=step.delay)

        yield update


def sources(as_json: JsonOption = False) -> None:
    """List the review sources: name, locator format, an example and what each collects.

    Third-party packages add sources under the `reviewmine.sources` entry-point group (docs/collecting.md).

    Example: `reviewmine sources --json`
    """
    from ..collectors.registry import available_sources, base_url_env

    rows = [
        {
            "name": name,
            "locator": cls.locator_format,
            "example": cls.example,
            "description": cls.description,
            "base_url": cls.default_base_url,
            "min_delay": cls.min_delay,
            "recency_sorted": cls.recency_sorted,
            "base_url_env": base_url_env(name),
        }
        for name, cls in available_sources().items()
    ]
    if as_json:
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("source", "locator", "example", "description")
    for row in rows:
        table.add_row(row["name"], row["locator"], row["example"], row["description"])
    Console().print(table)
    echo(f"e.g. reviewmine collect {rows[0]['name']} {rows[0]['example']} --brand NAME" if rows else "")
