"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of the new one.

Every file reviewmine writes for people or for a later run (exports, reports, ``summary.json``, the dev cache,
training checkpoints) goes through here, so there is one place that gets "partial file, fsync, rename" right.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_writer", "file_sha256", "write_atomic"]


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` (text is encoded with ``encoding``, newlines written as given)."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    with atomic_writer(path, binary=True) as handle:
        handle.write(payload)


@contextmanager
def atomic_writer(path: Path, *, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Stream into ``<name>.<random>.partial`` beside ``path``; on success flush, fsync and rename it over
    ``path``, on any error delete it and leave ``path`` as it was.

    The random part keeps two writers of the same file (two runs sharing a ``--cache`` folder) from writing into
    one partial file; the last rename wins with a complete file either way.
    """
    path = Path(path)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
    try:
        # "x": a fresh file with the usual permissions (umask), never someone else's partial file
        with open(partial, "xb") if binary else open(partial, "x", encoding=encoding, newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 4 MiB blocks (encoder weights are 90-440 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()
