"""`reviewmine run` with a source that drops a page: the run ends partial (exit 4, not 0 and not 1), alerts on it
once, and the next night's run fills the gap and ends ok. Trustpilot's format on loopback, the real model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loopback import Reply, serve
from trustpilotsite import DOMAIN, TrustpilotSite
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import EXIT_OK, EXIT_PARTIAL

runner = CliRunner()
MODEL = Path(__file__).resolve().parents[2] / "models" / "reviewmine-tagger" / "model.safetensors"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="the trained default model is not in models/")

JOB = """\
[job]
name = "gaps"
output = "out"
period = "12w"
db = "reviews.db"

[[brands]]
name = "Shop"

  [[brands.sources]]
  source = "trustpilot"
  locator = "{domain}"
  base_url = "{base}"
  delay = 0

[[alerts]]
name = "missing reviews"
event_kinds = ["partial_collection"]
webhook = "{hook}"
"""


def test_a_partial_collection_is_its_own_exit_code_and_alert(tmp_path: Path) -> None:
    with serve() as server, serve() as hooks:
        site = TrustpilotSite(server, 60, start=datetime.now(UTC) - timedelta(days=20))
        site.empty.add(2)
        hooks.route("/hook", Reply("ok", content_type="text/plain"))
        job = tmp_path / "job.toml"
        job.write_text(JOB.format(domain=DOMAIN, base=server.base_url, hook=hooks.url("/hook")))

        first = runner.invoke(app, ["run", str(job), "--quiet", "--json"])
        summary = json.loads(first.stdout)
        assert first.exit_code == EXIT_PARTIAL, first.output
        assert summary["status"] == "partial" and summary["failures"] == []
        (row,) = summary["collect"]
        assert row["status"] == "partial" and row["stored"] == 40 and row["missing"] == 20
        (alert,) = summary["alerts"]["new"]
        assert alert["what"] == "partial_collection" and "collection partial" in alert["message"]
        (post,) = hooks.requested("/hook")
        assert "page(s) came back empty" in json.loads(post.body)["text"]

        site.empty.clear()
        second = runner.invoke(app, ["run", str(job), "--quiet", "--json"])
        again = json.loads(second.stdout)
        assert second.exit_code == EXIT_OK, second.output
        assert again["collect"][0]["rewalk"] and again["collect"][0]["stored"] == 60
        assert again["alerts"]["new"] == [] and len(hooks.requested("/hook")) == 1
