"""The notebook API on the demo database: db.metrics / risk / drivers / subthemes, and the plot helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from matplotlib.figure import Figure

import reviewmine
from reviewmine import plots
from reviewmine.analysis import (
    COVERAGE_COLUMNS,
    EMOTION_COLUMNS,
    EVENT_COLUMNS,
    FEATURE_COLUMNS,
    LOYALTY_COLUMNS,
    MODEL_COLUMNS,
    QUADRANT_COLUMNS,
    REPLY_COLUMNS,
    SCORE_COLUMNS,
    SENTIMENT_COLUMNS,
    SUBTHEME_COLUMNS,
)
from reviewmine.demo.database import DemoDb
from reviewmine.errors import InputError
from reviewmine.workspace import Workspace


@pytest.fixture(scope="module")
def db(demo_db: DemoDb) -> Iterator[Workspace]:
    with reviewmine.open(demo_db.path) as workspace:
        yield workspace


@pytest.mark.parametrize(
    ("table", "columns"),
    [("sentiment", SENTIMENT_COLUMNS), ("emotions", EMOTION_COLUMNS), ("loyalty", LOYALTY_COLUMNS),
     ("replies", REPLY_COLUMNS), ("coverage", COVERAGE_COLUMNS)],
)  # fmt: skip
def test_metrics_tables(db: Workspace, table: str, columns: tuple[str, ...]) -> None:
    frame = db.metrics("Crustline", freq="M", table=table)
    assert list(frame.columns) == list(columns) and len(frame) > 0
    assert set(frame["brand"].astype(str)) == {"Crustline"}


def test_metrics_follow_the_demo_story(db: Workspace) -> None:
    monthly = db.metrics("Crustline", freq="M")
    rows = monthly[monthly["category"] == "place_process"]
    pp = rows.set_index(rows["period_start"].dt.month)["negative_share"]
    assert pp[9] > 0.6 > 0.35 > pp[6]  # September's delivery crisis against June (true share 0.80 vs 0.21)


def test_risk_drivers_and_subthemes(db: Workspace) -> None:
    scores = db.risk(as_of="2026-09-30")
    assert list(scores.columns) == list(SCORE_COLUMNS)
    crust = scores[(scores["brand"] == "Crustline") & (scores["category"] == "all")].iloc[0]
    assert crust["score"] > 35
    events = db.risk(table="events")
    assert list(events.columns) == list(EVENT_COLUMNS) and (events["brand"] == "Crustline").any()
    assert list(db.drivers("Forno Fresco", target="rating").columns) == list(FEATURE_COLUMNS)
    assert list(db.drivers(table="models").columns) == list(MODEL_COLUMNS)
    quadrant = db.drivers("Napoli Nest", table="quadrant", target="rating")
    assert list(quadrant.columns) == list(QUADRANT_COLUMNS)
    themes = db.subthemes("Crustline", category="place_process")
    assert list(themes.columns) == list(SUBTHEME_COLUMNS)
    assert set(themes["category"]) == {"place_process"} and themes["share"].sum() == pytest.approx(1)
    with pytest.raises(InputError, match="unknown table"):
        db.metrics(table="nope")


def test_every_plot_helper_returns_a_figure(db: Workspace) -> None:
    weekly = db.metrics(freq="W")
    figures = [
        plots.trend(weekly, brand="Crustline"),
        plots.trend(weekly, brand="Crustline", measure="negative_share", categories=("all", "place_process"),
                    volume=False),
        plots.trend(weekly, brand="Crustline", measure="rating_mean"),
        plots.category_trends(weekly, brand="Napoli Nest"),
        plots.drivers(db.drivers(target="rating"), brand="Forno Fresco"),
        plots.quadrant(db.drivers(table="quadrant"), brand="Forno Fresco"),
        plots.emotions(db.metrics(table="emotions", freq="M"), brand="Crustline"),
        plots.loyalty(db.metrics(table="loyalty", freq="M")),
        plots.risk(db.risk(), brand="Crustline"),
    ]  # fmt: skip
    for fig in figures:
        assert isinstance(fig, Figure) and fig.axes
        fig.canvas.draw()  # renders without error


def test_plots_of_empty_tables_say_so() -> None:
    empty = pd.DataFrame(columns=["brand", "period_start", "period_end", "category", "reviews", "net_sentiment"])
    for fig in (plots.trend(empty, volume=False), plots.drivers(pd.DataFrame(columns=["status"])),
                plots.loyalty(pd.DataFrame())):  # fmt: skip
        assert any(t.get_text() == "Not enough data" for ax in fig.axes for t in ax.texts)
