"""What the CLI prints for people: undated reviews, and control sequences in review text that must not reach the
terminal (while exports keep the text exact). Real SQLite stores, the real CLI through typer's runner."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.jobs.logs import setup_logging, teardown_logging
from reviewmine.records import Review
from reviewmine.safe_text import json_safe, safe_text
from reviewmine.store.db import Store

runner = CliRunner()
# Rich decides on styling from the environment; keep its own escapes out so only review text is judged.
PLAIN = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
HOSTILE = "title \x1b]0;pwned\x07 clear \x1b[2J c1 \x9b2J bidi \u202egnp.exe end"
UNSAFE_BYTES = (b"\x1b", b"\x9b", b"\x07", "\u202e".encode())


def _seed(db_path: Path, reviews: list[Review]) -> None:
    with Store(db_path) as store, store.write() as conn:
        store.upsert_reviews(conn, reviews)


def _assert_no_unsafe(output: bytes) -> None:
    for unsafe in UNSAFE_BYTES:
        assert unsafe not in output, (unsafe, output)


def test_undated_reviews_print_in_every_format(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path, [
        Review(source="file", source_review_id="dated", brand="Acme", body="Dated one", rating=4,
               published_at=datetime(2025, 3, 1)),
        Review(source="file", source_review_id="undated", brand="Acme", body="Undated one"),
    ])  # fmt: skip
    table = runner.invoke(app, ["reviews", "--db", str(db_path)], env=PLAIN)
    assert table.exit_code == 0, table.output
    cells = [line.split("│") for line in table.stdout.splitlines() if "one" in line]
    rows = {cell[5].strip(): cell[1].strip() for cell in cells}
    assert rows == {"Dated one": "2025-03-01", "Undated one": "-"}

    lines = runner.invoke(app, ["reviews", "--db", str(db_path), "--json"])
    assert lines.exit_code == 0, lines.output
    published = {r["body"]: r["published_at"] for r in map(json.loads, lines.stdout.splitlines())}
    assert published == {"Dated one": "2025-03-01T00:00:00.000Z", "Undated one": None}
    csv = runner.invoke(app, ["reviews", "--db", str(db_path), "--format", "csv"])
    assert csv.exit_code == 0 and "Undated one" in csv.stdout
    for suffix, read in (("csv", pd.read_csv), ("jsonl", lambda p: pd.read_json(p, lines=True)),
                         ("parquet", pd.read_parquet)):  # fmt: skip
        out = tmp_path / f"all.{suffix}"
        result = runner.invoke(app, ["reviews", "--db", str(db_path), "-o", str(out)])
        assert result.exit_code == 0, result.output
        frame = read(out)
        assert frame.loc[frame["body"] == "Undated one", "published_at"].isna().all() and len(frame) == 2


def test_reviews_table_shows_control_sequences_as_escapes(db_path: Path) -> None:
    _seed(db_path, [Review(source="file", source_review_id="1", brand="Acme", title="[link=http://x.test]hi[/link]",
                           body=HOSTILE)])  # fmt: skip
    result = runner.invoke(app, ["reviews", "--db", str(db_path)], env=PLAIN)
    assert result.exit_code == 0, result.output
    _assert_no_unsafe(result.stdout_bytes)
    assert "\\x1b]0;pwned\\x07 clear \\x1b[2J c1 \\x9b2J bidi \\u202egnp.exe" in result.stdout
    assert "[link=http://x.test]hi[/link]" in result.stdout  # shown as written, not read as rich markup


def test_reviews_json_is_escaped_and_parses_back_exactly(db_path: Path) -> None:
    _seed(db_path, [Review(source="file", source_review_id="1", brand="Acme", body=HOSTILE)])
    result = runner.invoke(app, ["reviews", "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    _assert_no_unsafe(result.stdout_bytes)
    assert json.loads(result.stdout)["body"] == HOSTILE


def test_exports_keep_the_text_exact(db_path: Path, tmp_path: Path) -> None:
    _seed(db_path, [Review(source="file", source_review_id="1", brand="Acme", body=HOSTILE)])
    for argv in (["reviews", "-o"], ["export", "--table", "reviews", "-o"]):
        for suffix in ("csv", "jsonl", "parquet"):
            out = tmp_path / f"{argv[0]}.{suffix}"
            result = runner.invoke(app, [*argv, str(out), "--db", str(db_path)])
            assert result.exit_code == 0, result.output
            if suffix == "csv":
                assert HOSTILE.encode() in out.read_bytes()  # the ESC, BEL, C1 and bidi bytes themselves
                continue
            frame = pd.read_json(out, lines=True) if suffix == "jsonl" else pd.read_parquet(out)
            assert frame["body"].tolist() == [HOSTILE]


def test_db_info_escapes_names_in_text_and_json(db_path: Path) -> None:
    brand = "Evil\x1b[2J\x9b2J"
    _seed(db_path, [Review(source="file", source_review_id="1", brand=brand, body="x")])
    text = runner.invoke(app, ["db", "info", "--db", str(db_path)])
    assert text.exit_code == 0, text.output
    _assert_no_unsafe(text.stdout_bytes)
    assert "Evil\\x1b[2J\\x9b2J" in text.stdout
    as_json = runner.invoke(app, ["db", "info", "--db", str(db_path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    _assert_no_unsafe(as_json.stdout_bytes)  # json.dumps escapes ESC; json_safe the C1 character
    assert json.loads(as_json.stdout)["by_brand_source"][0]["brand"] == brand


def test_error_naming_a_file_is_escaped(db_path: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "reviews\x1b]0;pwned\x07\x9b2J.csv"
    hostile.write_bytes(b"")
    result = runner.invoke(app, ["import", str(hostile), "--brand", "Acme", "--db", str(db_path)])
    assert result.exit_code == 1, result.output
    _assert_no_unsafe(result.stderr_bytes)
    assert result.stderr.startswith("error: ")
    assert "reviews\\x1b]0;pwned\\x07\\x9b2J.csv: the file is empty" in result.stderr


def test_import_column_line_escapes_the_file_header(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    source.write_text("body,\x1b]0;pwned\x07\x9b2J\nfine,1\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(source), "--brand", "Acme", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    _assert_no_unsafe(result.stderr_bytes)
    assert "ignored: \\x1b]0;pwned\\x07\\x9b2J" in result.stderr


def test_job_log_lines_are_escaped_on_the_terminal_and_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "out" / "reviewmine.log"
    handlers = setup_logging(log_file, quiet=False)
    try:
        logging.getLogger("reviewmine.run").error("collect %s failed: %s", "Acme / steam", HOSTILE)
    finally:
        teardown_logging(handlers)
    shown = capsys.readouterr().err
    written = log_file.read_text(encoding="utf-8")
    for text in (shown, written):
        _assert_no_unsafe(text.encode())
        assert "failed: title \\x1b]0;pwned\\x07 clear \\x1b[2J" in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("tab\tand\nnewline stay; café 😀 漢字", "tab\tand\nnewline stay; café 😀 漢字"),
        ("crlf\r\nline", "crlf\nline"),
        ("over\rwrite", "over\\x0dwrite"),
        ("\x00\x08\x0b\x1f\x7f", "\\x00\\x08\\x0b\\x1f\\x7f"),
        ("\x80\x9b\x9f\xa0", "\\x80\\x9b\\x9f\xa0"),
        ("\u202a\u202e\u2066\u2069\u200f", "\\u202a\\u202e\\u2066\\u2069\u200f"),
    ],
)
def test_safe_text(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_json_safe_changes_no_value() -> None:
    value = {"text": HOSTILE + "\x7f\u2066", "n": 1}
    document = json_safe(json.dumps(value, ensure_ascii=False))
    assert json.loads(document) == value
    _assert_no_unsafe(document.encode())
