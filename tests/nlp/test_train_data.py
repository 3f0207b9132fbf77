"""Dataset loaders and label mapping (reads ../shared/data; skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewmine.errors import InputError
from reviewmine.nlp.training.data import (
    UNKNOWN,
    load_acos,
    load_goemotions,
    load_hand_labelled,
    load_mams,
    load_semeval14,
    map_aspect_category,
)
from reviewmine.taxonomy import CATEGORIES, EMOTIONS, POLARITIES
from tests.conftest import shared_path

PEOPLE, PRODUCT = CATEGORIES.index("people"), CATEGORIES.index("product")
NEG, POS = POLARITIES.index("negative"), POLARITIES.index("positive")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("FOOD#PRICES", "price"),
        ("LAPTOP#PRICE", "price"),
        ("FOOD#QUALITY", "product"),
        ("BATTERY#OPERATION_PERFORMANCE", "product"),
        ("SERVICE#GENERAL", "people"),
        ("SUPPORT#QUALITY", "people"),
        ("AMBIENCE#GENERAL", "place_process"),
        ("SHIPPING#GENERAL", "place_process"),
        ("RESTAURANT#GENERAL", None),
        ("COMPANY#GENERAL", None),
    ],
)
def test_aspect_mapping(label: str, expected: str | None) -> None:
    assert map_aspect_category(label) == expected


def test_semeval14_mapping() -> None:
    rows = load_semeval14(shared_path("data", "semeval2014-restaurants", "Restaurants_Train_v2.xml"))
    assert len(rows) == 3041
    first = rows[0]  # "But the staff was so horrible to us." service/negative
    assert first.category[PEOPLE] == 1 and first.category_polarity[PEOPLE] == NEG
    assert first.polarity == NEG and first.emotion is None
    second = rows[1]  # food positive + anecdotes negative: mixed sentence polarity stays unknown
    assert second.category[PRODUCT] == 1 and second.category_polarity[PRODUCT] == POS
    assert second.polarity == UNKNOWN


def test_acos_and_goemotions() -> None:
    acos = load_acos(shared_path("data", "acos-laptop", "laptop_quad_train.tsv"))
    assert acos[0].category[CATEGORIES.index("price")] == 1  # SUPPORT#PRICE
    go = load_goemotions(
        shared_path("data", "goemotions", "dev.tsv"), shared_path("data", "goemotions", "sentiment_dict.json")
    )
    assert len(go) == 5426
    assert all(r.emotion is not None and len(r.emotion) == len(EMOTIONS) for r in go)
    assert all(r.category[0] == UNKNOWN for r in go)


def test_hand_labelled_schema(tmp_path: Path) -> None:
    good = {
        "id": "a1",
        "text": "They never told us the flight was moved.",
        "domain": "airline",
        "categories": {"communication": "negative"},
        "polarity": "negative",
        "loyalty": ["churn"],
        "split": "test",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n\n")
    (row,) = load_hand_labelled(tmp_path)
    assert row.split == "test" and row.category[CATEGORIES.index("communication")] == 1
    assert row.loyalty == [0, 0, 0, 1] and row.emotion is None
    (tmp_path / "b.jsonl").write_text(json.dumps(good | {"categories": {"food": "positive"}}) + "\n")
    with pytest.raises(InputError, match=r"b\.jsonl:1"):
        load_hand_labelled(tmp_path)


def test_mams_service_leaves_people_and_place_unknown() -> None:
    rows = load_mams(shared_path("data", "mams-acsa", "val.xml"))
    place = CATEGORIES.index("place_process")
    unknown = [r for r in rows if r.category[PEOPLE] == UNKNOWN]
    assert unknown and all(r.category[place] in (UNKNOWN, 1) for r in unknown)  # 1: place/ambience named too
    assert any(r.category[place] == UNKNOWN for r in unknown)
    assert all(r.category[PRODUCT] in (0, 1) for r in rows)


_SEMEVAL14 = """<?xml version="1.0" encoding="UTF-8"?>
<sentences>
  <sentence id="1"><text>We waited forty minutes for a table.</text>
    <aspectCategories><aspectCategory category="service" polarity="negative"/></aspectCategories></sentence>
  <sentence id="2"><text>The waiter was rude and we waited an hour.</text>
    <aspectCategories><aspectCategory category="service" polarity="negative"/></aspectCategories></sentence>
  <sentence id="3"><text>Slow service, but a lovely cosy room.</text>
    <aspectCategories><aspectCategory category="service" polarity="negative"/>
    <aspectCategory category="ambience" polarity="positive"/></aspectCategories></sentence>
</sentences>
"""


def test_semeval14_waits_are_unknown_for_training_only(tmp_path: Path) -> None:
    """A `service` sentence about waiting that names no staff trains neither people nor place_process."""
    path = tmp_path / "restaurants.xml"
    path.write_text(_SEMEVAL14, encoding="utf-8")
    place = CATEGORIES.index("place_process")
    published = load_semeval14(path)
    assert [r.category[PEOPLE] for r in published] == [1, 1, 1]
    waits, staff, room = load_semeval14(path, taxonomy_waits=True)
    assert waits.category[PEOPLE] == waits.category[place] == waits.category_polarity[PEOPLE] == UNKNOWN
    assert waits.category[PRODUCT] == 0 and waits.polarity == NEG
    assert staff.category[PEOPLE] == 1 and staff.category_polarity[PEOPLE] == NEG  # names the waiter
    assert room.category[PEOPLE] == UNKNOWN and room.category[place] == 1  # ambience is still place_process


def test_tune_and_report_rows_are_never_trained_on() -> None:
    """Every tune and report split, mams_tune (15% of MAMS train) included, stays out of train (but for stock
    phrases such as "Highly recommended." that the public datasets share)."""
    from reviewmine.nlp.training.data import build_splits, norm_text

    splits, _ = build_splits(shared_path(), None)
    trained = {norm_text(r.text) for r in splits["train"]}
    mams = [r for r in splits["train"] if r.source == "mams"]
    assert 0.13 < len(splits["mams_tune"]) / (len(splits["mams_tune"]) + len(mams)) < 0.17
    for name in ("semeval14_tune", "semeval14_dev", "mams_tune", "mams_report", "amazon_tune", "amazon_report"):
        assert splits[name], name
        overlap = [r.text for r in splits[name] if norm_text(r.text) in trained]
        assert len(overlap) <= 0.02 * len(splits[name]), (name, overlap[:3])  # short stock phrases recur
