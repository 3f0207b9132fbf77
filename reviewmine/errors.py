"""Errors that reach the user as a one-line message and a stable exit code, never a traceback."""

from __future__ import annotations

__all__ = [
    "EXIT_ALERT",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "InputError",
    "MissingExtraError",
    "ReviewmineError",
    "StoreError",
    "UsageError",
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


class UsageError(InputError):
    """A command-line value wrong on its face: malformed, not one of the choices, or contradicting another option.

    Exit 2, as click's own usage errors. A well-formed value naming something that is missing or unusable (a file,
    a folder, a brand, a model) stays an InputError (exit 1), and so does bad data in a file or a page. A job
    file's problems are exit 2 too (``jobs.config.JobFileError``): the file is the run's options written down.
    """

    exit_code = EXIT_USAGE


class MissingExtraError(ReviewmineError):
    """The command needs an optional part of the install (an extra such as ``nlp``) that is not installed.

    Exit 2: nothing is wrong with the data, the install lacks a part; the message says what to pip install.
    """

    exit_code = EXIT_USAGE

    def __init__(self, what: str, extra: str, missing: tuple[str, ...] = ()) -> None:
        self.extra = extra
        self.missing = missing
        detail = f" ({', '.join(missing)} not importable)" if missing else ""
        super().__init__(f"{what} needs the {extra} extra: pip install 'reviewmine[{extra}]'{detail}")


class StoreError(ReviewmineError):
    """The database cannot be opened or is not a reviewmine database."""
