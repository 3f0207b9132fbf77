"""Every option the docs give to a ``reviewmine`` command is one that command accepts: a recipe copied from
README.md or docs/ (a training run in docs/model.md, a cron line) must run, not stop at "No such option"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from reviewmine.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"reviewmine ((?:\\\n|[^\n`|;#])*)")  # to the end of the line, continuations joined


def _command(words: list[str]) -> tuple[str, Any] | None:
    """The (sub)command the words name, descending through groups (``db info``); None for prose."""
    command: Any = typer.main.get_command(app)
    path = []
    while hasattr(command, "commands") and words and words[0] in command.commands:  # typer vendors click
        path.append(words.pop(0))
        command = command.commands[path[-1]]
    return (" ".join(path), command) if path else None


def test_every_documented_option_exists() -> None:
    checked, missing = 0, []
    for doc in DOCS:
        for rest in COMMAND.findall(doc.read_text(encoding="utf-8")):
            found = _command(rest.split())
            if found is None:
                continue
            name, command = found
            known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest):
                checked += 1
                if option not in known:
                    missing.append(f"{doc.name}: reviewmine {name} {option}")
    assert checked > 100  # the docs' commands were found
    assert not missing, "options the docs use that the commands lack:\n" + "\n".join(sorted(set(missing)))
