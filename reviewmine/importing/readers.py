"""Streaming readers for CSV, JSON Lines and Parquet: each row as a dict with the line (or row) it starts on.

A row that cannot be parsed on its own (invalid JSON, a JSONL value that is not an object, a CSV row with the
wrong number of fields) comes back as a `RawRow` with ``error`` set, so the importer can abort or skip it.
Problems that make the rest of the file unreadable (wrong encoding, an unclosed quote swallowing the file,
a CSV field over ``MAX_RECORD_CHARS``, a corrupt Parquet row group) raise `InputError` at once: no option can
skip those.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InputError
from .csvscan import END_OF_FILE, long_field_error, unclosed_quote_error
from .files import open_bytes

__all__ = [
    "FORMATS", "MAX_RECORD_CHARS", "PEEK_ROWS", "RawRow", "RowSource", "bom_encoding", "detect_format", "open_source",
]  # fmt: skip

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIX_FORMAT = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
# A record this long is a broken file (typically an unclosed quote), not a review: stop rather than read it all.
MAX_RECORD_CHARS = 10_000_000
# JSON Lines has no header: the columns are the keys seen in this many first objects.
PEEK_ROWS = 1_000
_PARQUET_BATCH = 2_000


@dataclass(slots=True)
class RawRow:
    """One record as read: ``values`` by column, or ``error`` when it could not be parsed.

    ``raw`` is the record's original text (a JSON line; CSV fields, or Parquet values as text, joined by
    U+001F), which ``raw_hash`` is taken from and which the rejects file shows for records without ``values``.
    """

    line: int
    values: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None


@dataclass
class RowSource:
    """An opened file: its columns, its rows (iterate once), and how far reading has got (for progress)."""

    path: Path
    fmt: str
    columns: list[str]
    rows: Iterator[RawRow]
    total: int  # in the unit of position(): bytes of the file on disk, or rows for Parquet
    _position: Any = field(repr=False, default=None)
    _closers: list[Any] = field(repr=False, default_factory=list)

    def position(self) -> int:
        return int(self._position()) if self._position else 0

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer.close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The format named by ``fmt``, else the one the suffix implies (``.gz`` is looked through)."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", where="--format")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = _SUFFIX_FORMAT.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise InputError(f"cannot tell the format from the name; pass --format ({', '.join(FORMATS)})", where=str(path))
    return found


def open_source(path: Path, fmt: str, *, encoding: str = "utf-8", delimiter: str | None = None) -> RowSource:
    """Open ``path`` for streaming; raises InputError when it is missing, empty or unreadable from the start."""
    where = str(path)
    if not path.exists():
        raise InputError("file not found", where=where)
    if path.is_dir():
        raise InputError("is a folder, not a file", where=where)
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", where=where)
    if fmt == "parquet":
        return _open_parquet(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", where="--encoding") from None
    if codecs.lookup(encoding).name == "utf-8":  # the default: a byte-order mark may name another encoding
        encoding = bom_encoding(path) or "utf-8-sig"  # utf-8-sig also reads a file without one
    try:
        raw: BinaryIO = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", where=where) from None
    closers: list[Any] = [raw]
    binary: BinaryIO = raw
    if path.suffix.lower() == ".gz":
        binary = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        closers.append(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline="" if fmt == "csv" else None)
    closers.append(text)
    try:
        if fmt == "csv":
            if delimiter is None:
                delimiter = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
            columns, rows = _csv_rows(text, path, encoding, delimiter)
        else:
            columns, rows = _jsonl_rows(text, path, encoding)
    except BaseException:
        for closer in reversed(closers):
            closer.close()
        raise
    return RowSource(path, fmt, columns, rows, size, raw.tell, closers)


# -- text formats --------------------------------------------------------------------------------------

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one. The codecs named read and drop the mark.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip


def bom_encoding(path: Path) -> str | None:
    """The encoding the file's byte-order mark names (looked for through ``.gz``), None without one.

    A mark is unambiguous, and a UTF-16 or UTF-32 file cannot be read as UTF-8 at all, so the importer follows
    it unless ``--encoding`` names an encoding other than UTF-8.
    """
    try:
        with open_bytes(path) as handle:
            start = handle.read(4)
    except _READ_ERRORS:
        return None  # the reader reports it, with the line
    return next((name for mark, name in _BOMS if start.startswith(mark)), None)


# What a truncated or corrupt .gz (or a failing disk) raises while reading; UnicodeDecodeError is handled apart.
_READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, OSError)


def _read_error(path: Path, line: int, exc: BaseException) -> InputError:
    return InputError(f"cannot read the file ({exc or type(exc).__name__})", where=f"{path}:{line}")


def _encoding_error(path: Path, encoding: str, exc: UnicodeDecodeError) -> InputError:
    """Name the first line that does not decode, so the user can look at it and pick ``--encoding``.

    Lines are counted in the decoded text, so the number is right for UTF-16 and UTF-32 files too.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    line, bad_bytes = 1, exc.object[exc.start : exc.end]
    with open_bytes(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            flag = decoder.getstate()[1]
            try:
                line += decoder.decode(chunk).count("\n")
            except UnicodeDecodeError as bad:  # bad.object: the decoder's buffered bytes + this chunk
                decoder.setstate((b"", flag))
                line += decoder.decode(bad.object[: bad.start]).count("\n")
                bad_bytes = bad.object[bad.start : bad.end]
                break
    name = codecs.lookup(encoding).name.removesuffix("-sig")
    what = f"byte{'s' if len(bad_bytes) > 1 else ''} 0x{bad_bytes.hex()}"
    return InputError(
        f"{what} {'are' if len(bad_bytes) > 1 else 'is'} not valid {name}; pass the file's encoding, e.g. "
        "--encoding cp1252 (or latin-1)",
        where=f"{path}:{line}",
    )


def _csv_rows(text: io.TextIOWrapper, path: Path, encoding: str, delimiter: str) -> tuple[list[str], Iterator[RawRow]]:
    csv.field_size_limit(MAX_RECORD_CHARS)  # process-wide; the per-field limit users see is applied in mapping
    # END_OF_FILE after the last line shows whether the file ended inside a quote (see csvscan)
    reader = csv.reader(itertools.chain(text, (END_OF_FILE,)), delimiter=delimiter)
    try:
        header = next((fields for fields in reader if fields), None)
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc) from None
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV header ({exc})", where=f"{path}:1") from None
    except _READ_ERRORS as exc:
        raise _read_error(path, 1, exc) from None
    if header is None or header == [END_OF_FILE]:
        raise InputError("the file is empty", where=str(path))
    if header[-1].endswith(END_OF_FILE):
        raise unclosed_quote_error(path, header[-1], reader.line_num - 1)
    header_line = reader.line_num
    columns = [name.strip() for name in header]
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise InputError(f"column {name!r} appears twice in the header", where=f"{path}:{header_line}")
        seen.add(name)
    return columns, _csv_iter(reader, columns, path, encoding, delimiter)


