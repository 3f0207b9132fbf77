"""File import into a real SQLite store: round trips per format, re-import, column mapping, --skip-bad, runs."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from reviewmine.errors import InputError
from reviewmine.importing import import_file
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame

IMPORT = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture
def store(any_store: Store) -> Store:
    """The tests that take ``store`` run on both backends: an SQLite file and a PostgreSQL database."""
    return any_store


def _by_id(store: Store) -> dict[str, object]:
    frame = reviews_frame(store)
    return {row.source_review_id: row for row in frame.itertuples()}


def _parquet_copy(tmp_path: Path) -> Path:
    """reviews.csv as Parquet with native types: timestamps, dates, integers, booleans, nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(csv.DictReader((IMPORT / "reviews.csv").open(encoding="utf-8", newline="")))
    published = [
        datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        datetime(2025, 3, 2),
        datetime(2025, 3, 3, 7, 15, tzinfo=UTC),
        datetime(2025, 3, 4),
        datetime(2025, 3, 5),
    ]
    table = pa.table(
        {
            "review_id": [r["review_id"] for r in rows],
            "title": [r["title"] or None for r in rows],
            "text": [r["text"] or None for r in rows],
            "stars": pa.array([int(r["stars"]) for r in rows], pa.int8()),
            "date": pa.array(published, pa.timestamp("s")),
            "user_name": [r["user_name"] for r in rows],
            "verified": [{"yes": True, "true": True, "no": False, "false": False}.get(r["verified"]) for r in rows],
            "helpful_votes": pa.array([int(r["helpful_votes"]) if r["helpful_votes"] else None for r in rows]),
            "reply_date": [date(2025, 3, 2), None, None, None, None],
        }
    )
    path = tmp_path / "reviews.parquet"
    pq.write_table(table, path)
    return path


def test_csv_round_trip_keeps_every_mapped_field(store: Store) -> None:
    result = import_file(store, IMPORT / "reviews.csv", brand="Acme", extra_columns=["app_version"])
    assert (result.rows, result.new, result.updated, result.unchanged, result.rejected) == (5, 5, 0, 0, 0)
    assert result.columns["body"] == "text" and result.columns["rating"] == "stars"
    assert result.ignored_columns == []
    rows = _by_id(store)
    r1, r2, r3, r4, r5 = (rows[f"r{i}"] for i in range(1, 6))
    assert r1.review_key == "file:r1" and r1.brand == "Acme" and r1.source == "file"
    assert r1.body == "The pizza arrived cold, an hour late." and r1.title == "Slow delivery"
    assert r1.rating == 2 and r1.rating_normalised == 0.25 and r1.author == "Ann"
    assert r1.published_at.to_pydatetime() == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    assert r1.url == "https://example.com/r/r1" and r1.language == "en"
    assert bool(r1.verified) is True and r1.helpful_votes == 3
    assert r1.reply_text == "Sorry, Ann!" and r1.reply_at.to_pydatetime() == datetime(2025, 3, 2, tzinfo=UTC)
    assert json.loads(r1.extra) == {"app_version": "1.2"}
    assert r2.body == "Friendly people.\nWill come again." and bool(r2.verified) is False
    assert r3.body == "" and r3.title == "Refund still missing"  # a title alone is enough
    assert r3.published_at.to_pydatetime() == datetime(2025, 3, 3, 7, 15, tzinfo=UTC)
    assert rows["r5"].language == "en"  # written en-GB in the file: the ISO 639-1 part is kept
    assert r4.body.endswith("très bien.") and r4.author == "Dé" and pd.isna(r4.title)
    assert r5.published_at.to_pydatetime() == datetime(2025, 3, 5, tzinfo=UTC)  # unix seconds


def test_jsonl_and_parquet_give_the_same_reviews_as_csv(tmp_path: Path) -> None:
    stored = {}
    for name, path in [
        ("csv", IMPORT / "reviews.csv"),
        ("jsonl", IMPORT / "reviews.jsonl"),
        ("parquet", _parquet_copy(tmp_path)),
    ]:
        with Store(tmp_path / f"{name}.db") as store:
            result = import_file(store, path, brand="Acme")
            assert (result.format, result.rows, result.new, result.rejected) == (name, 5, 5, 0)
            frame = reviews_frame(store).sort_values("review_key")
        columns = ["review_key", "body", "title", "rating", "author", "published_at", "helpful_votes", "verified"]
        stored[name] = frame[columns].reset_index(drop=True)
    assert stored["jsonl"].equals(stored["csv"])
    assert stored["parquet"].equals(stored["csv"])


