"""`reviewmine demo`: the README's first command; the whole pipeline on the built-in sample site."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ..extras import require
from ._common import JsonOption, emit_json
from ._progress import AnalyzeProgress
from ._terminal import echo

if TYPE_CHECKING:
    from ..demo import DemoData, DemoSite


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for report.html, summary.json, demo.db.")
    ] = Path("reviewmine-demo"),
    seed: Annotated[int, typer.Option(help="Generator seed; the same seed gives the same reviews.")] = 7,
    model: Annotated[str | None, typer.Option("--model", "-m", help="NLP model name or folder.")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 for --serve (0: any free port).")] = 0,
    serve: Annotated[
        bool, typer.Option("--serve", help="Only serve the sample site until Ctrl-C (to try `collect` by hand).")
    ] = False,
    describe: Annotated[
        bool, typer.Option("--describe", help="Only print what the sample site serves (brands, stories) and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No step-by-step log; just the summary.")] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Write into this database (a file or a postgresql:// URL) instead of a fresh OUTPUT/demo.db.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the whole pipeline on the built-in sample review site, offline: collect -> analyse -> report.

    A local site on 127.0.0.1 serves about 1,900 generated reviews of three fictional pizza chains (May to
    October 2026) as Trustpilot pages, App Store feeds and schema.org product pages, with planted stories: a
    delivery crisis at Crustline, rude staff at Napoli Nest, a price rise at Forno Fresco. The demo imports
    Crustline's NPS survey export (0-10 scores and comments), writes its job file `demo-job.toml` (with a
    customer lifetime value, so reports put money on what is at risk), collects the reviews with the real
    collectors, tags every sentence with the trained model, computes risk and drivers, writes `report.html`
    (and one report per brand) plus `summary.json`, and says which stories it found.

    Examples:

        reviewmine demo                      # writes reviewmine-demo/report.html

        reviewmine demo --serve --port 8765  # just the site, for `reviewmine collect ... --base-url`

        reviewmine demo --db postgresql://me@localhost/reviews   # the same run into PostgreSQL
    """
    if serve or describe:
        _site(seed, port, as_json, serve=serve)
        return
    require("nlp", "reviewmine demo")  # it tags every review; --serve and --describe need no model
    from ..demo.pipeline import run_demo
    from ..jobs.logs import setup_logging, teardown_logging

    handlers = setup_logging(output / "reviewmine.log", quiet=quiet or as_json)
    try:
        with AnalyzeProgress(not quiet and not as_json) as progress:
            result = run_demo(output, seed=seed, model=model, db=db, progress=progress)
    finally:
        teardown_logging(handlers)
    if as_json:
        emit_json(result.summary)
    else:
        _print_result(result)
    failures = result.summary.get("failures") or []
    if failures:
        raise typer.Exit(1)


def _print_result(result: Any) -> None:
    summary = result.summary
    fetched = sum(row.get("fetched", 0) for row in summary.get("collect", []))
    typer.echo("")
    typer.echo(f"collected {fetched:,} reviews from {len(summary.get('collect', []))} pages/feeds of the sample site")
    if summary.get("survey"):
        survey = summary["survey"]
        typer.echo(f"imported  {survey['rows']:,} NPS survey responses of {survey['brand']} ({survey['command']})")
    if "analyze" in summary:
        typer.echo(f"analysed  {summary['analyze'].get('message') or summary['analyze'].get('error')}")
    for score in summary.get("scores", []):
        if score["category"] == "all" and score.get("score") is not None:
            typer.echo(f"risk now  {score['brand']}: {score['score']:.0f}/100")
    typer.echo("planted stories:")
    for finding in result.findings:
        found = [w for w, ok in (("risk event", finding["found_event"]), ("driver", finding["found_driver"])) if ok]
        typer.echo(f"  {finding['brand']}: {finding['title']}: {' + '.join(found) if found else 'NOT found'}")
    for failure in summary.get("failures", []):
        echo(f"error: {failure}", err=True)
    typer.echo(f"report:   {result.report.resolve()}")
    typer.echo(f"summary:  {(result.output / 'summary.json').resolve()}  ({summary.get('seconds')} s)")


def _site(seed: int, port: int, as_json: bool, *, serve: bool) -> None:
    from ..demo import DemoSite, generate_demo

    data = generate_demo(seed)
    site = DemoSite(data, port=port)
    try:
        site.start()
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})", where="--port") from None
    try:
        summary = _summary(data, site)
        if as_json:
            emit_json(summary)
        else:
            _print(summary)
        if not serve:
            return
        typer.echo("Serving; Ctrl-C stops.", err=as_json)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("stopped", err=as_json)
    finally:
        site.stop()


def _summary(data: DemoData, site: DemoSite) -> dict[str, Any]:
    counts = data.counts()
    return {
        "base_url": site.base_url,
        "seed": data.seed,
        "period": {"start": data.start.date().isoformat(), "end": data.end.date().isoformat()},
        "reviews": len(data.reviews),
        "brands": [
            {"brand": brand.name, "competitors": list(data.competitors[brand.name]), "reviews": counts[brand.name]}
            for brand in data.brands
        ],
        "targets": [{"brand": t.brand, "source": t.source, "locator": t.locator, "url": t.url} for t in site.targets],
        "stories": [
            {
                "id": s.id,
                "brand": s.brand,
                "title": s.title,
                "categories": list(s.categories),
                "polarity": s.polarity,
                "start": s.start.date().isoformat(),
                "end": s.end.date().isoformat(),
                "description": s.description,
            }
            for s in data.stories
        ],
    }


def _print(summary: dict[str, Any]) -> None:
    base = summary["base_url"]
    period = summary["period"]
    typer.echo(f"reviewmine demo site: {base}")
    typer.echo(
        f"{summary['reviews']:,} generated reviews, {period['start']} to {period['end']} (seed {summary['seed']})"
    )
    for brand in summary["brands"]:
        per_source = ", ".join(f"{source} {n}" for source, n in brand["reviews"].items() if n)
        typer.echo(f"  {brand['brand']}: {per_source}")
    typer.echo("Planted stories:")
    for story in summary["stories"]:
        typer.echo(f"  {story['brand']}: {story['title']} ({story['start']} to {story['end']})")
    typer.echo("Collect them with:")
    for target in summary["targets"]:
        typer.echo(
            f"  reviewmine collect {target['source']} {target['locator']} --brand '{target['brand']}' "
            f"--base-url {base} --delay 0"
        )
