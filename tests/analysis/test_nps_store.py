"""NPS end to end on real stores: a survey CSV imported with the CLI (``--rating-scale 0-10``), its comments tagged
in the store, then ``db.nps()``, ``reviewmine export --table nps`` and the report; and the same data as 1-5 stars
giving no NPS anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _nps_data import HOSTILE, import_survey, report_rows, responses
from typer.testing import CliRunner

import reviewmine
from reviewmine.analysis.nps import NPS_COLUMNS
from reviewmine.cli import app

runner = CliRunner()


def _expected_nps(rows: pd.DataFrame) -> float:
    return 100 * ((rows["score"] >= 9).mean() - (rows["score"] <= 6).mean())


def test_db_nps_on_both_backends(db_target: str, tmp_path: Path):
    rows = responses(400, 11, "2025-01-01", 180)
    import_survey(db_target, rows, tmp_path)
    with reviewmine.open(db_target) as db:
        scores = db.nps(period="quarter")
        overall = scores[scores["segment_by"] == "all"]
        assert overall["responses"].sum() == 400 and list(scores.columns) == list(NPS_COLUMNS)
        first = overall.iloc[0]
        in_q1 = rows[rows["published_at"] < pd.Timestamp("2025-04-01", tz="UTC")]
        assert first["nps"] == pytest.approx(_expected_nps(in_q1)) and first["responses"] == len(in_q1)
        assert set(scores.loc[scores["segment_by"] == "source", "segment"]) == {"survey"}
        plans = db.nps(period="all", by="plan")  # an imported --extra column
        assert set(plans.loc[plans["segment_by"] == "plan", "segment"]) == {"free", "pro"}
        drivers = db.nps(table="drivers").set_index("feature")
        assert drivers.loc["neg_place_process", "coef_high"] < -50
        assert db.nps(table="models")["responses"].tolist() == [400, 400]
        assert db.nps("Nobody").empty


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One SQLite store with brand Acme (0-10 survey, hostile delivery complaints) and brand Starry (the same
    responses as 1-5 stars, also from a source called "survey")."""
    tmp = tmp_path_factory.mktemp("nps")
    db = str(tmp / "survey.db")
    import_survey(db, report_rows(), tmp, hostile=True)
    starry = report_rows(seed=21)
    import_survey(db, starry.assign(id="s" + starry["id"]), tmp, brand="Starry", stars=True)
    return {"db": db, "tmp": str(tmp)}


def _report(db: str, brand: str, fmt: str) -> str:
    result = runner.invoke(app, ["report", "--brand", brand, "--as-of", "2025-07-01", "--format", fmt, "--db", db])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_report_shows_the_nps_block(stores):
    model = json.loads(_report(stores["db"], "Acme", "json"))
    nps = model["nps"]
    rows = report_rows()
    now = rows[rows["published_at"] >= pd.Timestamp("2025-04-02", tz="UTC")]
    assert nps["responses"] == len(now) == 360 and nps["previous_responses"] == 120
    assert nps["nps"] == pytest.approx(_expected_nps(now), abs=0.05) and nps["low"] < nps["nps"] < nps["high"]
    assert nps["change"] == pytest.approx(nps["nps"] - nps["previous_nps"], abs=0.11)
    assert nps["change_low"] < nps["change"] < nps["change_high"]
    top = nps["drivers"][0]
    assert top["feature"] == "neg_place_process" and top["impact_high"] < -50 and top["quotes"]
    assert all(q["stars"] is None and "scored" in q["why"] for q in top["quotes"])
    assert any(q["text"] == " ".join(HOSTILE.split()) for q in top["quotes"])
    html = _report(stores["db"], "Acme", "html")
    assert 'id="nps"' in html and "Net Promoter Score" in html and "Complaints about Place" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    markdown = _report(stores["db"], "Acme", "md")
    assert "## Net Promoter Score" in markdown and "<script>" not in markdown and "&lt;script&gt;" in markdown


def test_stars_give_no_nps_anywhere(stores):
    assert json.loads(_report(stores["db"], "Starry", "json"))["nps"] is None
    assert 'id="nps"' not in _report(stores["db"], "Starry", "html")
    assert "Net Promoter" not in _report(stores["db"], "Starry", "md")
    with reviewmine.open(stores["db"]) as db:
        empty = db.nps("Starry")
        assert empty.empty and list(empty.columns) == list(NPS_COLUMNS)
        assert db.nps("Starry", table="drivers").empty
    out = Path(stores["tmp"]) / "starry.csv"
    result = runner.invoke(app, ["export", "--table", "nps", "-b", "Starry", "-o", str(out), "--db", stores["db"]])
    assert result.exit_code == 0, result.output
    assert "no survey responses (0-10 scores)" in result.stderr and "wrote 0 rows of nps" in result.stderr
    assert out.read_text().strip() == ",".join(NPS_COLUMNS)  # the header, no rows
    parquet = out.with_suffix(".parquet")
    result = runner.invoke(app, ["export", "--table", "nps", "-b", "Starry", "-o", str(parquet), "--db", stores["db"]])
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(parquet).empty


def test_export_nps_tables(stores):
    tmp = Path(stores["tmp"])
    for fmt in ("csv", "parquet", "jsonl"):
        out = tmp / f"nps.{fmt}"
        args = ["export", "--table", "nps", "--freq", "Q", "-o", str(out), "--db", stores["db"]]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        frame = {"csv": pd.read_csv, "parquet": pd.read_parquet, "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](
            out
        )
        assert set(frame["brand"]) == {"Acme"} and frame.loc[frame["segment_by"] == "all", "responses"].sum() == 480
    result = runner.invoke(app, ["export", "--table", "nps_drivers", "--db", stores["db"]])
    assert result.exit_code == 0, result.output
    assert "neg_place_process" in result.stdout
    lake = tmp / "lake"
    result = runner.invoke(app, ["export", "--table", "nps", "--freq", "M", "--format", "parquet", "--partition-by",
                                 "brand,month", "-o", str(lake), "--db", stores["db"]])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (lake / "brand=Acme").is_dir()
    wrong = runner.invoke(app, ["export", "--table", "metrics", "--freq", "Q", "--db", stores["db"]])
    assert wrong.exit_code == 2  # quarters only for nps


JOB = """\
[job]
name = "nps"
output = "out"
period = "90d"
db = "{db}"
analyze = false
{brands}"""
BRAND = """
[[brands]]
name = "{name}"

  [[brands.sources]]
  source = "trustpilot"
  locator = "{name}.example"
  base_url = "http://127.0.0.1:9"
"""


def test_scheduled_summary_has_nps_only_with_survey_data(stores, tmp_path: Path):
    """summary.json of `reviewmine run`: an ``nps`` entry in the survey brand's report row, none for stars (the
    collection fails on a closed port; the reports are built from what the store holds)."""
    db = tmp_path / "job.db"
    shutil.copy(stores["db"], db)
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(db=db, brands="".join(BRAND.format(name=n) for n in ("Acme", "Starry"))))
    result = runner.invoke(app, ["run", str(job), "--quiet", "--json"])
    reports = {row["brand"]: row for row in json.loads(result.stdout)["reports"]}
    assert reports["Acme"]["nps"]["responses"] == 360 and reports["Acme"]["nps"]["drivers"][0]["impact_high"] < -50
    assert "nps" not in reports["Starry"]
