"""`reviewmine export --format parquet --partition-by ...`: hive-partitioned Parquet datasets written from real
stores (the demo database with true labels, and seeded reviews with hostile text and odd brand names) through
the real CLI, read back with pyarrow.dataset, DuckDB and pandas."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

import reviewmine
from reviewmine.cli import app
from reviewmine.export import write_dataset
from reviewmine.records import Review
from reviewmine.store.db import Store
from reviewmine.tables import export_table

runner = CliRunner()
UTC_US = pa.timestamp("us", tz="UTC")
HOSTILE = "title \x1b]0;pwned\x07 clear \x1b[2J c1 \x9b2J bidi \u202egnp.exe end; 'quoted' \"double\" \\ é 😀"
ODD_BRAND = "A/B = 100% Ltd."
DATE_COLUMN = {
    "reviews": "published_at", "sentences": "published_at", "metrics": "period_start", "risk": "window_start",
}  # fmt: skip


def _export(db: str, *args: str) -> object:
    return runner.invoke(app, ["export", "--db", db, *args])


def _duckdb(sql: str, folder: Path) -> list[tuple]:
    return duckdb.sql(sql.format(src=f"read_parquet('{folder}/**/*.parquet', hive_partitioning=true)")).fetchall()


def _leaf_folders(folder: Path) -> set[tuple[str, ...]]:
    return {file.parent.relative_to(folder).parts for file in folder.rglob("*.parquet")}


@pytest.mark.parametrize("table", ["reviews", "sentences", "metrics", "risk"])
def test_partitioned_table_reads_back_in_pyarrow_duckdb_and_pandas(db: str, tmp_path: Path, table: str) -> None:
    out = tmp_path / table
    result = _export(db, "-t", table, "--format", "parquet", "--partition-by", "brand,month", "-o", str(out))
    assert result.exit_code == 0, result.output
    with reviewmine.open(db) as ws:
        expected = export_table(ws, table)
    assert len(expected) > 0 and f"wrote {len(expected):,} rows of {table} to {out}" in result.output

    # the folders are brand=.../month=YYYY-MM, one per brand and month present in the table
    months = pd.to_datetime(expected[DATE_COLUMN[table]], utc=True).dt.strftime("%Y-%m")
    wanted = {(f"brand={b}", f"month={m}") for b, m in zip(expected["brand"].astype(str), months, strict=True)}
    folders = {tuple(part.replace("%20", " ") for part in leaf) for leaf in _leaf_folders(out)}
    assert folders == wanted
    assert all(path.name.startswith("part-") for path in out.rglob("*.parquet"))
    assert not list(tmp_path.glob(f"{table}.*")), "no partial or old folder left beside the dataset"

    dataset = ds.dataset(out, partitioning="hive")
    assert dataset.count_rows() == len(expected)
    schema = dataset.schema
    assert schema.names == [c for c in expected.columns if c != "brand"] + ["brand", "month"]
    assert schema.field("brand").type == pa.string() and schema.field("month").type == pa.string()
    for name in expected.columns:
        kind = schema.field(name).type
        if pd.api.types.is_datetime64_any_dtype(expected[name]):
            assert kind == UTC_US, name
        elif pd.api.types.is_integer_dtype(expected[name]):
            assert pa.types.is_integer(kind), name
        elif pd.api.types.is_float_dtype(expected[name]):
            assert pa.types.is_floating(kind), name
        elif pd.api.types.is_bool_dtype(expected[name]):
            assert pa.types.is_boolean(kind), name
        else:
            assert kind == pa.string(), name
    per_brand = expected["brand"].astype(str).value_counts().sort_index()
    read_counts = dataset.to_table(columns=["brand"]).to_pandas()["brand"].astype(str).value_counts().sort_index()
    assert read_counts.to_dict() == per_brand.to_dict()

    assert _duckdb("SELECT count(*) FROM {src}", out) == [(len(expected),)]
    assert dict(_duckdb("SELECT brand, count(*) FROM {src} GROUP BY brand", out)) == per_brand.to_dict()
    types = dict(_duckdb("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})", out))
    assert types[DATE_COLUMN[table]] == "TIMESTAMP WITH TIME ZONE"
    assert types["brand"] == types["month"] == "VARCHAR"

    frame = pd.read_parquet(out)
    assert len(frame) == len(expected)
    assert str(frame[DATE_COLUMN[table]].dtype) == "datetime64[us, UTC]"
    if table == "reviews":
        assert str(frame["helpful_votes"].dtype) == "Int64" and str(frame["verified"].dtype) == "boolean"
        assert types["helpful_votes"] == "BIGINT"
        by_key = frame.set_index("review_key")["body"]
        assert (by_key[expected["review_key"]].to_numpy() == expected["body"].to_numpy()).all()


def test_metrics_by_category_nest_in_the_order_given(db: str, tmp_path: Path) -> None:
    out = tmp_path / "metrics"
    args = ["-t", "metrics", "--freq", "M", "-f", "parquet", "--partition-by", "category", "--partition-by", "brand"]
    assert _export(db, *args, "-o", str(out)).exit_code == 0
    leaves = _leaf_folders(out)
    assert {leaf[0].split("=")[0] for leaf in leaves} == {"category"}
    assert {leaf[1].split("=")[0] for leaf in leaves} == {"brand"} and all(len(leaf) == 2 for leaf in leaves)
    assert _duckdb("SELECT count(DISTINCT category) FROM {src}", out) == [(len({leaf[0] for leaf in leaves}),)]


def test_review_text_odd_brands_and_undated_reviews_survive(tmp_path: Path) -> None:
    path = tmp_path / "hostile.db"
    with Store(path) as store, store.write() as conn:
        store.upsert_reviews(conn, [
            Review(source="file", source_review_id="1", brand=ODD_BRAND, body=HOSTILE, language="en",
                   published_at=datetime(2025, 3, 31, 23, 59, 59, 123456, tzinfo=UTC), helpful_votes=3),
            Review(source="file", source_review_id="2", brand=ODD_BRAND, body="no date, no language"),
            Review(source="file", source_review_id="3", brand="Plain", body="  spaces \n kept  ", verified=True,
                   published_at=datetime(2025, 4, 1, tzinfo=UTC)),
        ])  # fmt: skip
    out = tmp_path / "lake"
    args = ["-t", "reviews", "-f", "parquet", "--partition-by", "brand,month,language", "-o", str(out)]
    result = _export(str(path), *args)
    assert result.exit_code == 0, result.output

    table = ds.dataset(out, partitioning="hive").to_table().to_pandas().set_index("source_review_id")
    assert table.loc["1", "body"] == HOSTILE and table.loc["3", "body"] == "  spaces \n kept  "
    assert table.loc["1", "brand"] == ODD_BRAND and table.loc["1", "month"] == "2025-03"
    with reviewmine.open(path) as ws:
        stored = ws.reviews().set_index("source_review_id")["published_at"]
    assert table.loc["1", "published_at"] == stored["1"]
    assert stored["1"].strftime("%Y-%m-%d %H:%M") == "2025-03-31 23:59"
    assert (table.loc["2", "month"], table.loc["2", "language"]) == ("undated", "unknown")
    assert pd.isna(table.loc["2", "published_at"])

    rows = _duckdb("SELECT source_review_id, brand, month, body FROM {src} ORDER BY source_review_id", out)
    assert rows[0] == ("1", ODD_BRAND, "2025-03", HOSTILE) and rows[1][1:3] == (ODD_BRAND, "undated")
    frame = pd.read_parquet(out).set_index("source_review_id")  # no null partition value to trip pandas
    assert frame.loc["1", "body"] == HOSTILE and frame.loc["1", "helpful_votes"] == 3
    assert pd.isna(frame.loc["2", "helpful_votes"]) and frame.loc["3", "verified"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "metrics", "-f", "parquet", "--partition-by", "brand,week"],
         "cannot partition metrics by 'week'; metrics can be partitioned by brand, category, month"),
        (["-t", "drivers", "-f", "parquet", "--partition-by", "month"],
         "drivers can be partitioned by brand, target, category"),
        (["-t", "risk", "-f", "parquet", "--partition-by", "brand,brand"], "brand is named twice"),
        (["-t", "reviews", "--partition-by", "brand"], "add --format parquet"),
        (["-t", "reviews", "-f", "csv", "--partition-by", "brand"], "add --format parquet"),
        (["-t", "reviews", "-f", "parquet", "--partition-by", "brand", "--no-output"], "needs a folder: add -o DIR"),
    ],
)  # fmt: skip
def test_partition_usage_errors_exit_2_with_one_line(db: str, tmp_path: Path, args: list[str], message: str) -> None:
    out = ["-o", str(tmp_path / "out")] if "--no-output" not in args else []
    result = _export(db, *[a for a in args if a != "--no-output"], *out)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_existing_dataset_is_kept_unless_overwrite(db: str, tmp_path: Path) -> None:
    out = tmp_path / "risk"
    by_brand = ["-t", "risk", "-f", "parquet", "--partition-by", "brand", "-o", str(out)]
    assert _export(db, *by_brand).exit_code == 0
    before = sorted(out.rglob("*"))

    refused = _export(db, "-t", "risk", "-f", "parquet", "--partition-by", "category", "-o", str(out))
    assert refused.exit_code == 1 and "pass --overwrite" in refused.output
    assert sorted(out.rglob("*")) == before

    replaced = _export(db, "-t", "risk", "-f", "parquet", "--partition-by", "category", "--overwrite", "-o", str(out))
    assert replaced.exit_code == 0, replaced.output
    assert {leaf[0].split("=")[0] for leaf in _leaf_folders(out)} == {"category"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk"], "no partial or old folder left"

    (out / "notes.txt").write_text("mine")
    kept = _export(db, *by_brand, "--overwrite")
    assert kept.exit_code == 1 and "not a Parquet dataset" in kept.output and (out / "notes.txt").exists()
    (tmp_path / "file").write_text("x")
    is_file = _export(db, "-t", "risk", "-f", "parquet", "--partition-by", "brand", "-o", str(tmp_path / "file"))
    assert is_file.exit_code == 1 and "is a file" in is_file.output


def test_a_failed_write_leaves_the_old_dataset_and_no_partial_folder(tmp_path: Path) -> None:
    """The second chunk cannot be converted (an object that is no string), after the first was written."""
    rows = 70_000
    frame = pd.DataFrame({"brand": ["Acme"] * rows, "category": ["all"] * rows, "score": range(rows)})
    frame["window_start"] = pd.Timestamp("2025-03-03", tz="UTC")
    out = tmp_path / "risk"
    assert write_dataset(frame.head(10), out, "risk", ["brand"]) == 1
    before = {p: p.read_bytes() for p in out.rglob("*.parquet")}

    broken = frame.assign(note=["fine"] * (rows - 1) + [object()])
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        write_dataset(broken, out, "risk", ["brand", "month"], overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*.parquet")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk"]
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        write_dataset(broken, tmp_path / "fresh", "risk", ["brand"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk"]
