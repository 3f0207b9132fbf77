"""`reviewmine demo` end to end with the real model: the planted stories come out as risk events and drivers
in summary.json, and the report exists and opens in a real browser (headless Chromium) without console errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import chromium, console_messages, run_chromium
from typer.testing import CliRunner

from reviewmine.cli import app

MODEL = Path(__file__).resolve().parents[2] / "models" / "reviewmine-tagger" / "model.safetensors"


@pytest.mark.slow  # about 17 s
@pytest.mark.skipif(not MODEL.exists(), reason="the trained default model is not in models/")
def test_demo_finds_the_planted_stories(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert sum(row["fetched"] for row in summary["collect"]) >= 1500
    assert summary["analyze"]["status"] == "ok" and summary["failures"] == []
    stories = {s["story"]: s for s in summary["stories"]}
    assert set(stories) == {"crustline-delivery-crisis", "napolinest-rude-staff", "fornofresco-price-rise"}
    for story in stories.values():
        assert story["found_driver"], f"{story['title']}: no negative driver of {story['categories']}"
        assert story["found_event"], f"{story['title']}: no risk event in {story['categories']}"
    report = (out / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and report.rstrip().endswith("</html>")
    assert "Crustline" in report and "What drives the rating" in report
    assert "planted stories:" in result.stdout and "report:" in result.stdout
    done = run_chromium(chromium(), tmp_path / "profile", out / "report.html", "--dump-dom")
    assert console_messages(done.stderr) == []
    assert "What drives the rating" in done.stdout and done.stdout.count("<svg") >= 6


@pytest.mark.slow  # about 20 s
@pytest.mark.skipif(not MODEL.exists(), reason="the trained default model is not in models/")
def test_demo_runs_into_postgresql(tmp_path: Path, pg_url: str) -> None:
    """`demo --db URL`: the same pipeline on a real PostgreSQL server finds the same stories."""
    result = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "demo"), "--db", pg_url, "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert all(story["found_driver"] and story["found_event"] for story in summary["stories"])
    assert "postgresql" in summary["db"] and "@" in summary["db"] and ":***@" in summary["db"]
    info = json.loads(CliRunner().invoke(app, ["db", "info", "--db", pg_url, "--json"]).stdout)
    assert info["backend"] == "postgresql" and info["reviews"] >= 1500
    assert not (tmp_path / "demo" / "demo.db").exists()
