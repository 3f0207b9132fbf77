"""The CLI's one way to print a line for people: through `reviewmine.safe_text` (see there for why)."""

from __future__ import annotations

import typer

from ..safe_text import json_safe, safe_text

__all__ = ["echo", "json_safe", "safe_text"]


def echo(message: object = "", *, err: bool = False) -> None:
    """`typer.echo` through `safe_text`: the one way the CLI prints a line for people."""
    typer.echo(safe_text(message), err=err)
