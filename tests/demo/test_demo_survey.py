"""The demo's NPS survey feed (reviewmine/demo/survey.py) and its job file: the survey tells the delivery crisis
too, imports through `reviewmine import --source survey --rating-scale 0-10` with its blank comments kept, and
the job file `reviewmine demo` writes loads as a job with a [value] table."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reviewmine
from reviewmine.cli import app
from reviewmine.demo import DemoData, DemoSite, generate_demo
from reviewmine.demo.pipeline import DEMO_VALUE, demo_job
from reviewmine.demo.survey import SURVEY_BRAND, SURVEY_FILE, import_command, nps_of, write_survey_csv
from reviewmine.jobs.config import load_job


def _by_month(data: DemoData) -> dict[int, list]:
    months = defaultdict(list)
    for response in data.survey:
        months[response.published_at.month].append(response)
    return months


@pytest.mark.parametrize("seed", [7, 11, 2026])
def test_the_survey_tells_the_delivery_crisis(seed: int) -> None:
    data = generate_demo(seed)
    assert 220 <= len(data.survey) <= 380 and {r.brand for r in data.survey} == {SURVEY_BRAND}
    assert all(0 <= r.rating <= 10 and r.source == "survey" for r in data.survey)
    blank = sum(not r.body for r in data.survey) / len(data.survey)
    assert 0.25 <= blank <= 0.42 and all(not r.sentences for r in data.survey if not r.body)
    months = _by_month(data)
    september = nps_of(months[9])
    assert september < -25 and all(nps_of(months[m]) > september + 40 for m in (5, 6, 7, 8, 10))
    detractors = [r for r in months[9] if r.rating <= 6 and r.body]
    delivery = [r for r in detractors if any("place_process" in s.categories and s.polarity == "negative"
                                             for s in r.sentences)]  # fmt: skip
    assert len(delivery) > 0.5 * len(detractors)
    assert all(r.story == "crustline-delivery-crisis" for r in months[9])


def test_the_served_reviews_do_not_depend_on_the_survey() -> None:
    """The survey has its own random stream: seed 7 still gives the 1,961 reviews stories.md describes."""
    first, again = generate_demo(7), generate_demo(7)
    assert len(first.reviews) == 1961 and first.survey == again.survey
    assert first.reviews[100].body == again.reviews[100].body


def test_the_survey_file_imports_like_a_user_would(tmp_path: Path) -> None:
    data = generate_demo(7)
    path = write_survey_csv(data, tmp_path / SURVEY_FILE)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "id,submitted_at,score,comment"
    db = tmp_path / "survey.db"
    command = [*import_command(path).split()[1:], "--db", str(db), "--json"]
    assert command[:2] == ["import", str(path)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    with reviewmine.open(db) as workspace:
        stored = workspace.reviews()
        scores = workspace.nps(period="month", by=None)
    assert len(stored) == len(data.survey) and (stored["body"] == "").sum() == sum(not r.body for r in data.survey)
    months = _by_month(data)
    for _, row in scores.iterrows():
        assert row["nps"] == pytest.approx(nps_of(months[row["period_start"].month]))


def test_the_job_file_has_the_value_table(tmp_path: Path) -> None:
    data = generate_demo(7)
    with DemoSite(data) as site:
        job = demo_job(data, site.base_url, site.targets, tmp_path / "out", model="reviewmine-tagger")
        targets, base_url = len(site.targets), site.base_url
    assert job.path == tmp_path / "out" / "demo-job.toml" and job.output == tmp_path / "out"
    assert load_job(job.path) == job and job.model == "reviewmine-tagger"
    assert job.value.clv == DEMO_VALUE["clv"] and job.value.currency == DEMO_VALUE["currency"] == "GBP"
    assert [b.name for b in job.brands] == ["Crustline", "Napoli Nest", "Forno Fresco"]
    assert sum(len(b.sources) for b in job.brands) == targets and job.alerts[0].webhook is None
    assert all(s.delay == 0 and s.base_url == base_url for b in job.brands for s in b.sources)
    text = job.path.read_text(encoding="utf-8")
    assert "[value]" in text and import_command(SURVEY_FILE) in text
