"""`build_demo_db`: the demo collected over loopback with the generator's true labels written as sentence tags."""

from __future__ import annotations

from pathlib import Path

import pytest

import reviewmine
from reviewmine.columns import SENTENCE_COLUMNS, cat_col
from reviewmine.demo.database import TRUTH_VERSION, DemoDb, build_demo_db
from reviewmine.errors import InputError


def test_every_review_and_true_sentence_is_stored(demo_db: DemoDb) -> None:
    data = demo_db.data
    every = (*data.reviews, *data.survey)  # the served reviews and Crustline's imported NPS survey
    assert demo_db.reviews == len(every) and demo_db.model_version == TRUTH_VERSION
    assert demo_db.sentences == sum(len(r.sentences) for r in every)
    with reviewmine.open(demo_db.path) as db:
        sentences = db.sentences()
        runs = db.info()["last_runs"]
    assert list(sentences.columns) == list(SENTENCE_COLUMNS) and len(sentences) == demo_db.sentences
    assert all(run["status"] == "ok" for run in runs)
    truth = [s for r in every for s in r.sentences]
    for category in ("place_process", "people"):
        assert sentences[cat_col(category)].sum() == sum(category in s.categories for s in truth)
    assert (sentences["polarity"].astype(str) == "negative").sum() == sum(s.polarity == "negative" for s in truth)
    negative = sentences[sentences["polarity"] == "negative"]
    assert (
        negative["score"].max() < -0.5
        and negative[[c for c in SENTENCE_COLUMNS if c.startswith("emo_")]].any(axis=1).all()
    )


def test_it_refuses_an_existing_file_and_unknown_labels(tmp_path: Path) -> None:
    existing = tmp_path / "x.db"
    existing.write_bytes(b"")
    with pytest.raises(InputError, match="already exists"):
        build_demo_db(existing)
    with pytest.raises(InputError, match="unknown labels"):
        build_demo_db(tmp_path / "y.db", labels="guess")
