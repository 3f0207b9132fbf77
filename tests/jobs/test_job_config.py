from __future__ import annotations

from pathlib import Path

import pytest

from reviewmine.jobs.config import JobFileError, load_job

GOOD = """\
[job]
name = "nightly"
output = "out"
period = "90d"

[[brands]]
name = "Acme"
competitors = ["Rival"]

  [[brands.sources]]
  source = "trustpilot"
  locator = "acme.example"
  max_pages = 5

[[brands]]
name = "Rival"

  [[brands.sources]]
  source = "steam"
  locator = "12345"

[[alerts]]
name = "high risk"
min_score = 60
event_kinds = ["negative_share"]
webhook = "http://127.0.0.1:9/hook"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(text)
    return path


def test_valid_job_loads(tmp_path: Path) -> None:
    job = load_job(_write(tmp_path, GOOD))
    assert job.name == "nightly" and job.output == tmp_path / "out"
    assert [b.name for b in job.brands] == ["Acme", "Rival"]
    assert job.brands[0].competitors == ("Rival",)
    assert job.brands[0].sources[0].max_pages == 5
    assert job.alerts[0].min_score == 60


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = (
        GOOD.replace('period = "90d"', 'period = "soon"')
        .replace('source = "steam"', 'source = "myspace"')
        .replace('competitors = ["Rival"]', 'competitors = ["Nobody"]')
        .replace("min_score = 60", "min_score = 600")
    )
    with pytest.raises(JobFileError) as info:
        load_job(_write(tmp_path, bad))
    problems = dict(info.value.problems)
    lines = bad.splitlines()
    assert "soon" in lines[3] and 4 in problems and "span" in problems[4]
    assert any("Nobody" in m for m in problems.values())
    assert lines[7].startswith("competitors") and 8 in problems
    myspace_line = next(i for i, line in enumerate(lines, 1) if "myspace" in line)
    assert "unknown source" in problems[myspace_line]
    score_line = next(i for i, line in enumerate(lines, 1) if "min_score" in line)
    assert "0 to 100" in problems[score_line]
    assert str(info.value).count("job.toml:") == len(info.value.problems) >= 4


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(JobFileError) as info:
        load_job(_write(tmp_path, GOOD.replace('name = "Rival"', 'name = "Rival')))
    assert info.value.problems[0][0] == GOOD.splitlines().index('name = "Rival"') + 1


def test_bad_locator_and_missing_sources(tmp_path: Path) -> None:
    text = GOOD.replace('locator = "12345"', 'locator = "not-an-app-id"') + '\n[[brands]]\nname = "Lonely"\n'
    with pytest.raises(JobFileError) as info:
        load_job(_write(tmp_path, text))
    messages = " | ".join(m for _, m in info.value.problems)
    assert "Lonely" in messages and "no [[brands.sources]]" in messages
    assert "not-an-app-id" in messages or "app id" in messages


def test_the_documented_example_job_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "nightly.toml"
    job = load_job(example)
    assert [b.name for b in job.brands] == ["Acme Pizza", "Rival Pizza"] and len(job.alerts) == 2
