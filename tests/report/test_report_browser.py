"""The HTML report in a real browser: headless Chromium opens it offline with no console errors, draws a page
that is not blank, and shows a review containing <script> as text.

Needs Debian's ``chromium`` (``make test`` installs it when missing); skipped with the reason when absent.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _report_data import HOSTILE, SPIKE, hostile

from reviewmine.report import build_report, render_html

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip


def _browser() -> str:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not found (apt-get install -y chromium; `make test` does it)")


def _run(browser: str, profile: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _console(stderr: str) -> list[str]:
    """Console messages (errors, warnings, CSP violations) Chromium logged while loading the page."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    model = build_report(hostile(), SPIKE.brand, vs=["Brand 00", "Brand 02"], period="12w", resamples=30)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(model), encoding="utf-8")
    yield path


def test_report_opens_without_console_errors_and_shows_script_as_text(report_file: Path, tmp_path: Path) -> None:
    done = _run(_browser(), tmp_path / "profile", report_file, "--dump-dom")
    assert _console(done.stderr) == []
    dom = done.stdout
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in dom  # the review's <script> is text on the page
    assert dom.count("<svg") >= 6 and "What drives the rating" in dom


def test_report_renders_a_non_blank_page(report_file: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "report.png"
    done = _run(_browser(), tmp_path / "profile", report_file, f"--screenshot={shot}", "--window-size=1200,2400")
    assert _console(done.stderr) == []
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # None: more than 65,536 colours
    assert shot.stat().st_size > 20_000