def test_reimport_adds_nothing_and_edits_count_as_updated(store: Store, tmp_path: Path) -> None:
    for path in (IMPORT / "reviews.csv", IMPORT / "reviews.jsonl"):
        first = import_file(store, path, brand="Acme", source=path.suffix[1:])
        again = import_file(store, path, brand="Acme", source=path.suffix[1:])
        assert first.new == 5 and (again.new, again.updated, again.unchanged) == (0, 0, 5)
    edited = tmp_path / "reviews.csv"
    edited.write_text((IMPORT / "reviews.csv").read_text(encoding="utf-8").replace("an hour late", "2 h late"))
    result = import_file(store, edited, brand="Acme", source="csv")
    assert (result.new, result.updated, result.unchanged) == (0, 1, 4)


def test_rows_without_ids_are_keyed_by_content_so_reimport_is_idempotent(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "noid.csv"
    path.write_text("text,stars\nGood,5\nBad,1\nGood,5\n", encoding="utf-8")
    first = import_file(store, path, brand="Acme")
    assert (first.rows, first.new, first.duplicates) == (3, 2, 1)  # the repeated row is the same review
    copy = tmp_path / "elsewhere" / "noid.csv"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    again = import_file(store, copy, brand="Acme")  # the key does not depend on where the file lives
    assert (again.new, again.updated) == (0, 0)


def test_explicit_mapping_scale_delimiter_and_date_format(store: Store, tmp_path: Path) -> None:
    options = {
        "brand": "Acme",
        "source": "survey",
        "delimiter": ";",
        "mapping": ["rating=NPS", "published_at=Submitted", "source_review_id=Respondent"],
        "rating_scale": "0-10",
        "date_format": "%d/%m/%Y",
    }
    with pytest.raises(InputError) as info:  # the last answer is off the 0-10 scale
        import_file(store, IMPORT / "survey.csv", **options)
    assert info.value.where == f"{IMPORT / 'survey.csv'}:5" and "outside the scale 0-10" in info.value.reason
    result = import_file(store, IMPORT / "survey.csv", skip_bad=tmp_path / "rejects.csv", **options)
    assert (result.new, result.rejected) == (3, 1)
    silent = _by_id(store)["1003"]  # a score without a comment is a response too (NPS counts it)
    assert silent.body == "" and silent.rating == 8
    row = _by_id(store)["1001"]
    assert row.body == "Great support team" and row.rating == 9 and row.rating_normalised == pytest.approx(0.9)
    assert (row.rating_min, row.rating_max) == (0, 10)
    assert row.published_at.to_pydatetime() == datetime(2025, 3, 1, tzinfo=UTC)  # day first, as asked


def test_auto_recognition_of_another_tools_export(store: Store) -> None:
    result = import_file(store, IMPORT / "playstore_export.csv", brand="Acme", source="playstore")
    assert result.columns == {
        "body": "content",
        "rating": "score",
        "published_at": "at",
        "author": "userName",
        "source_review_id": "reviewId",
        "reply_text": "replyContent",
        "reply_at": "repliedAt",
        "helpful_votes": "thumbsUpCount",
    }
    assert result.ignored_columns == ["appVersion"]
    review = _by_id(store)["gp-1"]
    assert review.review_key == "playstore:gp-1" and review.helpful_votes == 12 and review.reply_text == "We are on it"


def test_compact_dates_and_plausible_unix_times_are_read(store: Store, tmp_path: Path) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)  # ahead, but within a day
    csv_path, jsonl_path = tmp_path / "dates.csv", tmp_path / "dates.jsonl"
    rows = ["c1,a,20250301", "c2,b,1740000000", "c3,c,1740000000000", "c4,d,1995-01-01", f"c5,e,{soon.isoformat()}"]
    csv_path.write_text("id,text,date\n" + "\n".join(rows) + "\n", encoding="utf-8")
    jsonl_path.write_text(
        '{"id": "j1", "text": "f", "date": 20250301}\n{"id": "j2", "text": "g", "date": 1740000000000}\n',
        encoding="utf-8",
    )
    assert (import_file(store, csv_path, brand="Acme").new, import_file(store, jsonl_path, brand="Acme").new) == (5, 2)
    dates = {key: row.published_at.to_pydatetime() for key, row in _by_id(store).items()}
    march, seconds = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 2, 19, 21, 20, tzinfo=UTC)  # 1740000000
    assert dates == {
        "c1": march, "c2": seconds, "c3": seconds, "c4": datetime(1995, 1, 1, tzinfo=UTC), "c5": soon,
        "j1": march, "j2": seconds,
    }  # fmt: skip


