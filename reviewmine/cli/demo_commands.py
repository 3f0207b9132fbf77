"""`reviewmine demo` (provisional): generate the demo data, start the sample site and say what it serves.

The full demo (collect, analyse, report) is wired once those stages exist; this command already lets anyone
point `reviewmine collect ... --base-url` at the site.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from ._common import JsonOption, emit_json

if TYPE_CHECKING:
    from ..demo import DemoData, DemoSite


def demo(
    seed: Annotated[int, typer.Option(help="Generator seed; the same seed gives the same reviews.")] = 7,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 0,
    serve: Annotated[bool, typer.Option("--serve", help="Keep serving until Ctrl-C instead of exiting.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Start the built-in demo site on loopback and print what it serves: brands, sources, counts, stories.

    The site serves about 1,900 generated reviews of three fictional pizza chains (May to October 2026) as
    Trustpilot pages, App Store feeds and schema.org product pages, with three planted stories to find.

    Examples:

        reviewmine demo --serve --port 8765

        reviewmine collect trustpilot crustline.example --brand Crustline --base-url http://127.0.0.1:8765 --delay 0
    """
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
                typer.echo("(The site stops now; add --serve, e.g. --serve --port 8765, to keep it up.)")
        if serve:
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
