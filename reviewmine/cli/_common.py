"""What every command shares: the --db and --json options, output helpers, and error-to-exit-code mapping."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..errors import EXIT_FAILED, InputError, ReviewmineError, UsageError
from ._terminal import echo, json_safe

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="REVIEWMINE_DB",
        help="SQLite database file (created if missing), or a PostgreSQL URL "
        "postgresql://user:password@host:port/dbname (needs the postgres extra). "
        "Default: $REVIEWMINE_DB, else ./reviewmine.db.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]
# The value inputs of "What it is worth" (analysis/value.py), on report, export and run.
ClvOption = Annotated[
    str | None,
    typer.Option("--clv", help="Average customer lifetime value: money in 'What it is worth' (with --currency)."),
]
CurrencyOption = Annotated[str | None, typer.Option("--currency", help="ISO 4217 code of --clv, e.g. EUR.")]
PerReviewOption = Annotated[
    str | None,
    typer.Option("--customers-per-review", help="Customers one review stands for (default 1: per reviewer)."),
]


class ErrorHandlingGroup(TyperGroup):
    """Turns a ReviewmineError anywhere below into one 'error: ...' line on stderr and its exit code.

    The message can quote file rows or page text, so it is printed through `safe_text`.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReviewmineError as exc:
            echo(f"error: {exc}", err=True)
            raise typer.Exit(getattr(exc, "exit_code", EXIT_FAILED)) from None
        except Exception as exc:
            store_error = _database_failure(exc)
            if store_error is None:
                raise
            echo(f"error: {store_error}", err=True)
            raise typer.Exit(store_error.exit_code) from None


def _database_failure(exc: Exception) -> ReviewmineError | None:
    """A damaged file, read-only database, full disk or lost PostgreSQL server that escaped a Store's own
    translation, in plain words."""
    error: ReviewmineError | None = None
    if "sqlite3" in sys.modules:  # else nothing touched a database: do not import the store for a usage error
        from ..store.health import translate_error

        error = translate_error(exc, None)
    if error is None and "psycopg" in sys.modules:
        from ..store.postgres import translate_error as translate_postgresql_error

        error = translate_postgresql_error(exc, None)
    return error


@contextmanager
def usage_errors(*options: str) -> Iterator[None]:
    """Library checks of the values of ``options`` fail as a UsageError (exit 2), same message.

    The library names the option in an InputError's ``where``; any other InputError in the block (bad data, a
    missing file) keeps exit 1. Wrap the checks, not work whose data errors could name one of ``options`` too.
    """
    try:
        yield
    except InputError as exc:
        if isinstance(exc, UsageError) or exc.where not in options:
            raise
        raise UsageError(exc.reason, where=exc.where) from None


def new_app(**kwargs: Any) -> typer.Typer:
    """A Typer app (or sub-group) with reviewmine's defaults."""
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(
        cls=ErrorHandlingGroup,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        context_settings={"help_option_names": ["-h", "--help"]},
        **kwargs,
    )


def emit_json(data: Any) -> None:
    """One JSON document on stdout (datetimes and other objects as strings; C1 and bidi characters escaped)."""
    sys.stdout.write(json_safe(json.dumps(data, ensure_ascii=False, default=str, indent=2)) + "\n")


def open_store(db: str | None, *, read_only: bool = False) -> Any:
    """The Store at ``--db`` (an SQLite file or a PostgreSQL URL); a malformed URL is a usage error (exit 2)."""
    from ..store.db import Store

    return Store(db, read_only=read_only)
