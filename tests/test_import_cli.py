"""`reviewmine import` through typer's runner: summary line, --json, exit codes and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame

IMPORT = Path(__file__).parent / "fixtures" / "import"
runner = CliRunner()


def test_import_prints_a_summary_and_is_idempotent(db_path: Path) -> None:
    args = ["import", str(IMPORT / "reviews.csv"), "--brand", "Acme", "--db", str(db_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "5 rows read, 5 new, 0 updated, 0 unchanged, 0 rejected" in result.stdout
    assert "rows/s" in result.stdout and len(result.stdout.strip().splitlines()) == 1
    assert "columns: body=text, title=title, rating=stars" in result.stderr
    again = runner.invoke(app, [*args, "--json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert (data["rows"], data["new"], data["updated"], data["unchanged"], data["rejected"]) == (5, 0, 0, 5, 0)
    assert data["format"] == "csv" and data["columns"]["body"] == "text" and data["rows_per_s"] > 0


def test_import_options_reach_the_importer(db_path: Path, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        app,
        [
            "import", str(IMPORT / "survey.csv"), "-b", "Acme", "-s", "survey", "--delimiter", ";",
            "-m", "rating=NPS", "-m", "published_at=Submitted", "-m", "source_review_id=Respondent",
            "--rating-scale", "0-10", "--date-format", "%d/%m/%Y", "--skip-bad", str(rejects), "-q",
            "--db", str(db_path),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 new" in result.stdout and "1 rejected" in result.stdout
    assert f"1 rejected rows written to {rejects}" in result.stderr and "columns:" not in result.stderr
    assert [row["_line"] for row in csv.DictReader(rejects.open(encoding="utf-8"))] == ["5"]
    with Store(db_path) as store:
        frame = reviews_frame(store)
    assert set(frame.source) == {"survey"} and set(frame.rating_max) == {10}


def test_format_override_for_an_odd_suffix(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes((IMPORT / "reviews.jsonl").read_bytes())
    result = runner.invoke(app, ["import", str(path), "-b", "Acme", "--format", "jsonl", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "5 new" in result.stdout


def test_bad_row_exits_1_with_file_and_line_on_stderr(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,stars\nfine,5\nnope,11\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--brand", "Acme", "--db", str(db_path), "--json"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"error: {path}:3: column 'stars': rating 11 is outside the scale 1-5 (see --rating-scale)"
    )
    assert "Traceback" not in result.output and result.stdout == ""
    with Store(db_path) as store:
        assert reviews_frame(store).empty


def test_skip_bad_does_not_pass_off_rows_lost_to_an_unclosed_quote(db_path: Path, tmp_path: Path) -> None:
    seed = runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "--brand", "Acme", "--db", str(db_path)])
    assert seed.exit_code == 0, seed.output
    path, rejects = tmp_path / "quote.csv", tmp_path / "rejects.csv"
    path.write_text('id,text,stars\nq1,good,5\nq2,"oops,4\nq3,fine,3\nq4,also fine,2\n', encoding="utf-8")
    args = ["import", str(path), "--brand", "Acme", "--skip-bad", str(rejects), "--db", str(db_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    message = (
        f"{path}:3: a quote opened on this line never closes: it swallows the rest of the file (2 more lines, to "
        'line 5), which could not be read as rows; close the quote (or double it, "", inside a quoted field) and '
        "import again"
    )
    assert result.stderr.strip().splitlines()[-1] == f"error: {message}"
    assert "rows read" not in result.output and not rejects.exists()  # no summary that looks complete
    with Store(db_path) as store:
        assert sorted(reviews_frame(store).source_review_id) == ["r1", "r2", "r3", "r4", "r5"]  # as before
        runs = store.tables["runs"]
        with store.read() as conn:
            last = conn.execute(runs.select().order_by(runs.c.id.desc())).mappings().first()
    assert last["status"] == "failed" and last["message"] == message


def test_a_date_from_the_far_future_is_refused_with_its_line(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "future.csv"
    path.write_text("text,stars,date\nfine,5,2025-03-01\nodd,4,2999-01-01\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--brand", "Acme", "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(
        f"error: {path}:3: column 'date': published_at '2999-01-01': 2999-01-01 is more than a day in the future"
    )
    with Store(db_path) as store:
        assert reviews_frame(store).empty


def test_missing_file_and_missing_brand(db_path: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "none.csv"), "--brand", "Acme", "--db", str(db_path)])
    assert result.exit_code == 1 and result.stderr.strip() == f"error: {tmp_path / 'none.csv'}: file not found"
    result = runner.invoke(app, ["import", str(IMPORT / "reviews.csv"), "--db", str(db_path)])
    assert result.exit_code == 2 and "--brand" in result.stderr


def test_help_documents_the_command() -> None:
    result = runner.invoke(app, ["import", "--help"])
    assert result.exit_code == 0
    for option in ("--map", "--skip-bad", "--rating-scale", "--encoding", "--format", "--json", "reviews.csv"):
        assert option in result.stdout
