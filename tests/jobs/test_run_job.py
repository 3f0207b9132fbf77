"""`reviewmine run` end to end on the demo site with the real model: a failing source does not stop the others,
an alert fires once for a planted event and not again, and overlapping runs are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from loopback import Reply, serve
from test_alerts_and_lock import HOLDER
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.demo import DemoSite, generate_demo

runner = CliRunner()
MODEL = Path(__file__).resolve().parents[2] / "models" / "reviewmine-tagger" / "model.safetensors"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="the trained default model is not in models/")

JOB = """\
[job]
name = "test-nightly"
output = "out"
period = "26w"
db = "reviews.db"

[[brands]]
name = "Crustline"
competitors = ["Ghost Pizza"]

  [[brands.sources]]
  source = "trustpilot"
  locator = "crustline.example"
  base_url = "{base}"
  delay = 0

[[brands]]
name = "Ghost Pizza"

  [[brands.sources]]
  source = "trustpilot"
  locator = "ghost.example"
  base_url = "http://127.0.0.1:9"

[[alerts]]
name = "complaints"
event_kinds = ["negative_share"]
brands = ["Crustline"]
categories = ["place_process"]
webhook = "{hook}"
"""


@pytest.mark.slow  # about 9 s
def test_scheduled_run_reports_despite_a_dead_source_and_alerts_once(tmp_path: Path) -> None:
    data = generate_demo(7)
    with DemoSite(data) as site, serve() as hooks:
        hooks.route("/hook", Reply("ok", content_type="text/plain"))
        job = tmp_path / "job.toml"
        job.write_text(JOB.format(base=site.base_url, hook=hooks.url("/hook")))
        assert runner.invoke(app, ["run", "--check", str(job)]).exit_code == 0

        first = runner.invoke(app, ["run", str(job), "--quiet", "--json"])
        summary = json.loads(first.stdout)
        assert first.exit_code == 1, first.output  # the dead source is a failure...
        statuses = {row["brand"]: row["status"] for row in summary["collect"]}
        assert statuses == {"Crustline": "ok", "Ghost Pizza": "failed"}
        assert any("Ghost Pizza" in failure for failure in summary["failures"])
        assert Path(summary["reports"][0]["html"]).exists()  # ...and the rest of the run still happened
        assert (tmp_path / "out" / "summary.json").exists() and (tmp_path / "out" / "reviewmine.log").exists()
        fired = summary["alerts"]["new"]
        assert fired and all(a["brand"] == "Crustline" and a["category"] == "place_process" for a in fired)
        assert any("2026-08" <= a["details"]["period_start"] <= "2026-10" for a in fired)  # the planted crisis
        posts = len(hooks.requested("/hook"))
        assert posts == 1

        second = runner.invoke(app, ["run", str(job), "--quiet", "--json"])
        again = json.loads(second.stdout)
        assert again["alerts"]["new"] == [] and again["alerts"]["repeated"] == len(fired)
        assert len(hooks.requested("/hook")) == posts


def test_second_overlapping_run_exits_at_once(tmp_path: Path) -> None:
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(base="http://127.0.0.1:9", hook="http://127.0.0.1:9/hook"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "reviews.db")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(app, ["run", str(job), "--quiet"])
        assert result.exit_code == 1 and "another reviewmine run is using" in result.stderr
    finally:
        holder.kill()
        holder.wait()
