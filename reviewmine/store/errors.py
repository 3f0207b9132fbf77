"""Store-specific error messages, kept in one place so the wording stays consistent."""

from __future__ import annotations

from ..errors import StoreError


def newer_schema_error(found: int, supported: int, name: str | None = None) -> StoreError:
    subject = f"the database {name} has schema version" if name else "database schema version"
    return StoreError(
        f"{subject} {found}, newer than this reviewmine supports ({supported}); upgrade reviewmine to open it"
    )


class DamagedDatabaseError(StoreError):
    """SQLite found the file corrupt: reading on would give wrong answers and writing on would spread the damage."""

    def __init__(self, path: object | None, detail: str, *, suggest_check: bool = True) -> None:
        self.detail = detail
        name = path or "DB"
        check = f"run `reviewmine db check --db {name}` to list the problems; " if suggest_check else ""
        super().__init__(
            f"the database {_subject(path)}is damaged: {detail}; {check}restore it from a backup, or recover what "
            f"is readable with `sqlite3 {name} .recover | sqlite3 recovered.db`"
        )


class ReadOnlyDatabaseError(StoreError):
    """The database can be read but not changed (file, folder or file system not writable; on PostgreSQL a role
    without write privileges, or a read-only session or server)."""

    def __init__(
        self, path: object | None, reason: str, consequence: str = "nothing was written", *, advice: str | None = None
    ) -> None:
        self.reason = reason
        advice = advice or "make the file and its folder writable, or work on a copy in a writable folder"
        super().__init__(f"the database {_subject(path)}is read-only ({reason}): {consequence}; {advice}")


class DiskFullError(StoreError):
    """A write ran out of disk space; SQLite rolled the transaction back, so what was committed before is intact."""

    def __init__(self, path: object | None, detail: str) -> None:
        self.detail = detail
        where = f"holding {path} " if path else ""
        super().__init__(
            f"the disk {where}is full ({detail}): this transaction was rolled back, what was committed before is "
            "intact; free some space and run again"
        )


def _subject(path: object | None) -> str:
    return f"{path} " if path else ""
