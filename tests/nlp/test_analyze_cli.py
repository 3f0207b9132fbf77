"""`reviewmine analyze` and `reviewmine classify` through the CLI runner (real model files, real SQLite)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from runtime_fixtures import random_model_dir
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.records import Review
from reviewmine.store.db import Store

runner = CliRunner()


def _model() -> str:
    return str(random_model_dir())


def test_classify_one_text_readable() -> None:
    result = runner.invoke(app, ["classify", "The waiter was rude. Never again!", "--model", _model()])
    assert result.exit_code == 0, result.output
    assert "The waiter was rude." in result.output and "language en" in result.output


def test_classify_file_json_keeps_line_order(tmp_path: Path) -> None:
    lines = ["Great value!", "", "Das Essen war kalt und der Kellner war unfreundlich.", "😡", "Rude staff."]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", "--input", str(source), "--json", "--model", _model()])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == lines and [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["status"] for r in records] == [
        "ok", "skipped: no text", "skipped: language de", "skipped: no text", "ok",
    ]  # fmt: skip
    assert set(records[0]["sentences"][0]["probabilities"]["loyalty"]) == {"recommend", "warn", "return", "churn"}


def test_classify_json_lines_input(tmp_path: Path) -> None:
    source = tmp_path / "texts.jsonl"
    rows = [{"id": "a", "text": "Slow delivery."}, {"id": 7, "text": "Friendly staff.", "other": 1}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["classify", "-i", str(source), "--json", "--model", _model()])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["text"]) for r in records] == [("a", "Slow delivery."), (7, "Friendly staff.")]


def test_classify_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"body": "no text field"}\n', encoding="utf-8")
    result = runner.invoke(app, ["classify", "-i", str(bad), "--json", "--model", _model()])
    assert result.exit_code == 1 and f"error: {bad}:2:" in result.output
    assert runner.invoke(app, ["classify", "--model", _model()]).exit_code == 2
    missing = runner.invoke(app, ["classify", "text", "--model", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "model not found" in missing.output


def test_analyze_command(tmp_path: Path) -> None:
    db = tmp_path / "reviews.db"
    bodies = ["Rude staff.", "Great value!", "Slow delivery and nobody called back."]
    reviews = [
        Review(source="file", brand="Acme", body=body, source_review_id=str(i), published_at=datetime(2025, 1, 1 + i))
        for i, body in enumerate(bodies)
    ]
    with Store(db) as store, store.write() as conn:
        store.upsert_reviews(conn, reviews)
    args = ["analyze", "--db", str(db), "--model", _model(), "--precision", "fp32", "--json"]
    result = runner.invoke(app, [*args, "--brand", "Acme", "--since", "2025-01-02"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["analyzed"] == 2 and data["model_version"] == "test-random-1" and data["precision"] == "fp32"
    rest = json.loads(runner.invoke(app, args).stdout)
    assert rest["analyzed"] == 1
    text = runner.invoke(app, ["analyze", "--db", str(db), "--model", _model(), "--no-progress"])
    assert text.exit_code == 0 and "analyzed 0 of 0 reviews" in text.output
    bad = runner.invoke(app, ["analyze", "--db", str(db), "--model", _model(), "--since", "yesterday-ish"])
    assert bad.exit_code == 2 and "error: --since" in bad.output


def test_analyze_with_nothing_pending_loads_no_model(tmp_path: Path) -> None:
    """A scheduled run with nothing new must not pay for torch and the model (about 5 s here)."""
    db, model = tmp_path / "reviews.db", _model()
    Store(db).close()
    code = (
        "import sys, json\n"
        "from typer.testing import CliRunner\n"
        "from reviewmine.cli import app\n"
        f"r = CliRunner().invoke(app, ['analyze', '--db', {str(db)!r}, '--model', {model!r}, '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(json.dumps([json.loads(r.stdout), 'torch' in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report, torch_loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["pending"] == 0 and report["model_version"] == "test-random-1" and report["precision"] is None
    assert not torch_loaded
    bad = runner.invoke(app, ["analyze", "--db", str(db), "--model", model, "--precision", "fp8"])
    assert bad.exit_code == 2 and "error: --precision" in bad.output
