"""Importing reviews from CSV, JSON Lines and Parquet files into the store (``reviewmine import``).

One import is one write transaction, fed in batches so memory stays flat however big the file is. The first
bad row aborts it (``InputError`` naming ``file:line``) and nothing is written, unless a rejects file is given:
then bad rows go there with their reasons and the good ones are imported. Each import is recorded as a run.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..records import Review, utcnow
from .mapping import RowConverter, RowError, parse_mapping, parse_rating_scale, resolve_columns
from .readers import FORMATS, RawRow, RowSource, detect_format, open_source
from .rejects import RejectsWriter

if TYPE_CHECKING:
    from ..store.db import Connection, Store

__all__ = ["FORMATS", "ImportResult", "import_file", "parse_mapping", "parse_rating_scale"]

BATCH_ROWS = 2_000
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class ImportResult:
    """What one import did. ``rows`` counts records read (blank ones excluded), good or rejected.

    ``duplicates`` are rows whose review key repeats an earlier row of the same batch (the last one wins);
    ``blank`` rows had no value at all and were skipped silently.
    """

    path: str
    format: str
    brand: str
    source: str
    run_id: int | None = None
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    blank: int = 0
    seconds: float = 0.0
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rejects_path: str | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["rows_per_s"] = round(self.rows_per_s, 1)
        return data

    def summary(self) -> str:
        """The one-line summary the CLI prints."""
        parts = [
            f"{self.rows:,} rows read", f"{self.new:,} new", f"{self.updated:,} updated",
            f"{self.unchanged:,} unchanged", f"{self.rejected:,} rejected",
        ]  # fmt: skip
        if self.duplicates:
            parts.append(f"{self.duplicates:,} duplicates")
        return f"imported {self.path}: {', '.join(parts)} in {self.seconds:.1f} s ({self.rows_per_s:,.0f} rows/s)"


def import_file(
    store: Store,
    path: str | os.PathLike[str],
    *,
    brand: str,
    source: str = "file",
    fmt: str | None = None,
    mapping: Mapping[str, str] | Iterable[str] | None = None,
    extra_columns: Iterable[str] = (),
    rating_scale: tuple[float, float] | str = (1.0, 5.0),
    encoding: str = "utf-8",
    delimiter: str | None = None,
    date_format: str | None = None,
    skip_bad: str | os.PathLike[str] | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one file of reviews about ``brand`` under ``source``; see docs/import.md.

    ``mapping`` is ``{"body": "Text"}`` or ``["body=Text"]``; ``skip_bad`` is the rejects file (None: the
    first bad row aborts with InputError). ``progress(done, total)`` is called after each batch.
    """
    started = time.perf_counter()
    path = Path(path)
    brand = brand.strip()
    if not brand:
        raise InputError("the brand is empty", where="--brand")
    if not _SOURCE_NAME.match(source):
        raise InputError(f"{source!r} is not a source name (letters, digits, _ . -)", where="--source")
    if isinstance(mapping, Mapping):
        mapping = [f"{field_name}={column}" for field_name, column in mapping.items()]
    overrides = parse_mapping(mapping or [])
    scale = parse_rating_scale(rating_scale) if isinstance(rating_scale, str) else rating_scale
    if delimiter is not None and len(delimiter) != 1:
        raise InputError(f"{delimiter!r} is not one character", where="--delimiter")
    if batch_rows <= 0:
        raise ValueError("batch_rows must be positive")
    if skip_bad is not None and Path(skip_bad).resolve() == path.resolve():
        raise InputError("the rejects file cannot be the file being imported", where="--skip-bad")
    fmt = detect_format(path, fmt)
    with open_source(path, fmt, encoding=encoding, delimiter=delimiter) as src:
        columns = resolve_columns(src.columns, overrides, where=str(path))
        extra = _extra_columns(list(extra_columns), src.columns, columns, where=str(path))
        result = ImportResult(
            str(path), fmt, brand, source, columns=columns,
            ignored_columns=[c for c in src.columns if c and c not in columns.values() and c not in extra],
        )  # fmt: skip
        converter = RowConverter(
            columns, brand=brand, source=source, rating_scale=scale, extra_columns=extra, date_format=date_format,
            fetched_at=utcnow(),
        )  # fmt: skip
        locator = str(path.resolve())
        result.run_id = store.start_run("import", brand=brand, source=source, locator=locator)
        rejects: RejectsWriter | None = None
        try:
            rejects = RejectsWriter(Path(skip_bad), src.columns) if skip_bad is not None else None
            with store.write() as conn:
                target_id = store.target_id(conn, brand, source, locator)
                writer = _BatchWriter(store, conn, target_id, result, rejects, batch_rows)
                _stream(src, converter, writer, progress)
        except BaseException as exc:
            if rejects:
                rejects.discard()
            status = "failed" if isinstance(exc, Exception) else "interrupted"
            errors = [{"where": exc.where, "error": exc.reason}] if isinstance(exc, InputError) else []
            message = str(exc) or type(exc).__name__
            store.finish_run(result.run_id, status, fetched=result.rows, errors=errors, message=message)
            raise
        if rejects:
            rejects.commit()
            result.rejects_path = str(rejects.path)
    result.seconds = time.perf_counter() - started
    store.finish_run(
        result.run_id, "ok", fetched=result.rows, new=result.new, updated=result.updated,
        errors=rejects.sample if rejects else [], message=result.summary(),
    )  # fmt: skip
    return result


