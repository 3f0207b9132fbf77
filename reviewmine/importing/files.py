"""Opening an import file again as bytes: for its byte-order mark, or to explain an error with its line."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

__all__ = ["open_bytes"]


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is ``.gz``."""
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")  # type: ignore[return-value]
