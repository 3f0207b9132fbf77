"""Exit code 2 is a usage error (README): a malformed option value exits 2 with one `error: --opt: ...` line,
before any work; a well-formed value naming something missing (a brand, a folder) stays exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import EXIT_USAGE, InputError, UsageError

FIXTURE_CSV = str(Path(__file__).parent / "fixtures" / "import" / "reviews.csv")
runner = CliRunner()

LOCAL = ["--base-url", "http://127.0.0.1:9"]  # were a check to slip, the run fails here, not on the internet
BAD_OPTIONS = [
    (["reviews", "--since", "nonsense"], "error: --since/--until: 'nonsense' is not a date"),
    (["reviews", "--format", "parquet"], "error: Parquet needs a file: pass -o FILE.parquet"),
    (["collect", "steam", "1346200", "-b", "G", "--base-url", "ftp://example.org"], "error: --base-url: only http"),
    (
        ["collect", "steam", "1346200", "-b", "G", *LOCAL, "--since", "someday"],
        "error: --since: 'someday' is not a date",
    ),
    (
        ["collect", "steam", "1346200", "-b", "G", *LOCAL, "--contact", "me (x)"],
        "error: --contact: contact 'me (x)' must",
    ),
    (["report", "-b", "Acme", "--period", "soon"], "error: --period: 'soon' is not a span"),
    (["report", "-b", "Acme", "--as-of", "not a date"], "error: --as-of: 'not a date' is not a date"),
    (["export", "-t", "metrics", "--freq", "Q"], "error: --freq: unknown period 'Q'; use D, W or M"),
    (["export", "-t", "metrics", "--until", "later"], "error: --since/--until: 'later' is not a date"),
    (["export", "-t", "metrics", "-o", "metrics.xlsx"], "error: metrics.xlsx: use a .csv, .parquet or .jsonl"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--map", "stars=text"], "error: --map: unknown field 'stars'"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--map", "body"], "error: --map: 'body' is not FIELD=COLUMN"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--rating-scale", "5-1"], "error: --rating-scale: '5-1' is not a scale"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--delimiter", ";;"], "error: --delimiter: ';;' is not one character"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--encoding", "klingon"], "error: --encoding: unknown encoding"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--source", "my source"], "error: --source: 'my source' is not a source"),
    (["import", FIXTURE_CSV, "-b", " "], "error: --brand: the brand is empty"),
    (["import", FIXTURE_CSV, "-b", "Acme", "--skip-bad", FIXTURE_CSV], "error: --skip-bad: the rejects file cannot"),
    (["analyze", "--since", "yesterday-ish"], "error: --since: 'yesterday-ish' is not a date"),
    (["analyze", "--precision", "fp8"], "error: --precision: unknown precision"),
    (["classify", "--precision", "fp8", "Fine soup."], "error: --precision: unknown precision"),
    (["train", "--loss-weight", "ekmann=3"], "error: --loss-weight: expected KEY=VALUE"),
    (["train", "--repeat", "hand=lots"], "error: --repeat: 'lots' is not a number"),
    (["train", "--teacher", "sentiment=build/t"], "error: --teacher: no family 'sentiment'"),
    (["train", "--teacher-share", "lots"], "error: --teacher-share: 'lots' is neither 'anneal' nor a number"),
]


@pytest.mark.parametrize(("args", "line"), BAD_OPTIONS, ids=[" ".join(a[:1] + a[-2:-1]) for a, _ in BAD_OPTIONS])
def test_a_bad_option_value_is_a_one_line_usage_error(tmp_path: Path, args: list[str], line: str) -> None:
    db = tmp_path / "reviews.db"
    result = runner.invoke(app, [*args, "--db", str(db)] if args[0] not in ("classify", "train") else args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(line), result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


def test_a_missing_thing_named_by_a_good_value_stays_exit_1(tmp_path: Path) -> None:
    db = str(tmp_path / "reviews.db")
    result = runner.invoke(app, ["export", "-t", "metrics", "-o", str(tmp_path / "no" / "m.csv"), "--db", db])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {tmp_path / 'no' / 'm.csv'}: folder")
    result = runner.invoke(app, ["import", FIXTURE_CSV, "-b", "Acme", "--map", "body=Review", "--db", db])
    assert result.exit_code == 1 and "--map body=Review: no such column" in result.stderr


def test_usage_error_is_an_input_error_with_exit_2() -> None:
    error = UsageError("unknown period 'Q'", where="--freq")
    assert isinstance(error, InputError) and error.exit_code == EXIT_USAGE == 2
    assert str(error) == "--freq: unknown period 'Q'"
