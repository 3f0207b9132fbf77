"""The HTML report in a real browser: headless Chromium opens it offline with no console errors, draws a page
that is not blank, and shows a review containing <script> as text; the NPS block and "What it is worth" are laid
out visibly (boxes, computed style, what is on top, asked of the live page), with the section's chart, and their
hostile comment and competitor name stay text.

Needs Debian's ``chromium`` (``make test`` installs it when missing); skipped with the reason when absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _report_data import HOSTILE, SPIKE, hostile
from browser import chromium, console_messages, evaluate, run_chromium

from reviewmine.analysis.value import value_inputs
from reviewmine.columns import cat_col, catpol_col
from reviewmine.report import build_report, render_html
from reviewmine.testing.synthetic import SyntheticData


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


# -- the NPS block and "What it is worth", on the live page -----------------------------------------------------
RIVALS = {
    "Brand 00": '<img src=x onerror="window.__pwned=1"> & *Co*',
    "Brand 02": "<iframe src=javascript:alert(4)></iframe> Rival",
}
LOOK = """(() => {
  const look = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return null;
    el.scrollIntoView();
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    const hit = document.elementFromPoint(box.left + box.width / 2, Math.max(box.top, 0) + 5);
    const charts = [...el.querySelectorAll("svg")].map((svg) => {
      const b = svg.getBoundingClientRect();
      return {width: b.width, height: b.height, marks: svg.querySelectorAll("rect, path, line, circle").length};
    });
    return {width: box.width, height: box.height, display: style.display, visibility: style.visibility,
            opacity: Number(style.opacity), on_top: el.contains(hit), text: el.innerText, charts,
            injected: el.querySelectorAll("script, img, iframe, [onerror], [onload], a[href^='javascript']").length};
  };
  return {nps: look("#nps"), worth: look("#worth"), pwned: window.__pwned === 1};
})()"""


def _survey(data: SyntheticData, brand: str, n: int = 400, seed: int = 9) -> SyntheticData:
    """``data`` plus an NPS survey of ``brand`` over its last 16 weeks: one tagged sentence per comment; delivery
    complaints (detractors' mostly) read as HOSTILE, so the block's top driver quotes it."""
    rng = np.random.default_rng(seed)
    end = data.reviews["published_at"].max()
    when = end - pd.to_timedelta(rng.integers(0, 16 * 7, n), unit="D")
    late = rng.random(n) < 0.3
    score = np.where(late, rng.choice([0, 2, 4, 6, 9], n, p=[0.3, 0.25, 0.2, 0.15, 0.1]), rng.choice([6, 8, 9, 10], n))
    keys = [f"survey:nps-{i}" for i in range(n)]
    text = np.where(late, HOSTILE, "Good pizza, friendly driver.")
    reviews = pd.DataFrame({
        "review_key": keys, "brand": brand, "source": "survey", "source_review_id": [k[7:] for k in keys],
        "rating": score.astype(float), "rating_min": 0.0, "rating_max": 10.0, "rating_normalised": score / 10,
        "body": text, "language": "en", "published_at": when,
    })  # fmt: skip
    sentences = pd.DataFrame({
        "review_key": keys, "brand": brand, "source": "survey", "published_at": when,
        "rating_normalised": score / 10, "model_version": str(data.sentences["model_version"].iloc[0]),
        "sentence_idx": 0, "text": text, "polarity": np.where(late, "negative", "positive"),
        "score": np.where(late, -0.9, 0.8), cat_col("place_process"): True,
        catpol_col("place_process"): np.where(late, "negative", "positive"),
    })  # fmt: skip
    for column in data.sentences.columns.difference(sentences.columns):
        sentences[column] = False if data.sentences[column].dtype == bool else None

    def joined(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
        out = pd.concat([old.astype({c: object for c in ("review_key", "brand", "source")}), new], ignore_index=True)
        out["brand"] = out["brand"].astype(str).replace(RIVALS)
        return out

    return SyntheticData(joined(data.sentences, sentences[data.sentences.columns]), joined(data.reviews, reviews),
                         data.truth)  # fmt: skip


@pytest.fixture(scope="module")
def survey_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = _survey(hostile(), SPIKE.brand)
    model = build_report(data, SPIKE.brand, vs=list(RIVALS.values()), period="12w", resamples=30,
                         value=value_inputs(99, "EUR"))  # fmt: skip
    assert model.nps is not None and model.worth is not None and model.worth.fix
    path = tmp_path_factory.mktemp("browser-worth") / "report.html"
    path.write_text(render_html(model), encoding="utf-8")
    return path


def test_nps_and_worth_render_visible_with_their_chart_and_text_escaped(survey_report: Path, tmp_path: Path) -> None:
    seen, stderr = evaluate(chromium(), tmp_path / "profile", survey_report, LOOK)
    assert console_messages(stderr) == [] and not seen["pwned"]
    for name in ("nps", "worth"):
        part = seen[name]
        assert part is not None, f"no #{name} on the page"
        assert part["width"] > 600 and part["height"] > 200 and part["on_top"], (name, part)
        assert part["display"] != "none" and part["visibility"] == "visible" and part["opacity"] == 1
        assert part["injected"] == 0, f"#{name}: hostile text became elements"
    nps, worth = seen["nps"]["text"], seen["worth"]["text"]
    assert "Net Promoter Score" in nps and "Complaints about Place" in nps
    assert " ".join(HOSTILE.split()) in nps  # the hostile comment is quoted, as text
    assert "What it is worth" in worth and "Value at risk" in worth and "EUR" in worth and "What to fix first" in worth
    assert any(name in worth for name in RIVALS.values())  # the hostile best competitor, as text
    charts = seen["worth"]["charts"]
    assert charts and all(c["width"] > 200 and c["height"] > 50 and c["marks"] > 3 for c in charts)
