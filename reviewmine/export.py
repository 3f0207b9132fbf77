"""Writing DataFrames to CSV, JSON Lines or Parquet, to a file or stdout, and tables to hive-partitioned Parquet
datasets (``brand=Acme/month=2025-03/part-0.parquet``) that DuckDB, Spark, pandas and pyarrow read directly."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import atomic_writer
from .errors import InputError, UsageError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["FORMATS", "check_dataset_target", "check_partition_by", "partition_columns", "write_dataset", "write_frame"]

FORMATS = ("csv", "jsonl", "parquet")
MONTH = "month"
"""The derived partition column: ``YYYY-MM`` (UTC) of the table's date column (`DATE_COLUMNS`)."""
UNDATED, UNKNOWN = "undated", "unknown"
"""Partition values of rows without a date / without a key value. Not hive's ``__HIVE_DEFAULT_PARTITION__``
(null): pyarrow gives pandas.read_parquet null partition values it cannot turn into a DataFrame."""
DATE_COLUMNS: dict[str, str] = {
    "reviews": "published_at", "sentences": "published_at", "metrics": "period_start", "emotions": "period_start",
    "loyalty": "period_start", "replies": "period_start", "risk": "window_start", "events": "period_start",
    "nps": "period_start", "value": "period_start", "value_categories": "period_start",
}  # fmt: skip
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "reviews": ("brand", "source", "language"),
    "sentences": ("brand", "source", "model_version"),
    "metrics": ("brand", "category"),
    "emotions": ("brand", "category"),
    "loyalty": ("brand", "category"),
    "replies": ("brand", "source"),
    "coverage": ("brand", "source"),
    "risk": ("brand", "category"),
    "events": ("brand", "category", "kind"),
    "drivers": ("brand", "target", "category"),
    "quadrant": ("brand", "target", "category"),
    "subthemes": ("category", "polarity"),
    "nps": ("brand", "segment_by", "segment"),
    "nps_drivers": ("brand", "family"),
    "value": ("brand",),
    "value_categories": ("brand", "category"),
}
"""Low-cardinality string columns of each export table that make sensible partition folders."""
_CHUNK_ROWS = 65_536
"""Rows converted from pandas at a time; also the row group size (a batch is written as it comes)."""
_SIDE_FILES = ("_SUCCESS", "_common_metadata", "_metadata")


