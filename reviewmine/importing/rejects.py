"""The rejects file of ``--skip-bad``: every row that was not imported, with its line and the reason.

CSV by default (``_line``, ``_error``, the file's columns, then ``_raw`` holding the original text of a row that
could not be split into columns); JSON Lines when the name ends in ``.jsonl``/``.ndjson`` (the original object
with ``_line`` and ``_error`` added, or ``_raw``). Written to ``NAME.partial`` and renamed only when the import
commits, so a failed import never leaves a rejects file that describes rows which were not imported either.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .readers import RawRow

__all__ = ["RejectsWriter"]


class RejectsWriter:
    """Streams rejected rows to a temporary file; ``commit()`` moves it into place, ``discard()`` deletes it."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.count = 0
        self.sample: list[dict[str, Any]] = []  # the first few, for the run record
        self._jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
        self._tmp = path.with_name(path.name + ".partial")
        try:
            self._handle = self._tmp.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write the rejects file ({exc.strerror})", where=str(path)) from None
        self._columns = [c for c in columns if c not in ("_line", "_error", "_raw")]
        if not self._jsonl:
            self._csv = csv.writer(self._handle)
            self._csv.writerow(["_line", "_error", *self._columns, "_raw"])

    def write(self, row: RawRow, reason: str) -> None:
        self.count += 1
        if len(self.sample) < 20:
            self.sample.append({"line": row.line, "error": reason})
        if self._jsonl:
            record: dict[str, Any] = {"_line": row.line, "_error": reason}
            if row.values is not None:
                record.update(row.values)
            else:
                record["_raw"] = row.raw
            self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            return
        if row.values is None:
            self._csv.writerow([row.line, reason, *([""] * len(self._columns)), row.raw or ""])
            return
        fields = ["" if row.values.get(c) is None else row.values[c] for c in self._columns]
        self._csv.writerow([row.line, reason, *fields, ""])

    def commit(self) -> None:
        self._handle.close()
        self._tmp.replace(self.path)

    def discard(self) -> None:
        self._handle.close()
        self._tmp.unlink(missing_ok=True)
