"""Per-host politeness: one request at a time to a host, and a minimum gap between the end of one request and
the start of the next. Different hosts have separate slots, so they proceed in parallel from several threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HostPacer", "HostSlot"]


class HostSlot:
    """The right to talk to one host, held by one thread at a time (see `HostPacer.hold`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_done: float | None = None  # time.monotonic() when the previous request to the host ended

    def wait(self, delay: float) -> float:
        """Sleep until ``delay`` seconds have passed since the previous request ended; return the time slept."""
        if self.last_done is None:
            return 0.0
        remaining = self.last_done + delay - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
            return remaining
        return 0.0

    def done(self) -> None:
        """Mark the end of a request (successful or not): the next one waits from here."""
        self.last_done = time.monotonic()


class HostPacer:
    """Hands out one `HostSlot` per host; ``hold(host)`` blocks while another thread talks to that host."""

    def __init__(self) -> None:
        self._slots: dict[str, HostSlot] = {}
        self._guard = threading.Lock()

    def slot(self, host: str) -> HostSlot:
        with self._guard:
            return self._slots.setdefault(host, HostSlot())

    @contextmanager
    def hold(self, host: str) -> Iterator[HostSlot]:
        slot = self.slot(host)
        with slot.lock:
            yield slot
