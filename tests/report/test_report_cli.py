"""`reviewmine report` and `reviewmine export` on a demo database (true labels), through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reviewmine.analysis import EVENT_COLUMNS, FEATURE_COLUMNS, SENTIMENT_COLUMNS
from reviewmine.cli import app
from reviewmine.columns import SENTENCE_COLUMNS

runner = CliRunner()


def test_report_writes_html_md_and_json(db: str, tmp_path: Path) -> None:
    html, md, js = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.json"
    for path in (html, md, js):
        result = runner.invoke(
            app, ["report", "--db", db, "--brand", "Crustline", "--vs", "Forno Fresco", "-o", str(path)]
        )
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output and "Crustline" in result.output
    assert html.read_text().startswith("<!DOCTYPE html>") and "<svg" in html.read_text()
    assert md.read_text().startswith("# Crustline: reputation report")
    data = json.loads(js.read_text())
    assert data["brand"] == "Crustline" and data["competitors"] == ["Forno Fresco"]
    assert not list(tmp_path.glob("*.partial"))


def test_report_to_stdout_with_an_explicit_format_and_period(db: str) -> None:
    result = runner.invoke(
        app, ["report", "--db", db, "-b", "Napoli Nest", "--period", "8w", "--as-of", "2026-09-01", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"]["end"] == "2026-09-01T00:00:00Z" and data["period"]["days"] == 56


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--brand", "Nobody"], "error: --brand: no tagged reviews of 'Nobody'", 1),
        (["--brand", "Crustline", "--period", "soon"], "error: --period:", 2),
        (["--brand", "Crustline", "--as-of", "not a date"], "error: --as-of:", 2),
        (["--brand", "Crustline", "-o", "/no/such/folder/r.html"], "error: /no/such/folder/r.html: folder", 1),
    ],
)
def test_report_errors_are_one_line(db: str, args: list[str], message: str, code: int) -> None:
    """A malformed value is a usage error (2); a brand without data or a missing folder is a failure (1)."""
    result = runner.invoke(app, ["report", "--db", db, *args])
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("table", "suffix", "columns"),
    [
        ("metrics", ".csv", SENTIMENT_COLUMNS),
        ("events", ".parquet", EVENT_COLUMNS),
        ("drivers", ".jsonl", FEATURE_COLUMNS),
        ("sentences", ".parquet", SENTENCE_COLUMNS),
    ],
)
def test_export_writes_the_tidy_tables(db: str, tmp_path: Path, table: str, suffix: str, columns: tuple) -> None:
    out = tmp_path / f"t{suffix}"
    result = runner.invoke(app, ["export", "--db", db, "--brand", "Crustline", "--table", table, "-o", str(out)])
    assert result.exit_code == 0, result.output
    frame = {".csv": pd.read_csv, ".parquet": pd.read_parquet}.get(suffix, lambda p: pd.read_json(p, lines=True))(out)
    assert list(frame.columns) == list(columns) and len(frame) > 0
    assert set(frame["brand"].astype(str)) == {"Crustline"}
    if table == "events":
        examples = json.loads(frame["examples"].iloc[0])
        assert examples and {"review_key", "url", "text", "score", "why"} <= set(examples[0])


def test_export_monthly_metrics_to_stdout(db: str) -> None:
    result = runner.invoke(app, ["export", "--db", db, "-t", "metrics", "--freq", "M"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("brand,period_start,period_end,category")
    assert len(lines) == 1 + 3 * 6 * 6  # 3 brands x 6 months x (all + 5 categories)


def test_export_refuses_unknown_suffix_and_freq(db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--db", db, "-t", "risk", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "use a .csv, .parquet or .jsonl file name" in result.output
    result = runner.invoke(app, ["export", "--db", db, "-t", "metrics", "--freq", "Q"])
    assert result.exit_code == 2 and "error: --freq: unknown period 'Q'" in result.output
    result = runner.invoke(app, ["export", "--db", db, "-t", "nope"])
    assert result.exit_code == 2  # typer's usage error lists the tables
