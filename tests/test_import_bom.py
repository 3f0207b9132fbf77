"""`reviewmine import` follows a byte-order mark: UTF-8-SIG, UTF-16 and UTF-32 files (LE and BE) import without
`--encoding`, with the text exact and errors on the right line; an explicit `--encoding` other than UTF-8 wins."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reviewmine
from reviewmine.cli import app

runner = CliRunner()

BODIES = [
    "Crème brûlée, très bon 😀",  # a comma, accents and a character outside the BMP (a UTF-16 surrogate pair)
    'Two lines:\n"quoted" and ÆØÅ',  # a line break inside a CSV field: later rows start a line further down
    "美味しい – ikke bra",
]
# (name, byte-order mark, codec without a mark)
ENCODINGS = [
    ("utf-8-sig", codecs.BOM_UTF8, "utf-8"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32-be"),
]


def _csv(rows: list[tuple[str, str, int]]) -> str:
    lines = ["id,text,stars"]
    for key, body, stars in rows:
        lines.append(f'{key},"{body.replace(chr(34), chr(34) * 2)}",{stars}')
    return "\r\n".join(lines) + "\r\n"  # as spreadsheet exports write it


def _jsonl(rows: list[tuple[str, str, int]]) -> str:
    return "".join(json.dumps({"id": k, "text": b, "stars": s}, ensure_ascii=False) + "\n" for k, b, s in rows)


def _write(path: Path, text: str, bom: bytes, codec: str) -> Path:
    data = bom + text.encode(codec)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    return path


def _import(path: Path, db: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", str(path), "--brand", "Acme", "--db", str(db), "--quiet", *extra])
    return result.exit_code, result.output


def _bodies(db: Path) -> dict[str, str]:
    with reviewmine.open(db) as workspace:
        frame = workspace.reviews("Acme")
    return dict(zip(frame["source_review_id"], frame["body"], strict=True))


@pytest.mark.parametrize(("name", "bom", "codec"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_file_with_a_byte_order_mark_imports_exactly(
    tmp_path: Path, name: str, bom: bytes, codec: str, fmt: str
) -> None:
    rows = [(f"r{i}", body, 5 - i) for i, body in enumerate(BODIES)]
    text = _csv(rows) if fmt == "csv" else _jsonl(rows)
    path = _write(tmp_path / f"reviews.{fmt}", text, bom, codec)
    code, output = _import(path, tmp_path / "r.db")
    assert code == 0, output
    assert _bodies(tmp_path / "r.db") == {key: body for key, body, _ in rows}


@pytest.mark.parametrize(("name", "bom", "codec"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
@pytest.mark.parametrize(("fmt", "line"), [("csv", 5), ("jsonl", 4)])
def test_errors_name_the_right_line(tmp_path: Path, name: str, bom: bytes, codec: str, fmt: str, line: int) -> None:
    """CSV: header, two rows (one spans two lines), then the bad row on line 5; JSON Lines: the fourth line."""
    rows = [("r0", BODIES[0], 5), ("r1", BODIES[1], 4), ("r2", "Fine.", 3), ("r3", "Out of scale.", 9)]
    if fmt == "csv":
        rows = rows[1:]  # header + r1 (lines 2-3) + r2 (line 4) + r3 (line 5)
    text = _csv(rows) if fmt == "csv" else _jsonl(rows)
    path = _write(tmp_path / f"reviews.{fmt}", text, bom, codec)
    code, output = _import(path, tmp_path / "r.db")
    assert code == 1
    assert f"error: {path}:{line}: column 'stars': rating 9 is outside the scale 1-5" in output
    assert "Traceback" not in output


def test_a_compressed_utf16_file_is_read_through_the_gzip(tmp_path: Path) -> None:
    rows = [("g1", BODIES[0], 4), ("g2", BODIES[2], 2)]
    path = _write(tmp_path / "reviews.csv.gz", _csv(rows), codecs.BOM_UTF16_LE, "utf-16-le")
    code, output = _import(path, tmp_path / "r.db")
    assert code == 0, output
    assert _bodies(tmp_path / "r.db") == {"g1": BODIES[0], "g2": BODIES[2]}


def test_damaged_utf16_names_the_line_of_the_bad_bytes(tmp_path: Path) -> None:
    """A lone surrogate on line 5 of a UTF-16 file: the line is counted in characters, not in 0x0a bytes."""
    good = _csv([("r1", BODIES[1], 4), ("r2", "Fine.", 3)]).encode("utf-16-le")
    bad_row = "r3,ok ".encode("utf-16-le") + b"\x00\xd8" + ",3\r\n".encode("utf-16-le")  # U+D800 then a comma
    path = tmp_path / "damaged.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + good + bad_row)
    code, output = _import(path, tmp_path / "r.db")
    assert code == 1
    assert f"error: {path}:5: bytes 0x00d8 are not valid utf-16" in output


def test_an_explicit_encoding_wins_over_the_mark(tmp_path: Path) -> None:
    """Read as latin-1, as asked, the UTF-16 bytes make no sense as rows: the import fails and stores nothing."""
    path = _write(tmp_path / "reviews.csv", _csv([("r1", "Fine.", 4)]), codecs.BOM_UTF16_LE, "utf-16-le")
    code, output = _import(path, tmp_path / "r.db", "--encoding", "latin-1")
    assert code == 1 and f"error: {path}:2: 1 fields, but the header has 3 columns" in output, output
    assert _bodies(tmp_path / "r.db") == {}
    code, output = _import(path, tmp_path / "r.db", "--encoding", "utf-16")  # the same codec, asked for
    assert code == 0, output
    assert _bodies(tmp_path / "r.db") == {"r1": "Fine."}


def test_a_file_without_a_mark_is_still_utf8_by_default(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(_csv([("r1", BODIES[0], 4)]).encode("utf-8"))
    code, output = _import(path, tmp_path / "r.db")
    assert code == 0, output
    assert _bodies(tmp_path / "r.db") == {"r1": BODIES[0]}
    path.write_bytes(b"\xff\xfftext\nx\n")  # no mark (FF FF), not UTF-8 either: the usual error and hint
    code, output = _import(path, tmp_path / "r.db")
    assert code == 1 and f"error: {path}:1: byte 0xff is not valid utf-8" in output and "--encoding" in output
