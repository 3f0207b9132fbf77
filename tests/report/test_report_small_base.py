"""Changes on a tiny base: the demo's 26-week report has 8 reviews in the period before (4 before Crustline's NPS
survey joined the demo), which once read "731 reviews, +18175% vs period before". Below `MIN_CHANGE_BASE` the
report shows the counts instead, in the HTML, the Markdown and the JSON (which keeps the numbers and says why
``change_pct`` is null)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.report import build_report
from reviewmine.report.model import MIN_CHANGE_BASE
from reviewmine.testing.synthetic import SyntheticData, synthetic_brands

runner = CliRunner()
NOW, BEFORE = 1018, 8  # Crustline's reviews in the 26 weeks and before them: 731 + 287 and 4 + 4 survey responses


@pytest.fixture(scope="module")
def half_year(db: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's whole six months as HTML, Markdown and JSON through `reviewmine report`."""
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for fmt in ("html", "md", "json"):
        path = folder / f"r.{fmt}"
        args = ["report", "--db", db, "--brand", "Crustline", "--period", "26w", "-o", str(path)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        out[fmt] = path.read_text(encoding="utf-8")
    return out


def test_the_json_keeps_the_numbers_and_says_why_there_is_no_percentage(half_year: dict[str, str]) -> None:
    kpis = {k["key"]: k for k in json.loads(half_year["json"])["kpis"]}
    reviews = kpis["reviews"]
    assert (reviews["value"], reviews["previous"], reviews["change"]) == (NOW, BEFORE, NOW - BEFORE)
    assert reviews["previous_reviews"] == BEFORE and reviews["change_pct"] is None
    for kpi in kpis.values():  # every change stands on the same 8 reviews
        assert kpi["previous_reviews"] == BEFORE and kpi["change_pct"] is None
        assert kpi["change_note"].startswith(f"only {BEFORE} reviews in the period before")
        assert str(MIN_CHANGE_BASE) in kpi["change_note"]
    assert kpis["rating"]["change"] is not None  # kept: the JSON is the data


def test_html_and_markdown_show_the_counts_not_a_percentage(half_year: dict[str, str]) -> None:
    html, markdown = half_year["html"], half_year["md"]
    for text in (html, markdown):
        assert "18175" not in text
    changes = re.findall(r'<div class="change (\w+)">([^<]*)</div>', html)
    assert changes[0] == ("flat", f"{NOW:,} vs {BEFORE} in the period before")
    assert all(kind == "flat" for kind, _ in changes)  # no good/bad colour for a change on 8 reviews
    tail = f"in the period before ({BEFORE} reviews)"
    assert all(text.startswith("was ") and text.endswith(tail) for _, text in changes[1:])
    row = next(line for line in markdown.splitlines() if line.startswith("| Vs period before"))
    assert f"{NOW:,} vs {BEFORE}" in row and f"({BEFORE} reviews)" in row and "%" not in row.split("|")[2]
    assert "stars on the period before" not in html  # no headline reason from a change on 8 reviews


def test_with_a_real_base_the_change_is_a_percentage(db: str) -> None:
    result = runner.invoke(app, ["report", "--db", db, "--brand", "Crustline", "--period", "90d", "-f", "json"])
    assert result.exit_code == 0, result.output
    reviews = json.loads(result.stdout)["kpis"][0]
    assert reviews["previous_reviews"] >= MIN_CHANGE_BASE and reviews["change_note"] is None
    assert reviews["change_pct"] == pytest.approx(100 * reviews["change"] / reviews["previous"], abs=0.05)
    html = runner.invoke(app, ["report", "--db", db, "--brand", "Crustline", "--period", "90d", "-f", "html"]).stdout
    assert f"+{reviews['change_pct']:.0f}% vs period before" in html


def _with_base(data: SyntheticData, keep: int, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The data with only ``keep`` reviews published in [start, end)."""
    when = data.reviews["published_at"]
    inside = data.reviews.loc[(when >= start) & (when < end), "review_key"]
    dropped = set(inside.iloc[keep:])
    return {
        "sentences": data.sentences[~data.sentences["review_key"].isin(dropped)],
        "reviews": data.reviews[~data.reviews["review_key"].isin(dropped)],
    }


@pytest.mark.parametrize("base", [MIN_CHANGE_BASE - 1, MIN_CHANGE_BASE])
def test_the_minimum_base_is_where_percentages_start(base: int) -> None:
    data = synthetic_brands(1, weeks=20, reviews_per_week=30, seed=4)
    end = pd.Timestamp("2025-05-26", tz="UTC")  # 20 weeks from 6 Jan
    frames = _with_base(data, base, end - pd.Timedelta(weeks=16), end - pd.Timedelta(weeks=8))
    model = build_report(frames, "Brand 00", period="8w", as_of=end.isoformat(), resamples=10)
    reviews = model.kpis[0]
    assert reviews.previous == base and all(k.previous_reviews == base for k in model.kpis)
    if base < MIN_CHANGE_BASE:
        assert reviews.change_pct is None and all(k.change_note for k in model.kpis)
    else:
        assert reviews.change_pct == pytest.approx(100 * (reviews.value - base) / base, abs=0.05)
        assert all(k.change_note is None for k in model.kpis)
