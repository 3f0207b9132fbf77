"""Lake mode: ``reviewmine analyze --engine ray --input DIR_OR_GLOB --output DIR``: Parquet reviews in, sentence
tags out as a partitioned Parquet dataset, with no database in between (docs/scaling.md).

Ray Data reads the input on the workers, the `ray_engine.TaggerActor` pool tags it with the same code and model as
`reviewmine analyze`, and the workers write the sentences under ``DIR/brand=<brand>/month=<YYYY-MM>/`` (hive style,
read directly by DuckDB, Spark, pandas and `pyarrow.dataset`). Paths may be local or any URL pyarrow or fsspec
reads (``s3://...``, ``gs://...``); every worker must reach them.

Input: one row per review with at least ``REQUIRED`` (``published_at`` a timestamp or an ISO 8601 string, taken as
UTC when it has no zone); ``OPTIONAL`` columns are used when present; others are ignored. Output: one row per
sentence, the columns of `columns.SENTENCE_COLUMNS` (``brand`` and ``month`` in the folder names) plus the review's
``language``, ``review_score`` and ``review_label``. Reviews with no text or in another language have no
sentences, so no rows.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..columns import catpol_col, decode_tags
from ..errors import InputError, UsageError
from ..taxonomy import CATEGORIES, POLARITIES
from .inference import read_model_version
from .ray_cluster import RayCluster, RayEngineError, RaySettings
from .ray_engine import TaggerActor

if TYPE_CHECKING:
    import pyarrow as pa

    from .analyze import TaggedReview

__all__ = ["OPTIONAL", "PARTITION_COLUMNS", "REQUIRED", "LakeReport", "analyze_lake", "sentence_table"]

REQUIRED = ("review_key", "brand", "published_at", "body")
OPTIONAL = ("title", "language", "source", "rating_normalised")
PARTITION_COLUMNS = ("brand", "month")


@dataclass(slots=True)
class LakeReport:
    """What one lake run wrote."""

    model_version: str
    output: str
    reviews: int = 0
    sentences: int = 0
    files: int = 0
    actors: int = 0
    seconds: float = 0.0

    def message(self) -> str:
        return (
            f"tagged {self.reviews:,} reviews with {self.model_version} on {self.actors} Ray actors: "
            f"{self.sentences:,} sentences in {self.files:,} files under {self.output} (by brand and month)"
        )


def input_paths(spec: str) -> list[str]:
    """The Parquet files or folders ``spec`` names: a path, a folder, a URL, or a glob (local or fsspec)."""
    if not any(ch in spec for ch in "*?["):
        return [spec]
    if "://" in spec:
        from fsspec.core import url_to_fs

        filesystem, pattern = url_to_fs(spec)
        protocol = spec.split("://", 1)[0]
        found = [f"{protocol}://{path}" for path in sorted(filesystem.glob(pattern))]
    else:
        found = sorted(glob.glob(spec, recursive=True))
    if not found:
        raise InputError("no files match", where=f"--input {spec}")
    return found


def check_input(paths: list[str], spec: str) -> tuple[list[str], int]:
    """(the input columns to read, the number of reviews, from the footers); an InputError naming the first
    required column that is missing."""
    import pyarrow.dataset as pads

    try:
        dataset = pads.dataset(paths if len(paths) > 1 else paths[0], format="parquet", partitioning="hive")
        schema, rows = dataset.schema, dataset.count_rows()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise InputError(f"cannot read it as Parquet ({str(exc).splitlines()[0]})", where=f"--input {spec}") from None
    for column in REQUIRED:
        if column not in schema.names:
            raise InputError(
                f"missing column {column!r} (required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})",
                where=f"--input {spec}",
            )
    return [name for name in (*REQUIRED, *OPTIONAL) if name in schema.names], rows


def check_output(output: str) -> None:
    """The output must be a new or empty folder: a second run would otherwise add a second copy of every tag."""
    import pyarrow.fs as pafs

    try:
        filesystem, path = pafs.FileSystem.from_uri(output) if "://" in output else (pafs.LocalFileSystem(), output)
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            return
        if info.type != pafs.FileType.Directory:
            raise UsageError("exists and is not a folder", where="--output")
        if filesystem.get_file_info(pafs.FileSelector(path, recursive=False)):
            raise UsageError("is not empty: write the tags into a new folder (or remove it first)", where="--output")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot use it ({str(exc).splitlines()[0]})", where=f"--output {output}") from None


def analyze_lake(settings: RaySettings, spec: str, output: str) -> LakeReport:
    """Tag every review of the Parquet dataset ``spec`` and write its sentences under ``output`` (see the module)."""
    import pyarrow.dataset as pads
    import ray
    import ray.data

    paths = input_paths(spec)
    columns, rows = check_input(paths, spec)
    check_output(output)
    version = read_model_version(settings.model)
    report = LakeReport(version, output, reviews=rows)
    if not rows:
        return report
    started = time.perf_counter()
    # One CPU stays free of actors: Ray Data lists, reads and writes files in tasks that would wait behind them.
    with RayCluster(settings, version, reserve_cpus=1) as cluster:
        report.actors = cluster.actors
        reviews = ray.data.read_parquet(paths if len(paths) > 1 else paths[0], num_cpus=0).select_columns(columns)
        # Blocks of one chunk each: a file is one block per row group, and one block keeps one actor busy at most.
        reviews = reviews.repartition(target_num_rows_per_block=settings.chunk_size)
        tagged = reviews.map_batches(TaggerActor, **cluster.map_options(settings.chunk_size, lake=True))
        try:
            tagged.write_parquet(output, partition_cols=list(PARTITION_COLUMNS), ray_remote_args={"num_cpus": 0})
        except ray.exceptions.RayError as exc:
            raise RayEngineError(f"the Ray run failed: {str(exc).strip().splitlines()[0]}") from None
    written = pads.dataset(output, format="parquet", partitioning="hive")
    report.sentences = written.count_rows()
    report.files = len(written.files)
    report.seconds = time.perf_counter() - started
    return report


def sentence_table(tagged: Sequence[TaggedReview], batch: pa.Table, version: str) -> pa.Table:
    """One row per sentence of the tagged reviews of ``batch``: `columns.SENTENCE_COLUMNS` (the bitmasks the store
    keeps, decoded as `store.sentences.sentences_frame` does), the review's language, score and label, and month."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    owner = [i for i, (_, sentences) in enumerate(tagged) for _ in sentences]
    rows = [row for _, sentences in tagged for row in sentences]
    take = pa.array(owner, pa.int64())
    published = _utc_timestamps(batch.column("published_at")).take(take)

    def review_column(name: str, kind: pa.DataType) -> pa.Array:
        if name not in batch.column_names:
            return pa.nulls(len(rows), kind)
        return pc.cast(batch.column(name).combine_chunks().take(take), kind)

    analyses = [analysis for analysis, _ in tagged]
    data: dict[str, Any] = {
        "review_key": review_column("review_key", pa.string()),
        "brand": review_column("brand", pa.string()),
        "source": review_column("source", pa.string()),
        "published_at": published,
        "rating_normalised": review_column("rating_normalised", pa.float64()),
        "model_version": pa.array([version] * len(rows), pa.string()),
        "sentence_idx": pa.array([row[1] for row in rows], pa.int32()),
        "text": pa.array([row[2] for row in rows], pa.string()),
        "polarity": pa.array([POLARITIES[row[3]] for row in rows], pa.string()),
        "score": pa.array([row[4] for row in rows], pa.float64()),
    }
    codes = np.array([row[5:] for row in rows], np.int64).reshape(len(rows), 5)
    families = dict(zip(("categories", "category_polarity", "emotions", "ekman", "loyalty"), codes.T, strict=True))
    polarity_columns = {catpol_col(category) for category in CATEGORIES}
    names = np.array([*POLARITIES, None], dtype=object)  # code -1 (not mentioned) picks the last: None
    for column, values in decode_tags(families).items():
        data[column] = pa.array(names[values], pa.string()) if column in polarity_columns else values
    data["language"] = pa.array([analyses[i].language for i in owner], pa.string())
    data["review_score"] = pa.array([analyses[i].score for i in owner], pa.float64())
    data["review_label"] = pa.array([analyses[i].label for i in owner], pa.string())
    data["month"] = pc.strftime(published, format="%Y-%m")
    return pa.table(data)


def _utc_timestamps(values: Any) -> pa.Array:
    """``published_at`` as timestamp[us, UTC]: a timestamp (a zone-less one taken as UTC), a date or an ISO string."""
    import pandas as pd
    import pyarrow as pa

    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    utc = pa.timestamp("us", tz="UTC")
    if pa.types.is_timestamp(values.type):
        return values.cast(pa.timestamp("us", tz=values.type.tz or "UTC")).cast(utc)
    if pa.types.is_date(values.type):
        return values.cast(pa.timestamp("us")).cast(utc)
    try:
        parsed = pd.to_datetime(pd.Series(values.to_pylist(), dtype=object), utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise InputError(f"published_at: not a timestamp or an ISO 8601 date ({exc})", where="--input") from None
    return pa.array(parsed.dt.as_unit("us"), utc)
