"""The `reviewmine` command line: a thin layer over the library; each command's help is its docstring.

Exit codes (stable, for cron): 0 ok, 1 failed, 2 usage error, 3 an alert rule fired, 4 partial collection.
"""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from .. import __version__
from ._common import new_app
from .collect_commands import collect as collect_command
from .collect_commands import sources as sources_command
from .db_commands import app as db_app
from .demo_commands import demo
from .import_commands import import_reviews
from .nlp_commands import analyze, classify
from .nlp_train_commands import evaluate as eval_command
from .nlp_train_commands import train as train_command
from .report_commands import export, report
from .reviews_commands import reviews
from .run_commands import run

app = new_app(
    help=(
        "reviewmine: collect public reviews of a brand, tag what customers talk about and how they feel, "
        "and report reputation risk and experience drivers.\n\n"
        "Exit codes: 0 ok, 1 failed, 2 usage error, 3 an alert rule fired, 4 partial: a collection ended with "
        "reviews the source announces missing (the next run goes back for them)."
    ),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reviewmine {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """reviewmine command line."""


app.command("reviews")(reviews)
app.command("collect")(collect_command)
app.command("sources")(sources_command)
app.command("import")(import_reviews)
app.command("analyze")(analyze)
app.command("classify")(classify)
app.add_typer(db_app, name="db")
app.command("train")(train_command)
app.command("eval")(eval_command)
app.command("demo")(demo)
app.command("run")(run)
app.command("report")(report)
app.command("export")(export)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def main() -> None:
    """Console-script entry point. SIGTERM (systemd, kill, a CI timeout) stops a run as Ctrl-C does: the run's row
    says "interrupted" and what was committed is kept."""
    signal.signal(signal.SIGTERM, _terminated)
    app()
