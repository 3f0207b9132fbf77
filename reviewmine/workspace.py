"""The notebook API: ``reviewmine.open(path)`` returns a Workspace whose methods return DataFrames.

The CLI calls the same functions, so what an analyst sees in a notebook is what the report is built from.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .store.db import Store
from .store.queries import db_info, reviews_frame
from .timeparse import parse_when

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Workspace", "open_workspace"]


class Workspace:
    """A reviewmine database seen from Python. Every method returns plain pandas objects."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.store = Store(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.store.path)!r})"

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reviews(
        self,
        brand: str | list[str] | None = None,
        *,
        source: str | list[str] | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Reviews, newest first; columns are documented in docs/data-model.md.

        ``since``/``until`` take datetimes, ISO dates (``"2025-01-31"``) or spans back from now (``"90d"``).
        """
        return reviews_frame(
            self.store,
            brand=brand,
            source=source,
            since=parse_when(since),
            until=parse_when(until),
            limit=limit,
        )

    def info(self) -> dict[str, Any]:
        """Schema version, review counts per brand and source, and the latest runs."""
        return db_info(self.store)


def open_workspace(path: str | os.PathLike[str] | None = None) -> Workspace:
    """Open (creating if needed) the reviewmine database at ``path`` (default ``$REVIEWMINE_DB`` or ./reviewmine.db)."""
    return Workspace(path)
