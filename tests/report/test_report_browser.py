"""The HTML report in a real browser: headless Chromium opens it offline with no console errors, draws a page
that is not blank, and shows a review containing <script> as text.

Needs Debian's ``chromium`` (``make test`` installs it when missing); skipped with the reason when absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _report_data import HOSTILE, SPIKE, hostile
from browser import chromium, console_messages, run_chromium

from reviewmine.report import build_report, render_html


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    model = build_report(hostile(), SPIKE.brand, vs=["Brand 00", "Brand 02"], period="12w", resamples=30)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(model), encoding="utf-8")
    yield path


def test_report_opens_without_console_errors_and_shows_script_as_text(report_file: Path, tmp_path: Path) -> None:
    done = run_chromium(chromium(), tmp_path / "profile", report_file, "--dump-dom")
    assert console_messages(done.stderr) == []
    dom = done.stdout
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in dom  # the review's <script> is text on the page
    assert dom.count("<svg") >= 6 and "What drives the rating" in dom


def test_report_renders_a_non_blank_page(report_file: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "report.png"
    size = "--window-size=1200,2400"
    done = run_chromium(chromium(), tmp_path / "profile", report_file, f"--screenshot={shot}", size)
    assert console_messages(done.stderr) == []
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # None: more than 65,536 colours
    assert shot.stat().st_size > 20_000
