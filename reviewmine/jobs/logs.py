"""Run logs: always to a file in the output folder, and to the terminal unless --quiet (cron)."""

from __future__ import annotations

import logging
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: Path, *, quiet: bool) -> list[logging.Handler]:
    """Attach a file handler (and a stderr handler unless quiet) to the `reviewmine` logger; return them."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("reviewmine")
    logger.setLevel(logging.INFO)
    handlers: list[logging.Handler] = [logging.FileHandler(log_file, encoding="utf-8")]
    if not quiet:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    return handlers


def teardown_logging(handlers: list[logging.Handler]) -> None:
    logger = logging.getLogger("reviewmine")
    for handler in handlers:
        logger.removeHandler(handler)
        handler.close()
