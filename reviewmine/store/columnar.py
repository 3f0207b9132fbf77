"""Reading large results column by column: millions of rows without millions of costs per row.

``pd.read_sql_query`` fetches every row as an SQLAlchemy Row, then builds columns from the list of them. On 4M
sentences that cost more than the database did, mostly for Python's garbage collector: every few hundred new
row tuples it walks the objects alive, and a growing result is most of them. Here rows come in chunks
(``yield_per``: a server-side cursor on PostgreSQL, so the server's result is never held whole in this
process), each chunk is turned into one numpy array per column at once, and the collector is paused meanwhile
(the row tuples hold no cycles; reference counting frees each chunk). Errors still pass through the engine's
error handlers, as every other read does.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CHUNK_ROWS", "gc_paused", "read_columns", "read_frame"]

CHUNK_ROWS = 50_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (process-wide), then restore it as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_columns(conn: Connection, query: Any, dtypes: Sequence[Any], chunk: int = CHUNK_ROWS) -> list[np.ndarray]:
    """The result of ``query`` as one array per selected column, of the given numpy ``dtypes`` (``object`` keeps
    the driver's values; NULL reads as NaN in a float column)."""
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]
    with gc_paused():
        result = conn.execute(query, execution_options={"yield_per": chunk})  # this statement only
        for rows in result.partitions():
            for part, values, dtype in zip(parts, zip(*rows, strict=True), dtypes, strict=True):
                part.append(_array(values, dtype))
    empty = [np.zeros(0, dtype=dtype) for dtype in dtypes]
    return [np.concatenate(part) if part else none for part, none in zip(parts, empty, strict=True)]


def _array(values: tuple[Any, ...], dtype: Any) -> np.ndarray:
    if dtype is object:  # np.array(values, object) would make a 2-D array of sequence values
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.array(values, dtype=dtype)


def read_frame(conn: Connection, query: Any) -> pd.DataFrame:
    """The result of ``query`` as ``pd.read_sql_query`` types it (each column's type inferred from its values,
    NULLs in a number column as NaN), read through `read_columns`."""
    import pandas as pd

    names = [column.name for column in query.selected_columns]
    columns = read_columns(conn, query, [object] * len(names))
    if not len(columns[0]):
        return pd.DataFrame(columns=names)  # what read_sql_query gives for no rows: object columns
    with gc_paused():
        inferred = {
            name: pd.Series(values, copy=False).infer_objects() for name, values in zip(names, columns, strict=True)
        }
    return pd.DataFrame(inferred, copy=False)
