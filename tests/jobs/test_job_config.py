from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.jobs.config import JobFileError, load_job

runner = CliRunner()

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
    path = _write(tmp_path, GOOD.replace('name = "Rival"', 'name = "Rival'))
    line = GOOD.splitlines().index('name = "Rival"') + 1
    with pytest.raises(JobFileError) as info:
        load_job(path)
    assert info.value.problems[0][0] == line
    result = runner.invoke(app, ["run", "--check", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [f"error: {path}:{line}: {info.value.problems[0][1]}"]
    assert "Traceback" not in result.output and "column" in result.stderr


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


def _without(text: str, table: str) -> str:
    """GOOD without one of its tables ("[job]", "[[brands]]" with their sources, or "[[alerts]]")."""
    blocks = text.split("\n\n")
    return "\n\n".join(block for block in blocks if not block.lstrip().startswith(table.rstrip("]")))


RIVAL_SOURCE = '  [[brands.sources]]\n  source = "steam"\n  locator = "12345"\n'

# (job file text, key path, a text on the line the error must name (None: not findable), what the message says)
WRONG_TYPES = [
    ("job = 5\n" + _without(GOOD, "[job]"), "job", "job = 5", "expected a table, got 5"),
    (GOOD.replace(RIVAL_SOURCE, "sources = 5\n"), "brands[1].sources", "sources = 5", "expected a list of tables"),
    ("alerts = 3\n" + _without(GOOD, "[[alerts]]"), "alerts", "alerts = 3", "expected a list of tables, got 3"),
    ('brands = "x"\n' + _without(GOOD, "[[brands]]"), "brands", 'brands = "x"', 'expected a list of tables, got "x"'),
    (GOOD.replace('name = "nightly"', "name = 5"), "job.name", "name = 5", "expected a string, got 5"),
    (
        GOOD.replace("min_score = 60", "min_score = true"),
        "alerts[0].min_score",
        "min_score",
        "expected a number, got true",
    ),
    (GOOD.replace('period = "90d"', "analyze = 1"), "job.analyze", "analyze", "expected true or false, got 1"),
    (GOOD.replace("max_pages = 5", 'max_pages = "5"'), "brands[0].sources[0].max_pages", "max_pages", 'got "5"'),
    (GOOD.replace('"12345"', '"12345"\n  delay = [1]'), "brands[1].sources[0].delay", "delay", "expected a number"),
    (GOOD.replace('"12345"', '"12345"\n  since = 07:30:00'), "brands[1].sources[0].since", "since", "got 07:30:00"),
    (GOOD.replace('["Rival"]', '["Rival", 2]'), "brands[0].competitors[1]", "competitors", "expected a string, got 2"),
    (GOOD.replace('["negative_share"]', '"negative_share"'), "alerts[0].event_kinds", "event_kinds", "list of strings"),
    (GOOD.replace("[job]", "[[job]]"), "job", "[[job]]", "expected a table, got a list of tables"),
    (  # a table written inline: the line of the key holding it
        GOOD.replace(RIVAL_SOURCE, 'sources = [{ source = "steam", locator = 12345 }]\n'),
        "brands[1].sources[0].locator",
        "sources = [{",
        "expected a string, got 12345",
    ),
    (GOOD.replace('"12345"', '"12345"\n  colour = "red"'), "brands[1].sources[0].colour", "colour", "unknown key"),
    ("job.name = 5\n" + _without(GOOD, "[job]"), "job.name", None, "expected a string, got 5"),  # a dotted key
]


@pytest.mark.parametrize(("text", "key_path", "marker", "expected"), WRONG_TYPES, ids=[case[1] for case in WRONG_TYPES])
def test_a_wrong_type_names_the_key_and_its_line(
    tmp_path: Path, text: str, key_path: str, marker: str | None, expected: str
) -> None:
    path = _write(tmp_path, text)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if marker in row) if marker else None
    with pytest.raises(JobFileError) as info:
        load_job(path)
    [(at, message)] = info.value.problems  # one problem: no follow-on noise ("needs a name", "no sources")
    assert at == line and message.startswith(f"{key_path}: ") and expected in message, message
    result = runner.invoke(app, ["run", "--check", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    where = f"{path}:{line}" if line else str(path)
    assert result.stderr.startswith(f"error: {where}: {key_path}: ") and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_toml_dates_and_float_numbers_are_accepted(tmp_path: Path) -> None:
    text = GOOD.replace("max_pages = 5", "max_pages = 5\n  since = 2025-01-01\n  delay = 0.5")
    job = load_job(_write(tmp_path, text.replace("min_score = 60", "min_score = 62.5")))
    source = job.brands[0].sources[0]
    assert source.since == "2025-01-01" and source.delay == 0.5 and job.alerts[0].min_score == 62.5


def test_an_unreadable_job_file_is_an_input_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--check", str(tmp_path)])
    assert result.exit_code == 1 and "cannot read the job file" in result.stderr and "Traceback" not in result.output


def test_a_job_can_tag_on_ray(tmp_path: Path) -> None:
    text = GOOD.replace('period = "90d"', 'period = "90d"\nengine = "ray"\nray_address = "head:6379"\nactors = 8\n'
                        "gpus_per_actor = 0.5")  # fmt: skip
    job = load_job(_write(tmp_path, text))
    assert (job.engine, job.ray_address, job.actors, job.gpus_per_actor) == ("ray", "head:6379", 8, 0.5)
    local = load_job(_write(tmp_path, GOOD))
    assert (local.engine, local.ray_address, local.actors, local.gpus_per_actor) == ("local", None, None, 0.0)


@pytest.mark.parametrize(
    ("lines", "key", "expected"),
    [
        ("engine = 1", "job.engine", "expected a string, got 1"),
        ('engine = "spark"', "job.engine", "unknown engine 'spark' (known: local, ray)"),
        ('engine = "ray"\nactors = "4"', "job.actors", 'expected an integer, got "4"'),
        ('engine = "ray"\nactors = 2.5', "job.actors", "expected an integer, got 2.5"),
        ('engine = "ray"\nactors = 0', "job.actors", "actors must be at least 1"),
        ('engine = "ray"\ngpus_per_actor = true', "job.gpus_per_actor", "expected a number, got true"),
        ('engine = "ray"\ngpus_per_actor = -1', "job.gpus_per_actor", "must be a non-negative number"),
        ('engine = "ray"\nray_address = 6379', "job.ray_address", "expected a string, got 6379"),
        ('ray_address = "head:6379"', "job.ray_address", 'ray_address needs engine = "ray"'),
        ("actors = 4", "job.actors", 'actors needs engine = "ray"'),
    ],
)
def test_engine_keys_are_checked(tmp_path: Path, lines: str, key: str, expected: str) -> None:
    text = GOOD.replace('period = "90d"', f'period = "90d"\n{lines}')
    with pytest.raises(JobFileError) as info:
        load_job(_write(tmp_path, text))
    [(line, message)] = info.value.problems
    assert message == f"{key}: {expected}" or (message.startswith(f"{key}: ") and expected in message), message
    marker = key.rsplit(".", 1)[1]
    assert line == next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(marker))
