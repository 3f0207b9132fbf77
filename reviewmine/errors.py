"""Errors that reach the user as a one-line message and a stable exit code, never a traceback."""

from __future__ import annotations

__all__ = [
    "EXIT_ALERT",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "InputError",
    "ReviewmineError",
    "StoreError",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ALERT = 3
EXIT_PARTIAL = 4  # a collection ended with reviews the source announces missing; the next run goes back for them


class ReviewmineError(Exception):
    """Base class: the message says what went wrong and where."""

    exit_code = EXIT_FAILED


class InputError(ReviewmineError):
    """Bad input data (a file, a row, a page); the message names the place (``file:line``, URL, field)."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}" if where else message)


class StoreError(ReviewmineError):
    """The database cannot be opened or is not a reviewmine database."""