def write_frame(frame: pd.DataFrame, path: Path | None, fmt: str) -> None:
    """Write ``frame`` as ``fmt``; ``path`` None means stdout (not for Parquet). Writes atomically to files."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if path is None:
        if fmt == "parquet":
            raise InputError("Parquet needs a file: pass -o FILE.parquet")
        _write(frame, sys.stdout, fmt)
        return
    with atomic_writer(path, binary=fmt == "parquet") as handle:
        if fmt == "parquet":
            frame.to_parquet(handle, index=False)
        else:
            _write(frame, handle, fmt)


def _write(frame: pd.DataFrame, handle: object, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(handle, index=False)
    else:
        frame.to_json(handle, orient="records", lines=True, date_format="iso", force_ascii=False)


def partition_columns(table: str) -> tuple[str, ...]:
    """The columns ``table`` can be partitioned by: its key columns, and ``month`` when it has a date column."""
    return KEY_COLUMNS.get(table, ()) + ((MONTH,) if table in DATE_COLUMNS else ())


def check_partition_by(table: str, names: Sequence[str]) -> list[str]:
    """``names`` (each may be comma-separated) as a list of partition columns of ``table``; UsageError otherwise."""
    columns = [part.strip() for name in names for part in name.split(",") if part.strip()]
    allowed = partition_columns(table)
    possible = f"{table} can be partitioned by {', '.join(allowed)}" if allowed else f"{table} has no partition columns"
    for column in columns:
        if column not in allowed:
            raise UsageError(f"cannot partition {table} by {column!r}; {possible}", where="--partition-by")
        if columns.count(column) > 1:
            raise UsageError(f"{column} is named twice", where="--partition-by")
    if not columns:
        raise UsageError(f"name at least one column; {possible}", where="--partition-by")
    return columns


def check_dataset_target(directory: Path, *, overwrite: bool) -> None:
    """Refuse (InputError) a target that is a file, a non-empty folder without ``overwrite``, or (even with it) a
    folder that holds anything but a Parquet dataset, so ``-o ~/Documents --overwrite`` deletes nothing."""
    directory = Path(os.path.abspath(directory))
    if not directory.name:
        raise InputError("name a folder to write the dataset into", where=str(directory))
    if not directory.parent.is_dir():
        raise InputError(f"folder {directory.parent} does not exist", where=str(directory))
    if directory.exists() and not directory.is_dir():
        raise InputError("is a file; a partitioned export writes a folder", where=str(directory))
    if not directory.is_dir() or not any(directory.iterdir()):
        return
    if not overwrite:
        raise InputError("folder exists and is not empty; pass --overwrite to replace it", where=str(directory))
    stranger = _not_dataset_entry(directory)
    if stranger is not None:
        raise InputError(f"not a Parquet dataset ({stranger} is in it); not replacing it", where=str(directory))


def _not_dataset_entry(directory: Path) -> Path | None:
    """The first file or folder under ``directory`` that a hive-partitioned Parquet dataset would not hold."""
    for root, folders, files in os.walk(directory):
        for folder in folders:
            if "=" not in folder:
                return Path(root, folder)
        for name in files:
            if not (name.endswith(".parquet") or name in _SIDE_FILES or name.endswith(".crc")):
                return Path(root, name)
    return None


def write_dataset(
    frame: pd.DataFrame, directory: Path, table: str, partition_by: Sequence[str], *, overwrite: bool = False
) -> int:
    """Write ``frame`` (export table ``table``) as a hive-partitioned Parquet dataset at ``directory``; returns
    the number of files. Written into ``<directory>.partial-<random>`` beside it, fsynced, then renamed into
    place, so readers see the old dataset or the whole new one, never part of one."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    columns = check_partition_by(table, partition_by)
    directory = Path(os.path.abspath(directory))
    check_dataset_target(directory, overwrite=overwrite)
    schema, batches = _batches(frame, table, columns)
    partial = directory.with_name(f"{directory.name}.partial-{secrets.token_hex(4)}")
    try:
        ds.write_dataset(
            pa.RecordBatchReader.from_batches(schema, batches),
            partial,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([schema.field(c) for c in columns]), flavor="hive"),
            basename_template="part-{i}.parquet",
            max_partitions=1 << 20,
            use_threads=False,  # in order: sorted input fills one partition's file after another
            max_rows_per_file=4 * 1024 * 1024,
            max_rows_per_group=_CHUNK_ROWS,
        )
        partial.mkdir(exist_ok=True)  # no rows: an empty dataset is an empty folder
        files = _fsync_tree(partial)
        _move_into_place(partial, directory, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return files


def _batches(frame: pd.DataFrame, table: str, columns: list[str]) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and record batches of ``frame`` in partition order, converted a chunk at a time (Arrow never
    holds a second copy of the whole table; sorted, each partition's rows reach the writer together) with
    portable types: plain strings, timestamp[us, UTC], partition values as strings, ``month`` from the date."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = [pa.field(name, _portable(_arrow_type(frame[name]))) for name in frame.columns]
    fields = [pa.field(f.name, pa.string()) if f.name in columns else f for f in fields]
    if MONTH in columns:
        fields.append(pa.field(MONTH, pa.string()))
    schema = pa.schema(fields, metadata=_pandas_metadata(frame, schema_types={f.name: f.type for f in fields}))

    date = DATE_COLUMNS.get(table)
    sort_keys = []  # np.lexsort: last key sorts first
    for column in reversed(columns):
        if column == MONTH:
            stamps = frame[date] if isinstance(frame[date].dtype, pd.DatetimeTZDtype) else None
            stamps = pd.to_datetime(frame[date], utc=True) if stamps is None else stamps
            sort_keys.append(stamps.array.asi8)  # a view, not a copy; undated (NaT) sorts first
        else:
            sort_keys.append(pd.factorize(frame[column], sort=True, use_na_sentinel=False)[0])
    order = np.lexsort(sort_keys) if sort_keys else np.arange(len(frame))

    def batches() -> Iterator[pa.RecordBatch]:
        for start in range(0, len(frame), _CHUNK_ROWS):
            chunk = frame.take(order[start : start + _CHUNK_ROWS])
            batch = pa.RecordBatch.from_pandas(chunk, preserve_index=False)
            arrays = []
            for field in schema:
                if field.name == MONTH:
                    stamps = pc.cast(batch.column(date), pa.timestamp("us", tz="UTC"), safe=False)
                    arrays.append(pc.fill_null(pc.strftime(stamps, format="%Y-%m"), UNDATED))
                    continue
                array = _cast(batch.column(field.name), field.type)
                arrays.append(pc.fill_null(array, UNKNOWN) if field.name in columns else array)
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return schema, batches()


def _arrow_type(column: pd.Series) -> pa.DataType:
    """The Arrow type of a column, inferred from its first non-null values when it holds Python objects."""
    import pyarrow as pa

    kind = pa.Schema.from_pandas(column.head(0).to_frame(), preserve_index=False).field(0).type
    if pa.types.is_null(kind):
        kind = pa.infer_type(column.dropna().head(1_000).tolist(), from_pandas=True)  # a Series would need index 0
    return kind


def _portable(kind: pa.DataType) -> pa.DataType:
    """The type readers everywhere agree on: dictionaries decoded, 32-bit string offsets, timestamps in
    microseconds UTC (Spark reads no nanoseconds), all-null text columns as strings."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return pa.string()
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC")
    return kind


def _cast(array: pa.Array, kind: pa.DataType) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    if array.type == kind:
        return array
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return pc.cast(array, kind, safe=not pa.types.is_timestamp(kind))  # ns -> us truncates sub-microseconds


def _pandas_metadata(frame: pd.DataFrame, schema_types: dict[str, pa.DataType]) -> dict[bytes, bytes]:
    """pandas' schema metadata of the columns as written (categories as their values, text as str), so
    pandas.read_parquet gives back nullable integers and booleans (Int64, boolean), not floats and objects."""
    import pyarrow as pa

    empty = frame.head(0).copy()
    for name in empty.columns:
        if hasattr(empty[name], "cat"):
            empty[name] = empty[name].astype(empty[name].cat.categories.dtype)
        if pa.types.is_string(schema_types[name]) and empty[name].dtype == object:
            empty[name] = empty[name].astype(str)
    return pa.Schema.from_pandas(empty, preserve_index=False).metadata or {}


def _fsync_tree(root: Path) -> int:
    """fsync every file and folder under ``root`` (a crash after the rename must not leave empty files)."""
    files = 0
    for folder, _, names in os.walk(root, topdown=False):
        for name in names:
            with open(Path(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
            files += 1
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return files


def _move_into_place(partial: Path, directory: Path, *, overwrite: bool) -> None:
    """Rename ``partial`` to ``directory``. An existing dataset (``overwrite``) is first renamed aside and
    deleted after: readers meanwhile find the old dataset, no folder, or the new one."""
    try:
        os.rename(partial, directory)  # replaces a missing or empty folder
        return
    except OSError:
        if not (overwrite and directory.is_dir()):
            raise InputError("folder appeared while writing; not replacing it", where=str(directory)) from None
    aside = directory.with_name(f"{directory.name}.old-{secrets.token_hex(4)}")
    os.rename(directory, aside)
    try:
        os.rename(partial, directory)
    except BaseException:
        os.rename(aside, directory)
        raise
    shutil.rmtree(aside, ignore_errors=True)
