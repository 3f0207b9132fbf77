"""Every kind of malformed input gives an InputError naming file and line, and leaves the reviews untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reviewmine.errors import InputError
from reviewmine.importing import import_file
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame

IMPORT = Path(__file__).parent / "fixtures" / "import"
HEADER = "id,text,stars,date\n"

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
    ("no text", "a.csv", (HEADER + "1,,5,\n").encode(), {}, ":2", "no review text: column 'text' (body) is empty"),
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
    with pytest.raises(InputError, match="runs past 10,000,000 characters") as info:
        import_file(store, path, brand="Acme", skip_bad=tmp_path / "rejects.csv")  # not skippable
    assert info.value.where == f"{path}:2"
    assert not (tmp_path / "rejects.csv").exists() and not (tmp_path / "rejects.csv.partial").exists()


def test_rejects_cannot_overwrite_the_input(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be the file being imported"):
        import_file(store, path, brand="Acme", skip_bad=path)
    assert path.read_text(encoding="utf-8") == "text\nx\n"
