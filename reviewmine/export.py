"""Writing DataFrames to CSV, JSON Lines or Parquet, to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import atomic_writer

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "jsonl", "parquet")


def write_frame(frame: pd.DataFrame, path: Path | None, fmt: str) -> None:
    """Write ``frame`` as ``fmt``; ``path`` None means stdout (not for Parquet). Writes atomically to files."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if path is None:
        if fmt == "parquet":
            from .errors import InputError

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