def _csv_iter(reader: Any, columns: list[str], path: Path, encoding: str, delimiter: str) -> Iterator[RawRow]:
    width = len(columns)
    previous = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _encoding_error(path, encoding, exc) from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise long_field_error(path, encoding, delimiter, columns, previous + 1, MAX_RECORD_CHARS) from None
            raise InputError(f"cannot parse CSV: {exc}", where=f"{path}:{previous + 1}") from None
        except _READ_ERRORS as exc:
            raise _read_error(path, previous + 1, exc) from None
        line, previous = previous + 1, reader.line_num
        if not fields:
            continue  # a blank line
        if fields[-1].endswith(END_OF_FILE):
            if len(fields) == 1 and fields[0] == END_OF_FILE:
                return  # the file ended after a complete row
            raise unclosed_quote_error(path, fields[-1], reader.line_num - 1)
        if len(fields) == width:
            yield RawRow(line, dict(zip(columns, fields, strict=True)), None, "\x1f".join(fields))
        elif len(fields) > width and not any(fields[width:]):  # trailing delimiters
            yield RawRow(line, dict(zip(columns, fields[:width], strict=True)), None, "\x1f".join(fields[:width]))
        else:
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter).writerow(fields)
            reason = f"{len(fields)} fields, but the header has {width} columns"
            yield RawRow(line, None, reason, buffer.getvalue().rstrip("\r\n"))


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}


def _jsonl_rows(text: io.TextIOWrapper, path: Path, encoding: str) -> tuple[list[str], Iterator[RawRow]]:
    rows = _jsonl_iter(text, path, encoding)
    peeked = list(itertools.islice(rows, PEEK_ROWS))
    columns: dict[str, None] = {}
    for row in peeked:
        if row.values is not None:
            columns.update(dict.fromkeys(row.values))
    if not peeked:
        raise InputError("the file is empty", where=str(path))
    if not columns:
        first = peeked[0]
        raise InputError(
            f"no JSON object in the first {len(peeked):,} records; the first problem: {first.error}",
            where=f"{path}:{first.line}",
        )
    return list(columns), itertools.chain(peeked, rows)


def _jsonl_iter(text: io.TextIOWrapper, path: Path, encoding: str) -> Iterator[RawRow]:
    loads = json.loads
    line = 0
    try:
        for record in text:
            line += 1
            if len(record) > MAX_RECORD_CHARS:
                reason = f"the line is {len(record):,} characters long; the limit is {MAX_RECORD_CHARS:,}"
                yield RawRow(line, None, reason, record[:1000])
                continue
            if not record.strip():
                continue
            try:
                value = loads(record)
            except json.JSONDecodeError as exc:
                yield RawRow(line, None, f"invalid JSON: {exc.msg} (column {exc.colno})", record.rstrip("\r\n"))
                continue
            if isinstance(value, dict):
                yield RawRow(line, value, None, record.rstrip("\r\n"))
            else:
                kind = "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)
                yield RawRow(line, None, f"expected a JSON object, got {kind}", record.rstrip("\r\n"))
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc) from None
    except _READ_ERRORS as exc:
        raise _read_error(path, line, exc) from None


# -- Parquet -------------------------------------------------------------------------------------------


def _open_parquet(path: Path) -> RowSource:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", where=str(path)) from None
    columns = list(parquet.schema_arrow.names)
    done = [0]
    source = RowSource(path, "parquet", columns, iter(()), parquet.metadata.num_rows, lambda: done[0], [parquet])
    source.rows = _parquet_iter(parquet, path, done)
    return source


def _parquet_iter(parquet: Any, path: Path, done: list[int]) -> Iterator[RawRow]:
    import pyarrow as pa

    # One thread: no faster for batches this small, and it keeps fewer decode buffers alive (less memory).
    batches = parquet.iter_batches(batch_size=_PARQUET_BATCH, use_threads=False)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot read Parquet rows ({exc})", where=f"{path}:{done[0] + 1}") from None
        start = done[0]
        for offset, values in enumerate(batch.to_pylist(), start + 1):
            raw = "\x1f".join("" if v is None else str(v) for v in values.values())
            yield RawRow(offset, values, None, raw)
        done[0] = start + batch.num_rows
