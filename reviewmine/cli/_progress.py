"""A rich progress bar for the tagging step, shared by `analyze`, `run` and `demo` (stderr, terminals only)."""

from __future__ import annotations

import sys
from typing import Any


class AnalyzeProgress:
    """Context manager yielding a ``progress(done, total)`` callback, or None when disabled.

    Disabled when asked, and when stderr is not a terminal (cron, CI, pipes), so logs stay clean.
    """

    def __init__(self, enabled: bool, *, label: str = "analyze") -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TextColumn("reviews"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._progress.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._task is None:
            self._task = self._progress.add_task(self.label, total=total)
        self._progress.update(self._task, completed=done, total=total)
        if done >= total:  # the job goes on (reports, alerts): do not leave a finished bar under its log
            self._progress.stop()

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
