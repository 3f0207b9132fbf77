"""Checks on the hand-labelled examples in training/examples/*.jsonl (schema, labels, uniqueness, splits).

The model is trained and measured on these files, so a typo in a label name, a duplicated sentence that lands in
both train and test, or a split that drifts away from 55/15/30 would silently corrupt the reported numbers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from reviewmine.taxonomy import CATEGORIES, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

EXAMPLES = Path(__file__).resolve().parents[1] / "training" / "examples"
FILES = {"communication": "comm", "crossdomain": "xdom", "general": "gen", "loyalty": "loy", "loyalty2": "loy2"}
DOMAINS = {
    "hotel", "ecommerce", "app", "bank", "telecom", "airline", "delivery", "restaurant", "utility", "insurance",
    "car_rental", "gym",
}  # fmt: skip
SPLITS = {"train": 0.55, "dev": 0.15, "test": 0.30}
FIELDS = {"id", "text", "domain", "categories", "polarity", "loyalty", "emotions", "split"}


def _load() -> list[tuple[str, int, dict]]:
    rows = []
    for name in FILES:
        path = EXAMPLES / f"{name}.jsonl"
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert line.strip(), f"{path.name}:{lineno}: blank line"
            rows.append((name, lineno, json.loads(line)))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [row for _, _, row in _load()]


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9']+", text.lower()))


def test_every_file_is_present_and_nothing_else():
    assert {p.stem for p in EXAMPLES.glob("*.jsonl")} == set(FILES)


def test_schema_and_label_names():
    for name, lineno, row in _load():
        where = f"{name}.jsonl:{lineno}"
        assert set(row) == FIELDS, f"{where}: fields {sorted(row)}"
        assert re.fullmatch(rf"{FILES[name]}-\d{{4}}", row["id"]), f"{where}: id {row['id']!r}"
        assert isinstance(row["text"], str) and row["text"] == row["text"].strip() and len(row["text"]) >= 3, where
        assert "\n" not in row["text"], where
        assert row["domain"] in DOMAINS, f"{where}: domain {row['domain']!r}"
        assert isinstance(row["categories"], dict), where
        for category, polarity in row["categories"].items():
            assert category in CATEGORIES, f"{where}: category {category!r}"
            assert polarity in POLARITIES, f"{where}: polarity {polarity!r}"
        assert row["polarity"] in POLARITIES, where
        assert isinstance(row["loyalty"], list) and len(set(row["loyalty"])) == len(row["loyalty"]), where
        assert set(row["loyalty"]) <= set(LOYALTY_SIGNALS), f"{where}: loyalty {row['loyalty']}"
        assert isinstance(row["emotions"], list) and set(row["emotions"]) <= set(EMOTIONS), where
        assert "neutral" not in row["emotions"] or row["emotions"] == ["neutral"], f"{where}: neutral + others"
        assert row["split"] in SPLITS, f"{where}: split {row['split']!r}"


def test_ids_and_texts_are_unique(rows):
    ids = Counter(row["id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1]
    texts = Counter(" ".join(row["text"].lower().split()) for row in rows)
    assert not [t for t, n in texts.items() if n > 1]


def test_no_near_duplicates(rows):
    """Near-identical wording in train and test would flatter the scores; keep every pair clearly different."""
    tokens = [(row["id"], _tokens(row["text"])) for row in rows]
    close = [
        (a, b)
        for (a, ta), (b, tb) in combinations(tokens, 2)
        if len(ta | tb) >= 4 and len(ta & tb) / len(ta | tb) >= 0.75
    ]
    assert not close


def test_split_sizes_are_roughly_55_15_30(rows):
    counts = Counter(row["split"] for row in rows)
    for split, share in SPLITS.items():
        assert abs(counts[split] / len(rows) - share) <= 0.04, (split, counts)
    for domain in DOMAINS:
        in_domain = [row for row in rows if row["domain"] == domain]
        test_share = sum(row["split"] == "test" for row in in_domain) / len(in_domain)
        assert 0.2 <= test_share <= 0.4, (domain, test_share)


def test_volumes_the_brief_asks_for(rows):
    communication = [row for row in rows if "communication" in row["categories"]]
    assert len(communication) >= 300
    comm_test = [row for row in communication if row["split"] == "test"]
    assert len(comm_test) >= 100
    assert {row["domain"] for row in comm_test} == DOMAINS
    assert {row["categories"]["communication"] for row in comm_test} == set(POLARITIES)
    assert sum(bool(row["loyalty"]) for row in rows) >= 250
    for signal in LOYALTY_SIGNALS:
        with_signal = [row for row in rows if signal in row["loyalty"]]
        assert len(with_signal) >= 50, signal
        assert sum(row["split"] == "test" for row in with_signal) >= 10, signal
    others = {"product", "price", "place_process", "people"}
    cross = [row for row in rows if row["domain"] != "restaurant" and others & set(row["categories"])]
    assert len(cross) >= 250
    assert sum(not row["categories"] for row in rows) >= 100
    assert len(rows) >= 700


# The last id of each file in each batch but the newest (LABELLING.md, "Batches"); each batch was added on top
# of the ones before it.
_BATCH_ENDS = [
    {"comm": 409, "xdom": 276, "gen": 108, "loy": 210, "loy2": 0},
    {"comm": 609, "xdom": 656, "gen": 143, "loy": 235, "loy2": 0},
    {"comm": 609, "xdom": 656, "gen": 162, "loy": 254, "loy2": 0},
    {"comm": 609, "xdom": 656, "gen": 162, "loy": 254, "loy2": 414},
    {"comm": 609, "xdom": 799, "gen": 162, "loy": 254, "loy2": 510},
    {"comm": 609, "xdom": 799, "gen": 162, "loy": 254, "loy2": 772},
    {"comm": 609, "xdom": 799, "gen": 162, "loy": 254, "loy2": 1072},
    {"comm": 609, "xdom": 799, "gen": 162, "loy": 254, "loy2": 1372},
]


def test_add_examples_reproduces_every_split(rows):
    """training/add_examples.py, replaying the batches in order, gives every existing row the split it has."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("add_examples", EXAMPLES.parent / "add_examples.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    themes = {prefix: theme for theme, prefix in tool.PREFIX.items()}

    def batch_of(row: dict) -> int:
        prefix, number = row["id"].split("-")
        return next((b for b, ends in enumerate(_BATCH_ENDS) if int(number) <= ends[prefix]), len(_BATCH_ENDS))

    batches = [[r for r in rows if batch_of(r) == b] for b in range(len(_BATCH_ENDS) + 1)]
    done: list[dict] = []
    for number, batch in enumerate(batches):
        drafts = [row | {"theme": themes[row["id"].split("-")[0]]} for row in batch]
        again = {row["text"]: row for row in tool.assign(done, drafts)}
        assert [again[row["text"]]["split"] for row in batch] == [row["split"] for row in batch]
        if number:  # the first batch was numbered as written; the tool numbers in split order
            assert [again[row["text"]]["id"] for row in batch] == [row["id"] for row in batch]
        done += batch