def test_map_overrides_and_switches_off_recognition(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("id,Opinion,text,Grade\n7,The real text,a code,B\n", encoding="utf-8")
    result = import_file(store, path, brand="Acme", mapping={"body": "Opinion", "source_review_id": ""})
    assert result.columns == {"body": "Opinion"} and set(result.ignored_columns) == {"id", "text", "Grade"}
    row = reviews_frame(store).iloc[0]
    assert row.body == "The real text" and pd.isna(row.source_review_id)
    with pytest.raises(InputError, match="no such column; columns found: 'id', 'Opinion', 'text', 'Grade'"):
        import_file(store, path, brand="Acme", mapping=["body=Comment"])


def test_extra_star_keeps_every_unmapped_column(store: Store) -> None:
    import_file(store, IMPORT / "playstore_export.csv", brand="Acme", extra_columns=["*"])
    assert json.loads(_by_id(store)["gp-2"].extra) == {"appVersion": "4.1.1"}


def test_skip_bad_writes_rejects_and_imports_the_rest(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        'id,text,stars,date\n1,fine,5,2025-01-01\n2,too many stars,7,2025-01-02\n3,"extra",1,2025-01-03,oops\n'
        "4,bad date,2,2025-02-30\n5,also fine,4,2025-01-05\n,,,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    result = import_file(store, path, brand="Acme", skip_bad=rejects)
    assert (result.rows, result.new, result.rejected, result.blank) == (5, 2, 3, 1)
    assert result.rejects_path == str(rejects) and not rejects.with_name("rejects.csv.partial").exists()
    rows = list(csv.DictReader(rejects.open(encoding="utf-8", newline="")))
    assert [r["_line"] for r in rows] == ["3", "4", "5"]
    assert "outside the scale 1-5" in rows[0]["_error"] and rows[0]["text"] == "too many stars"
    assert "5 fields, but the header has 4" in rows[1]["_error"] and rows[1]["_raw"] == "3,extra,1,2025-01-03,oops"
    assert "'2025-02-30' is not a date" in rows[2]["_error"]
    assert sorted(reviews_frame(store).source_review_id) == ["1", "5"]
    run = store.run(result.run_id)
    assert run["status"] == "ok" and run["fetched"] == 5 and run["new"] == 2
    assert [e["line"] for e in run["errors"]] == [3, 4, 5]


def test_skip_bad_jsonl_rejects_keep_the_original_objects(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "ok", "stars": 5}\n{"text": "x", "stars": "five"}\n[1, 2]\n{broken\n', encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    result = import_file(store, path, brand="Acme", skip_bad=rejects)
    assert (result.new, result.rejected) == (1, 3)
    rows = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {
        "_line": 2,
        "_error": "column 'stars': rating 'five' is not a number",
        "text": "x",
        "stars": "five",
    }
    assert rows[1]["_raw"] == "[1, 2]" and "expected a JSON object, got an array" in rows[1]["_error"]
    assert rows[2]["_raw"] == "{broken" and rows[2]["_error"].startswith("invalid JSON")


def test_gzip_tsv_and_batches(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "many.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("review_id\treview\n")
        for i in range(250):
            handle.write(f"{i}\tReview number {i}\n")
    seen: list[tuple[int, int]] = []
    result = import_file(
        store, path, brand="Acme", batch_rows=100, progress=lambda done, total: seen.append((done, total))
    )
    assert (result.format, result.rows, result.new) == ("csv", 250, 250)
    assert len(seen) == 2 and all(total == path.stat().st_size for _, total in seen)


def test_run_is_recorded_with_the_file_as_target(store: Store) -> None:
    result = import_file(store, IMPORT / "reviews.jsonl", brand="Acme")
    run = store.run(result.run_id)
    assert run["kind"] == "import" and run["status"] == "ok" and run["source"] == "file"
    assert run["locator"] == str((IMPORT / "reviews.jsonl").resolve()) and run["fetched"] == 5 and run["new"] == 5
    assert "5 rows read, 5 new" in run["message"]


def test_same_ids_under_another_brand_are_refused(store: Store, tmp_path: Path) -> None:
    import_file(store, IMPORT / "reviews.csv", brand="Acme")
    other = tmp_path / "rival.csv"
    other.write_text("review_id,text\nr9,Rival review\nr1,Not Acme's r1\n", encoding="utf-8")
    with pytest.raises(InputError, match="already stored for brand 'Acme'") as info:
        import_file(store, other, brand="Rival")
    assert info.value.where == f"{other}:3"
    assert _by_id(store)["r1"].brand == "Acme" and "r9" not in _by_id(store)
    result = import_file(store, other, brand="Rival", source="rival-export")
    assert result.new == 2
