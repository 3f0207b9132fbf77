"""Run logs: always to a file in the output folder, and to the terminal unless --quiet (cron)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..safe_text import safe_text

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """Log lines quote page text, URLs and errors: both handlers end up on a terminal (the file via tail or cat),
    so control characters are shown as escapes, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return safe_text(super().format(record))


def setup_logging(log_file: Path, *, quiet: bool) -> list[logging.Handler]:
    """Attach a file handler (and a stderr handler unless quiet) to the `reviewmine` logger; return them."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("reviewmine")
    logger.setLevel(logging.INFO)
    handlers: list[logging.Handler] = [logging.FileHandler(log_file, encoding="utf-8")]
    if not quiet:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(SafeFormatter(_FORMAT))
        logger.addHandler(handler)
    return handlers


def teardown_logging(handlers: list[logging.Handler]) -> None:
    logger = logging.getLogger("reviewmine")
    for handler in handlers:
        logger.removeHandler(handler)
        handler.close()
