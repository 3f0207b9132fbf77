"""Lake mode: ``reviewmine analyze --engine ray --input DIR_OR_GLOB --output DIR``: Parquet reviews in, sentence
tags out as a partitioned Parquet dataset, with no database in between (docs/scaling.md).

Ray Data reads the input on the workers, the `ray_engine.TaggerActor` pool tags it with the same code and model as
`reviewmine analyze`, and the workers write the sentences under ``DIR/brand=<brand>/month=<YYYY-MM>/`` (hive style,
read directly by DuckDB, Spark, pandas and `pyarrow.dataset`). Paths may be local or any URL pyarrow or fsspec
reads (``file://``, ``s3://...``, ``gs://...``), resolved once by `lake_files`; every worker must reach them. The
output appears whole or not at all (staged, then moved into place, then ``_SUCCESS``).

Input: one row per review with at least ``REQUIRED`` (``published_at`` a timestamp or an ISO 8601 string, taken as
UTC when it has no zone); ``OPTIONAL`` columns are used when present; others are ignored. Output: one row per
sentence, the columns of `columns.SENTENCE_COLUMNS` (``brand`` and ``month`` in the folder names) plus the review's
``language``, ``review_score`` and ``review_label``. Reviews with no text or in another language have no
sentences, so no rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..columns import catpol_col, decode_tags
from ..errors import InputError
from ..taxonomy import CATEGORIES, POLARITIES
from .inference import read_model_version
from .lake_files import STAGING, Location, commit, discard, input_paths, locate, mark_success, prepare_output
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
    replaced_partial: bool = False  # the output held an interrupted run's staged files, now replaced

    def message(self) -> str:
        replaced = "replaced an interrupted run's unfinished output; " if self.replaced_partial else ""
        return replaced + (
            f"tagged {self.reviews:,} reviews with {self.model_version} on {self.actors} Ray actors: "
            f"{self.sentences:,} sentences in {self.files:,} files under {self.output} (by brand and month)"
        )


def check_input(location: Location) -> tuple[list[str], list[str], int]:
    """(the Parquet paths, the input columns to read, the number of reviews from the footers); an InputError
    naming the first required column that is missing."""
    import pyarrow.dataset as pads

    paths = input_paths(location)
    try:
        dataset = pads.dataset(
            paths if len(paths) > 1 else paths[0], filesystem=location.filesystem, format="parquet",
            partitioning="hive",
        )  # fmt: skip
        schema, rows = dataset.schema, dataset.count_rows()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise InputError(f"cannot read it as Parquet ({str(exc).splitlines()[0]})", where=location.where) from None
    for column in REQUIRED:
        if column not in schema.names:
            raise InputError(
                f"missing column {column!r} (required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})",
                where=location.where,
            )
    return paths, [name for name in (*REQUIRED, *OPTIONAL) if name in schema.names], rows


def analyze_lake(settings: RaySettings, spec: str, output: str) -> LakeReport:
    """Tag every review of the Parquet dataset ``spec`` and write its sentences under ``output`` (see the module).

    Both are resolved once (`lake_files.locate`) and the filesystem handed to Ray Data's read and write. The tags
    are staged under ``output/_temporary/<run>/`` and moved into place at the end, then ``_SUCCESS`` is written: an
    interrupted or failed run leaves nothing readers see, and the next run into ``output`` starts over.
    """
    import pyarrow.dataset as pads

    source = locate(spec, "--input")
    paths, columns, rows = check_input(source)
    target = locate(output, "--output")
    leftover = prepare_output(target)
    version = read_model_version(settings.model)
    report = LakeReport(version, output, reviews=rows, replaced_partial=leftover)
    started = time.perf_counter()
    staged = target.join(STAGING, uuid.uuid4().hex)
    if rows:
        try:
            report.actors = _tag_and_write(settings, version, source, paths, columns, target, staged)
        except BaseException:
            discard(target, staged)
            raise
    commit(target, staged)
    written = pads.dataset(target.path, filesystem=target.filesystem, format="parquet", partitioning="hive")
    report.sentences, report.files = written.count_rows(), len(written.files)
    report.seconds = time.perf_counter() - started
    mark_success(target, {
        "model_version": version, "input": spec, "reviews": report.reviews, "sentences": report.sentences,
        "files": report.files, "seconds": round(report.seconds, 2),
    })  # fmt: skip
    return report


def _tag_and_write(
    settings: RaySettings, version: str, source: Location, paths: list[str], columns: list[str], target: Location,
    staged: str,
) -> int:  # fmt: skip
    """Read, tag and write on Ray; the number of actors."""
    import ray
    import ray.data

    # One CPU stays free of actors: Ray Data lists, reads and writes files in tasks that would wait behind them.
    with RayCluster(settings, version, reserve_cpus=1) as cluster:
        reviews = ray.data.read_parquet(
            paths if len(paths) > 1 else paths[0], filesystem=source.filesystem, num_cpus=0
        ).select_columns(columns)
        # Blocks of one chunk each: a file is one block per row group, and one block keeps one actor busy at most.
        reviews = reviews.repartition(target_num_rows_per_block=settings.chunk_size)
        tagged = reviews.map_batches(TaggerActor, **cluster.map_options(settings.chunk_size, lake=True))
        try:
            tagged.write_parquet(
                staged, filesystem=target.filesystem, partition_cols=list(PARTITION_COLUMNS),
                ray_remote_args={"num_cpus": 0},
            )  # fmt: skip
        except ray.exceptions.RayError as exc:
            raise RayEngineError(f"the Ray run failed: {str(exc).strip().splitlines()[0]}") from None
        return cluster.actors


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