def _stream(
    src: RowSource, converter: RowConverter, writer: _BatchWriter, progress: Callable[[int, int], None] | None
) -> None:
    """Convert each row into a review and hand it to ``writer``; rows that cannot be converted are rejected."""
    convert = converter.convert
    for raw in src.rows:
        if raw.error is not None:
            writer.reject(raw, raw.error)
            continue
        try:
            review = convert(raw.values, raw.raw)  # type: ignore[arg-type]
        except RowError as exc:
            writer.reject(raw, str(exc))
            continue
        if review is None:
            writer.result.blank += 1
        elif writer.add(raw, review) and progress:
            progress(src.position(), src.total)
    writer.flush()


class _BatchWriter:
    """Upserts reviews in batches inside the import's transaction; a bad row aborts or goes to the rejects.

    Before each batch it looks for review keys already stored under another brand: with ``source:id`` keys,
    two files whose ids are row numbers would otherwise silently overwrite each other's reviews.
    """

    def __init__(
        self,
        store: Store,
        conn: Connection,
        target_id: int,
        result: ImportResult,
        rejects: RejectsWriter | None,
        batch_rows: int,
    ) -> None:
        self.store, self.conn, self.target_id, self.result = store, conn, target_id, result
        self.rejects, self.batch_rows = rejects, batch_rows
        self.brand_id = store.brand_id(conn, result.brand)
        self.pending: list[tuple[RawRow, Review]] = []

    def reject(self, raw: RawRow, error: str, *, counted: bool = False) -> None:
        if not counted:
            self.result.rows += 1
        if self.rejects is None:
            raise InputError(error, where=f"{self.result.path}:{raw.line}")
        self.rejects.write(raw, error)
        self.result.rejected += 1

    def add(self, raw: RawRow, review: Review) -> bool:
        """Queue one review; True when that filled a batch and it was written."""
        self.result.rows += 1
        self.pending.append((raw, review))
        if len(self.pending) < self.batch_rows:
            return False
        self.flush()
        return True

    def flush(self) -> None:
        if not self.pending:
            return
        keys = [review.key for _, review in self.pending if review.source_review_id]
        clashes = self.store.keys_of_other_brands(self.conn, keys, self.brand_id)
        batch = []
        for raw, review in self.pending:
            other = clashes.get(review.key)
            if other is None:
                batch.append(review)
                continue
            self.reject(
                raw,
                f"review id {review.source_review_id!r} is already stored for brand {other!r} under source "
                f"{review.source!r}; ids must be unique within a source: import with --source NAME",
                counted=True,
            )
        self.pending.clear()
        counts = self.store.upsert_reviews(self.conn, batch, target_id=self.target_id)
        self.result.new += counts.new
        self.result.updated += counts.updated
        self.result.unchanged += counts.unchanged
        self.result.duplicates += len(batch) - counts.seen


def _extra_columns(wanted: list[str], columns: list[str], mapped: Mapping[str, str], *, where: str) -> list[str]:
    """The columns to keep in ``Review.extra``: those named, or every unmapped one for ``*``."""
    if "*" in wanted:
        return [c for c in columns if c and c not in mapped.values()]
    missing = [c for c in wanted if c not in columns]
    if missing:
        found = ", ".join(repr(c) for c in columns if c)
        raise InputError(f"--extra {missing[0]}: no such column; columns found: {found}", where=where)
    return wanted
