"""Headless Chromium for the tests that check a page in a real browser (the reports, the demo's report).

Needs Debian's ``chromium`` (``make test`` installs it when missing); a test that asks for it is skipped with the
reason when it is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip


def chromium() -> str:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not found (apt-get install -y chromium; `make test` does it)")


def run_chromium(browser: str, profile: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_messages(stderr: str) -> list[str]:
    """Console messages (errors, warnings, CSP violations) Chromium logged while loading the page."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]
