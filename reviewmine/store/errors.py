"""Store-specific error messages, kept in one place so the wording stays consistent."""

from __future__ import annotations

from ..errors import StoreError


def newer_schema_error(found: int, supported: int) -> StoreError:
    return StoreError(
        f"database schema version {found} is newer than this reviewmine supports ({supported}); "
        "upgrade reviewmine to open it"
    )
