"""The value inputs: a bad CLV, currency or customers-per-review is a usage error (exit 2) naming the input, on the
command line and in a job file; the checked-in ISO 4217 list has the right shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.analysis._currencies import CURRENCIES
from reviewmine.analysis.value import ValueInputs, value_inputs
from reviewmine.cli import app
from reviewmine.errors import EXIT_USAGE, UsageError
from reviewmine.jobs.config import JobFileError, load_job

runner = CliRunner()


def test_valid_inputs() -> None:
    assert value_inputs() == ValueInputs(None, None, 1.0)
    assert value_inputs("420", "eur") == ValueInputs(420.0, "EUR", 1.0)
    assert value_inputs(1_500.5, "GBP", "2.5") == ValueInputs(1500.5, "GBP", 2.5)
    assert value_inputs(customers_per_review=3).customers_per_review == 3 and not value_inputs().money


@pytest.mark.parametrize(
    ("args", "where", "words"),
    [
        (("-5", "EUR"), "--clv", "positive"),
        (("0", "EUR"), "--clv", "positive"),
        (("abc", "EUR"), "--clv", "not a number"),
        (("nan", "EUR"), "--clv", "positive"),
        (("inf", "EUR"), "--clv", "positive"),
        (("420", "EUX"), "--currency", "unknown currency code 'EUX'"),
        (("420", "XXX"), "--currency", "unknown currency code"),
        (("420", None), "--clv", "needs a currency"),
        ((None, "EUR"), "--currency", "add --clv"),
        (("420", "EUR", "0"), "--customers-per-review", "positive"),
        (("420", "EUR", "many"), "--customers-per-review", "not a number"),
    ],
)
def test_bad_inputs_name_the_input(args: tuple, where: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        value_inputs(*args)
    assert caught.value.where == where and words in caught.value.reason and caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clv", "-5", "--currency", "EUR"], "error: --clv: must be a positive number, got '-5'"),
        (["--clv", "0", "--currency", "EUR"], "error: --clv: must be a positive number"),
        (["--clv", "lots", "--currency", "EUR"], "error: --clv: 'lots' is not a number"),
        (["--clv", "420", "--currency", "EURO"], "error: --currency: unknown currency code 'EURO'"),
        (["--clv", "420"], "error: --clv: needs a currency"),
        (["--clv", "420", "--currency", "EUR", "--customers-per-review", "-1"], "error: --customers-per-review:"),
    ],
)
def test_report_cli_exits_2_naming_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "nothing.db"
    result = runner.invoke(app, ["report", "--db", str(db), "--brand", "Acme", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not db.exists()  # checked before the database is opened


JOB = """\
[job]
name = "nightly"

[[brands]]
name = "Acme"

  [[brands.sources]]
  source = "trustpilot"
  locator = "acme.example"
"""


def _job(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(JOB + "\n[value]\n" + value, encoding="utf-8")
    return path


def test_job_file_value_table(tmp_path: Path) -> None:
    job = load_job(_job(tmp_path, 'clv = 420\ncurrency = "EUR"\ncustomers_per_review = 5\n'))
    assert job.value == ValueInputs(420.0, "EUR", 5.0)
    assert load_job(tmp_path / "job.toml").value.money
    plain = tmp_path / "plain.toml"
    plain.write_text(JOB, encoding="utf-8")
    assert load_job(plain).value is None


@pytest.mark.parametrize(
    ("value", "line", "message"),
    [
        ('clv = -420\ncurrency = "EUR"\n', 12, "value.clv: must be a positive number"),
        ('clv = "lots"\ncurrency = "EUR"\n', 12, 'value.clv: expected a number, got "lots"'),
        ('clv = 420\ncurrency = "EUX"\n', 13, "value.currency: unknown currency code 'EUX'"),
        ('currency = "EUR"\n', 12, "value.currency: a currency needs a customer lifetime value"),
        ('clv = 420\ncurrency = "EUR"\ncustomers_per_review = 0\n', 14, "value.customers_per_review: must be"),
    ],
)
def test_job_file_value_problems_name_key_and_line(tmp_path: Path, value: str, line: int, message: str) -> None:
    with pytest.raises(JobFileError) as caught:
        load_job(_job(tmp_path, value))
    assert caught.value.problems == [(line, caught.value.problems[0][1])]
    assert message in caught.value.problems[0][1]
    result = runner.invoke(app, ["run", "--check", str(tmp_path / "job.toml")])
    assert result.exit_code == 2 and message in result.output  # a usage error, like --clv -420


def test_currency_list_is_iso_4217_shaped() -> None:
    assert 150 <= len(CURRENCIES) <= 180
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in CURRENCIES)
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "CNY", "INR", "BRL", "ZAR", "XOF", "XCG"} <= CURRENCIES
    assert not {"XXX", "XTS", "XAU", "HRK", "DEM", "EURO"} & CURRENCIES  # test, metal, withdrawn, made up


def test_run_options_override_the_job_files_value_table(tmp_path: Path) -> None:
    """`reviewmine run --clv/--currency/--customers-per-review` replace the job's [value] keys one by one; a bad
    option is exit 2 naming the option, before anything runs."""
    path = _job(tmp_path, 'clv = 420\ncurrency = "EUR"\ncustomers_per_review = 5\n')
    result = runner.invoke(app, ["run", "--check", "--json", str(path), "--clv", "99.5"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["value"] == {"clv": 99.5, "currency": "EUR", "customers_per_review": 5.0}
    plain = tmp_path / "plain.toml"
    plain.write_text(JOB, encoding="utf-8")
    result = runner.invoke(app, ["run", "--check", str(plain), "--clv", "240", "--currency", "gbp"])
    assert result.exit_code == 0 and "CLV GBP 240.00" in result.output
    bad = (
        (path, ["--clv", "-1"], "--clv"),
        (path, ["--currency", "EUX"], "--currency"),
        (plain, ["--clv", "9"], "--clv"),
    )  # the last: a CLV without a currency anywhere
    for job, args, where in bad:
        result = runner.invoke(app, ["run", "--check", str(job), *args])
        assert result.exit_code == EXIT_USAGE and where in result.output, result.output
