"""The re-reading of an over-long CSV record agrees with Python's csv reader on where the long field starts."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewmine.importing.csvscan import _PIECE, LongField, find_long_field

LIMIT = 20

# file text (the record under test starts on line 2), expected: (index, line, last_line, chars, quoted, closed)
CASES: list[tuple[str, tuple[int, int, int, int, bool, bool] | None]] = [
    ("h\na,b,c\n", None),
    ("h\na," + "x" * 21 + ",c\n", (1, 2, 2, 21, False, True)),
    ('h\na,"' + "x" * 10 + '""' + "y" * 10 + '",c\n', (1, 2, 2, 21, True, True)),  # "" is one character
    ('h\na,"' + "x\r\n" * 8 + '",c\n', (1, 2, 10, 24, True, True)),  # line breaks inside quotes count
    ('h\n"ab"' + "z" * 20 + ",c\n", (0, 2, 2, 22, True, True)),  # text after a closing quote is kept
    ('h\na,"never closed\n' + "b,c\n" * 3, (1, 2, 5, 25, True, False)),
    ('h\na,"short",x\n', None),
]


@pytest.fixture
def small_csv_limit() -> Iterator[None]:
    old = csv.field_size_limit(LIMIT)  # process-wide: put back after the test
    yield
    csv.field_size_limit(old)


def _scan(path: Path, limit: int = LIMIT) -> LongField | None:
    with path.open(encoding="utf-8", newline="") as text:
        return find_long_field(text, start_line=2, delimiter=",", limit=limit)


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_scan_agrees_with_the_csv_reader(
    small_csv_limit: None, tmp_path: Path, content: str, expected: tuple | None
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(content.encode("utf-8"))
    found = _scan(path)
    assert (None if found is None else tuple(vars(found).values())) == expected
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        if expected is None:
            assert next(reader)
            return
        with pytest.raises(csv.Error, match="field larger than field limit"):
            next(reader)


def test_a_crlf_split_between_two_reads_is_one_line_break(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    before = "x" * (_PIECE - 4)  # the piece ends right after the \r: 'a,"' + before + '\r' fills it
    path.write_bytes(f'h\na,"{before}\r\nmore",c\nnext,row\n'.encode())
    found = _scan(path, limit=_PIECE)
    assert found == LongField(index=1, line=2, last_line=3, chars=len(before) + 6, quoted=True, closed=True)
