"""`reviewmine classify` prints texts it is given: control sequences in them must not reach the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from runtime_fixtures import random_model_dir
from typer.testing import CliRunner

from reviewmine.cli import app

runner = CliRunner()
HOSTILE = "The soup was cold \x1b]0;pwned\x07 and the room \x1b[2J dirty \x9b2J. Never again \u202eevil."


def test_classify_escapes_control_sequences_and_json_parses_back(tmp_path: Path) -> None:
    model = str(random_model_dir())
    readable = runner.invoke(app, ["classify", HOSTILE, "--model", model])
    assert readable.exit_code == 0, readable.output
    for unsafe in (b"\x1b", b"\x9b", b"\x07", "\u202e".encode()):
        assert unsafe not in readable.stdout_bytes
    assert "cold \\x1b]0;pwned\\x07 and the room \\x1b[2J" in readable.stdout

    source = tmp_path / "texts.jsonl"
    source.write_text(json.dumps({"id": 1, "text": HOSTILE}) + "\n", encoding="utf-8")
    as_json = runner.invoke(app, ["classify", "-i", str(source), "--json", "--model", model])
    assert as_json.exit_code == 0, as_json.output
    for unsafe in (b"\x1b", b"\x9b", b"\x07", "\u202e".encode()):
        assert unsafe not in as_json.stdout_bytes
    assert json.loads(as_json.stdout)["text"] == HOSTILE
