"""Every kind of malformed input gives an InputError naming file and line, and leaves the reviews untouched."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reviewmine.errors import InputError
from reviewmine.importing import import_file
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame

IMPORT = Path(__file__).parent / "fixtures" / "import"
HEADER = "id,text,stars,date\n"
IN_THREE_DAYS = f"{datetime.now(UTC) + timedelta(days=3):%Y-%m-%d}"

# name, file name, content, import options, expected `where` suffix (after the path), words in the reason
CASES: list[tuple[str, str, bytes, dict[str, Any], str, str]] = [
    ("empty csv", "e.csv", b"", {}, "", "the file is empty"),
    ("blank csv", "e.csv", b"\n\n", {}, "", "the file is empty"),
    ("blank jsonl", "e.jsonl", b"\n  \n", {}, "", "the file is empty"),
    ("no body column", "a.csv", b"id,stars\n1,5\n", {}, "", "columns found: 'id', 'stars'; pass --map body=COLUMN"),
    ("duplicate header", "a.csv", b"text,text\nx,y\n", {}, ":1", "column 'text' appears twice"),
    ("latin-1 bytes", "a.csv", HEADER.encode() + b"1,ok,5,\n2,caf\xe9,4,\n", {}, ":3", "--encoding"),
    ("bad date", "a.csv", (HEADER + "1,ok,5,2025-01-01\n2,x,4,31/31/2025\n").encode(), {}, ":3", "'31/31/2025'"),
    ("date without year", "a.csv", (HEADER + "1,x,4,5\n").encode(), {}, ":2", "'5' has no year"),
    ("year only", "a.csv", (HEADER + "1,x,4,2025\n").encode(), {}, ":2",
     "column 'date': published_at: date '2025' has no month/day"),
    ("month and year only", "a.csv", (HEADER + "1,x,4,March 2025\n").encode(), {}, ":2",
     "date 'March 2025' has no day"),
    ("unix ms far ahead", "a.csv", (HEADER + "1,x,4,99999999999999\n").encode(), {}, ":2",
     "published_at '99999999999999': 5138-11-16 is more than a day in the future"),
    ("placeholder year", "a.csv", (HEADER + "1,x,4,2999-01-01\n").encode(), {}, ":2",
     "'2999-01-01': 2999-01-01 is more than a day in the future"),
    ("in three days", "a.csv", (HEADER + f"1,x,4,{IN_THREE_DAYS}\n").encode(), {}, ":2",
     "is more than a day in the future"),
    ("before 1995", "a.csv", (HEADER + "1,x,4,1994-12-31\n").encode(), {}, ":2", "1994-12-31 is before 1995"),
    ("unix seconds 1970", "a.jsonl", b'{"text": "x", "date": 86400}\n', {}, ":1", "1970-01-02 is before 1995"),
    ("future reply", "a.csv", b"text,reply,reply_date\nx,thanks,2999-01-01\n", {}, ":2",
     "column 'reply_date': reply_at '2999-01-01'"),
    ("future with format", "a.csv", (HEADER + "1,x,4,01.01.2999\n").encode(), {"date_format": "%d.%m.%Y"}, ":2",
     "is more than a day in the future"),
    ("not a date format", "a.csv", (HEADER + "1,x,4,2025-01-01\n").encode(), {"date_format": "%d.%m.%Y"}, ":2",
     "does not match --date-format"),
    ("rating too high", "a.csv", (HEADER + "1,ok,5,\n2,x,6,\n").encode(), {}, ":3", "6 is outside the scale 1-5"),
    ("rating not a number", "a.csv", (HEADER + "1,x,five,\n").encode(), {}, ":2", "rating 'five' is not a number"),
    ("rating nan", "a.csv", (HEADER + "1,x,nan,\n").encode(), {}, ":2", "is not a number"),
    ("huge field", "a.csv", (HEADER + "1," + "x" * 100_001 + ",5,\n").encode(), {}, ":2",
     "body is 100,001 characters long; the limit is 100,000"),
    ("too many fields", "a.csv", (HEADER + '1,"multi\nline",5,\n2,x,5,,extra\n').encode(), {}, ":4",
     "5 fields, but the header has 4"),
    ("too few fields", "a.csv", (HEADER + "1,x\n").encode(), {}, ":2", "2 fields, but the header has 4"),
    ("unclosed quote", "a.csv", (HEADER + '1,ok,5,\n2,"oops,4,\n3,fine,3,\n4,also,2,\n').encode(), {}, ":3",
     "a quote opened on this line never closes: it swallows the rest of the file (2 more lines, to line 5)"),
    ("unclosed quote, no final newline", "a.csv", (HEADER + '1,ok,5,\n2,x,4,"oops\n3,fine,3,').encode(), {},
     ":3", "swallows the rest of the file (1 more line, to line 4)"),
    ("unclosed quote on the last line", "a.csv", (HEADER + '1,ok,5,\n2,"oops,4,\n').encode(), {}, ":3",
     "never closes: the file ends inside it"),
    ("unclosed quote in the header", "a.csv", b'id,"text,stars\n1,x,5\n', {}, ":1", "(1 more line, to line 2)"),
    ("no text", "a.csv", (HEADER + "1,,,\n").encode(), {}, ":2",
     "no review text or rating: column 'text' (body) and 'stars' (rating) is empty"),
    ("bad verified", "a.csv", b"text,verified\nx,maybe\n", {}, ":2", "'maybe' is not true/false"),
    ("language name", "a.csv", b"text,lang\nx,English\n", {}, ":2", "'English' is not a code like en"),
    ("negative votes", "a.csv", b"text,helpful_votes\nx,-2\n", {}, ":2", "'-2' is not a count"),
    ("invalid json", "a.jsonl", b'{"text": "ok"}\n\n{"text": "no end"\n', {}, ":3", "invalid JSON"),
    ("json not object", "a.jsonl", b'{"text": "ok"}\n"just a string"\n', {}, ":2", "expected a JSON object, got a str"),
    ("json nested text", "a.jsonl", b'{"text": {"en": "hi"}}\n', {}, ":1", "body must be text, got an object"),
    ("json only junk", "a.jsonl", b"[1]\n[2]\n", {}, ":1", "no JSON object in the first 2 records"),
    ("bad unix time", "a.jsonl", b'{"text": "x", "date": 1e300}\n', {}, ":1", "is not a unix time"),
    ("not gzip", "a.csv.gz", b"text\nplain, not compressed\n", {}, ":1", "Not a gzipped file"),
    ("unreadable parquet", "a.parquet", b"PAR1 this is not parquet", {}, "", "not a readable Parquet file"),
    ("unknown suffix", "a.txt", b"text\nx\n", {}, "", "cannot tell the format"),
    ("unknown map field", "a.csv", b"text\nx\n", {"mapping": ["stars=text"]}, "--map", "unknown field 'stars'"),
    ("map without =", "a.csv", b"text\nx\n", {"mapping": ["body"]}, "--map", "is not FIELD=COLUMN"),
    ("bad scale", "a.csv", b"text\nx\n", {"rating_scale": "5-1"}, "--rating-scale", "is not a scale"),
    ("unknown encoding", "a.csv", b"text\nx\n", {"encoding": "klingon"}, "--encoding", "unknown encoding"),
    ("missing extra", "a.csv", b"text\nx\n", {"extra_columns": ["version"]}, "", "--extra version: no such column"),
]  # fmt: skip


def _snapshot(store: Store) -> list[tuple]:
    return sorted(reviews_frame(store)[["review_key", "body", "rating"]].itertuples(index=False))


@pytest.fixture
def seeded(store: Store) -> Store:
    """A store that already holds reviews, so "unchanged" is checked against real data, not an empty table."""
    import_file(store, IMPORT / "reviews.csv", brand="Acme")
    return store


@pytest.mark.parametrize(("name", "filename", "content", "options", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_malformed_input_names_the_place_and_writes_nothing(
    seeded: Store, tmp_path: Path, name: str, filename: str, content: bytes, options: dict, where: str, words: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    before = _snapshot(seeded)
    with pytest.raises(InputError) as info:
        import_file(seeded, path, brand="Acme", **options)
    expected_where = where if where.startswith("--") else f"{path}{where}"
    assert info.value.where == expected_where, info.value
    assert words in info.value.reason
    assert _snapshot(seeded) == before


def test_file_not_found_and_folder(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found") as info:
        import_file(store, tmp_path / "nope.csv", brand="Acme")
    assert info.value.where == str(tmp_path / "nope.csv")
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        import_file(store, folder, brand="Acme")


def test_failure_after_batches_were_written_rolls_everything_back(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = [f"n{i},Review {i},4,\n" for i in range(1, 600)]
    path.write_text(HEADER + "".join(lines) + "n600,Bad,0,\n", encoding="utf-8")
    before = _snapshot(seeded)
    with pytest.raises(InputError) as info:
        import_file(seeded, path, brand="Acme", batch_rows=100)  # five batches are upserted before the error
    assert info.value.where == f"{path}:601"
    assert _snapshot(seeded) == before
    runs = seeded.tables["runs"]
    with seeded.read() as conn:
        last = conn.execute(runs.select().order_by(runs.c.id.desc())).mappings().first()
    assert last["status"] == "failed" and last["new"] == 0 and last["fetched"] == 600
    assert f"{path}:601" in last["message"]


def test_encoding_error_far_into_the_file_names_its_line(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "".join(f"{i},Review {i},4,\n" for i in range(1, 5000))
    path.write_bytes((HEADER + body).encode() + b"5000,Fran\xe7ais,4,\n")
    before = _snapshot(seeded)
    with pytest.raises(InputError, match="byte 0xe7 is not valid utf-8") as info:
        import_file(seeded, path, brand="Acme", batch_rows=1000)
    assert info.value.where == f"{path}:5001"
    assert _snapshot(seeded) == before
    result = import_file(seeded, path, brand="Acme", encoding="cp1252")
    assert result.new == 5000


def test_unclosed_quote_stops_instead_of_reading_the_whole_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(HEADER + '1,"never closed,5,\n' + "2,more text,4,\n" * 700_000, encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_file(store, path, brand="Acme", skip_bad=tmp_path / "rejects.csv")  # not skippable
    assert info.value.where == f"{path}:2"
    assert info.value.reason.startswith(
        "a quote opened on this line never closes: it swallows the rest of the file (10,500,016 characters, "
        "700,000 more lines, to line 700,002), past the 10,000,000-character limit for one CSV field"
    )
    assert not (tmp_path / "rejects.csv").exists() and not (tmp_path / "rejects.csv.partial").exists()


@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "unquoted"])
def test_a_long_field_is_not_called_an_unclosed_quote(seeded: Store, tmp_path: Path, quoted: bool) -> None:
    path = tmp_path / "long.csv.gz"
    body = "word " * 2_000_001  # 10,000,005 characters: just over the limit for one CSV field
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:  # small on disk; read through gzip too
        handle.write(HEADER + "1,ok,5,\n2," + (f'"{body}"' if quoted else body) + ",4,\n3,fine,3,\n")
    before = _snapshot(seeded)
    with pytest.raises(InputError) as info:
        import_file(seeded, path, brand="Acme", skip_bad=tmp_path / "rejects.csv")
    assert info.value.where == f"{path}:3"
    how = "its quote closes on line 3" if quoted else "it is not quoted"
    assert info.value.reason == (
        "column 'text' is 10,000,005 characters long, over the 10,000,000-character limit for one CSV field; "
        f"{how}, so this is a genuinely long value, not an unclosed quote: shorten or drop it"
    )
    assert _snapshot(seeded) == before


def test_rejects_cannot_overwrite_the_input(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be the file being imported"):
        import_file(store, path, brand="Acme", skip_bad=path)
    assert path.read_text(encoding="utf-8") == "text\nx\n"
