"""`reviewmine demo` end to end with the real model: the planted stories come out as risk events and drivers
in summary.json, the report exists and opens in a real browser (headless Chromium) without console errors, and
the survey feed and the job's CLV give an NPS block and money figures where the delivery crisis is the largest
value at risk."""

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
    assert 'id="nps"' in done.stdout and 'id="worth"' in done.stdout and "GBP" in done.stdout
    _survey_and_value(out, summary)


def _survey_and_value(out: Path, summary: dict) -> None:
    """Crustline's survey was imported and tagged (its report has the NPS block, with drivers), the job file's
    [value] put money in every report, and per brand x month the delivery crisis is the largest value at risk,
    its interval clear of every other month's (measured: GBP 29,682, 95% 22,765 to 38,074; next 10,580, at most
    13,916)."""
    import reviewmine

    survey = summary["survey"]
    assert survey["brand"] == "Crustline" and survey["rows"] == survey["new"] >= 200
    assert "[value]" in (out / "demo-job.toml").read_text() and Path(survey["file"]).exists()
    reports = {row["brand"]: row for row in summary["reports"]}
    nps = reports["Crustline"]["nps"]
    assert nps["responses"] >= 200 and nps["low"] < nps["nps"] < nps["high"] and nps["drivers"]
    assert all("nps" not in reports[b] for b in ("Napoli Nest", "Forno Fresco"))
    assert all(
        r["worth"]["currency"] == "GBP" and r["worth"]["at_risk"]["value"]["value"] > 0 for r in reports.values()
    )
    assert reports["Crustline"]["worth"]["fix_first"][0]["category"] == "place_process"
    with reviewmine.open(out / "demo.db") as db:
        months = db.value(clv=240, currency="GBP").sort_values("value", ascending=False)
    first = months.iloc[0]
    assert first["brand"] == "Crustline" and first["period_start"].strftime("%Y-%m") == "2026-09"
    assert first["value_low"] > months["value_high"].iloc[1:].max()


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
