"""Reviews the model does not read are left out of every figure, and the report says so: a store built through the
CLI (import -> analyze with the packaged model -> report) with French and Norwegian reviews among English ones."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.report import build_report, render_html, render_markdown

runner = CliRunner()

ENGLISH = [
    "The pizza arrived cold and the driver was rude.", "Great value for money and really friendly staff.",
    "Delivery was an hour late and nobody answered the phone.", "Lovely crust and fresh toppings, will order again.",
    "The app kept crashing when I tried to pay.", "Prices went up again but the portions got smaller.",
]  # fmt: skip
FRENCH = [
    "La pizza est arrivée froide et le livreur était très impoli avec nous.",
    "Le service était excellent et les pizzas sont délicieuses, je recommande vivement.",
    "Livraison en retard d'une heure, personne ne répondait au téléphone.",
]
NORWEGIAN = "Pizzaen kom kald og sjåføren var veldig uhøflig mot oss i går kveld."
LAST_DAY = date(2025, 12, 29)
LINE = "Reviews in other languages, not in these figures: fr 20, no 1."


def _rows() -> list[list[str]]:
    """English reviews about 1.5 a week over three years; in the last year 20 French and 1 Norwegian, and two
    French ones before it (outside a one-year report)."""
    rng = random.Random(5)
    rows, day, n = [], LAST_DAY - timedelta(days=3 * 364), 0
    while day <= LAST_DAY:
        rows.append([f"en{n}", f"{rng.choice(ENGLISH)} {rng.choice(ENGLISH)}", str(rng.randint(1, 5)), str(day)])
        day, n = day + timedelta(days=rng.choice((4, 5))), n + 1
    rows[-1][3] = str(LAST_DAY)  # the newest review ends the report period
    for i in range(20):
        rows.append([f"fr{i}", FRENCH[i % 3], "3", str(LAST_DAY - timedelta(days=10 + 14 * i))])
    rows.append(["no0", NORWEGIAN, "2", str(LAST_DAY - timedelta(days=40))])
    rows += [[f"old{i}", FRENCH[i], "4", str(LAST_DAY - timedelta(days=500 + i))] for i in range(2)]
    return rows


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("languages")
    source, path = folder / "reviews.csv", str(folder / "reviews.db")
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "text", "stars", "date"], *_rows()])
    result = runner.invoke(app, ["import", str(source), "--brand", "Acme", "--db", path, "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["analyze", "--db", path, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped_language"] == 23
    return path


def _report(db: str, fmt: str, period: str = "1y") -> str:
    result = runner.invoke(app, ["report", "--db", db, "--brand", "Acme", "--period", period, "-f", fmt])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_json_counts_the_reviews_left_out_by_language(db: str) -> None:
    coverage = json.loads(_report(db, "json"))["coverage"]
    assert coverage["other_languages"] == {"fr": 20, "no": 1}  # most first; the two older ones are not in the period
    assert coverage["reviews_in_period"] - coverage["reviews_tagged"] == 21  # exactly what the figures leave out


def test_the_data_section_says_what_the_figures_leave_out(db: str) -> None:
    markdown = _report(db, "md")
    assert LINE in markdown.split("## Data and method")[1]
    html = _report(db, "html")
    section = html.split('<section id="coverage">')[1].split("</section>")[0]
    assert f'<p class="note" id="other-languages">{LINE}</p>' in section


def test_a_period_without_other_languages_says_nothing(db: str) -> None:
    data = json.loads(_report(db, "json", period="8d"))  # the last 8 days: English only
    assert data["coverage"]["other_languages"] == {}
    assert "other languages" not in _report(db, "md", period="8d")


def test_frames_without_analysis_results_cannot_tell() -> None:
    from reviewmine.testing.synthetic import synthetic_brands

    data = synthetic_brands(1, weeks=6, reviews_per_week=20, seed=6)
    model = build_report(data, "Brand 00", period="4w", resamples=10)
    assert model.coverage.other_languages is None
    assert "other languages" not in render_markdown(model) and "other-languages" not in render_html(model, charts=False)


def test_analysis_results_given_as_frames_count_too() -> None:
    """The same count from a mapping with an ``analyses`` frame (a notebook's own data), of its model only."""
    import pandas as pd

    from reviewmine.testing.synthetic import synthetic_brands

    data = synthetic_brands(1, weeks=6, reviews_per_week=20, seed=6)
    newest = data.reviews["published_at"].max()
    analyses = pd.DataFrame({
        "review_key": ["x1", "x2", "x3", "x4", "x5", "x6"], "brand": "Brand 00",
        "published_at": [newest - pd.Timedelta(days=d) for d in (1, 2, 3, 4, 5, 200)],
        "status": ["skipped: language de"] * 2 + ["skipped: language sv", "ok"] + ["skipped: language de"] * 2,
        "language": ["de", "de", "sv", "en", "de", "de"],
        "model_version": ["synthetic"] * 4 + ["another model", "synthetic"],  # x5: not this model; x6: too old
    })  # fmt: skip
    frames = {"sentences": data.sentences, "reviews": data.reviews, "analyses": analyses}
    model = build_report(frames, "Brand 00", period="4w", model="synthetic", resamples=10)
    assert model.coverage.other_languages == {"de": 2, "sv": 1}


def test_the_quiet_store_gets_quarterly_trend_points(db: str) -> None:
    """About 1.5 English reviews a week: over a year, one point per quarter (through the CLI, from the store)."""
    data = json.loads(_report(db, "json"))
    assert data["trend_bucket"]["unit"] == "quarter"
    assert {row["bucket_start"][5:10] for row in data["trend"]} <= {"01-01", "04-01", "07-01", "10-01"}
    assert "One point per quarter" in _report(db, "html")


def test_an_analyses_frame_without_a_status_is_an_input_error() -> None:
    import pandas as pd

    from reviewmine.errors import InputError
    from reviewmine.testing.synthetic import synthetic_brands

    data = synthetic_brands(1, weeks=6, reviews_per_week=20, seed=6)
    analyses = pd.DataFrame({"review_key": ["x1"], "brand": ["Brand 00"], "published_at": [pd.Timestamp.now("UTC")]})
    with pytest.raises(InputError, match="missing columns status in the analyses frame"):
        build_report({"sentences": data.sentences, "analyses": analyses}, "Brand 00", period="4w", resamples=10)
