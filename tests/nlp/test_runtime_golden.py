"""The trained default model tags a golden set of unambiguous sentences (tests/nlp/golden.jsonl) correctly.

Each line lists what must be found: ``categories`` (category -> polarity), ``polarity`` (of the sentence),
``loyalty`` and ``emotions`` (each must be among the predicted ones); with ``"exact": true`` the predicted
categories and loyalty signals must be exactly the listed ones (e.g. none for a factual sentence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runtime_fixtures import DEFAULT_MODEL_DIR

GOLDEN = Path(__file__).with_name("golden.jsonl")


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_golden_set_covers_every_category_and_loyalty_signal() -> None:
    from reviewmine.taxonomy import CATEGORIES, LOYALTY_SIGNALS

    rows = _rows()
    for category in CATEGORIES:
        found = {row["categories"][category] for row in rows if category in row.get("categories", {})}
        assert {"positive", "negative"} <= found, category
    for signal in LOYALTY_SIGNALS:
        assert any(signal in row.get("loyalty", []) for row in rows), signal


def _problems(row: dict[str, Any], result: dict[str, Any]) -> list[str]:
    sentences = result["sentences"]
    if result["status"] != "ok" or not sentences:
        return [f"status {result['status']}"]
    found_categories: dict[str, str] = {}
    found_loyalty: set[str] = set()
    found_emotions: set[str] = set()
    for sentence in sentences:
        found_categories |= sentence["categories"]
        found_loyalty |= set(sentence["loyalty"])
        found_emotions |= set(sentence["emotions"])
    problems = []
    if "polarity" in row and sentences[0]["polarity"] != row["polarity"]:
        problems.append(f"polarity {sentences[0]['polarity']} (want {row['polarity']})")
    for category, polarity in row.get("categories", {}).items():
        if found_categories.get(category) != polarity:
            problems.append(f"{category}: {found_categories.get(category, 'not found')} (want {polarity})")
    problems += [f"loyalty {s} not found" for s in row.get("loyalty", []) if s not in found_loyalty]
    problems += [f"emotion {e} not found" for e in row.get("emotions", []) if e not in found_emotions]
    if row.get("exact"):
        if set(found_categories) != set(row.get("categories", {})):
            problems.append(f"categories {sorted(found_categories)} (want exactly {sorted(row['categories'])})")
        if found_loyalty != set(row.get("loyalty", [])):
            problems.append(f"loyalty {sorted(found_loyalty)} (want exactly {sorted(row['loyalty'])})")
    return problems


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "config.json").exists(),
    reason=f"the trained default model is not there yet ({DEFAULT_MODEL_DIR}); train it with `reviewmine train`",
)
def test_trained_model_tags_the_golden_set() -> None:
    from reviewmine.nlp import classify_texts

    rows = _rows()
    results = classify_texts([row["text"] for row in rows], model=DEFAULT_MODEL_DIR)
    failures = [
        f"{row['text']!r}: {'; '.join(p)}" for row, res in zip(rows, results, strict=True) if (p := _problems(row, res))
    ]
    assert not failures, f"{len(failures)} of {len(rows)} golden sentences mis-tagged:\n" + "\n".join(failures)


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "config.json").exists(), reason="the trained default model is not there")
def test_runtime_review_score_is_the_evaluated_rule() -> None:
    """`classify_texts` scores a review exactly as `reviewmine eval` measured it (the model's review rule)."""
    import numpy as np

    from reviewmine.nlp import classify_texts
    from reviewmine.nlp.model import Tagger
    from reviewmine.nlp.training.evaluate import review_scores

    reviews = [
        "Broke after two days. The seller never answered my emails.",
        "Lovely staff and the food came quickly. Would come back!",
        "It works. Nothing special, but the price was fair.",
    ]
    runtime = [r["score"] for r in classify_texts(reviews, model=DEFAULT_MODEL_DIR, precision="fp32")]
    evaluated = review_scores(Tagger.load(DEFAULT_MODEL_DIR).eval(), reviews)
    np.testing.assert_allclose(runtime, evaluated, atol=0.02)  # evaluation runs in bf16, the runtime here in fp32
    assert runtime[0] < 0 < runtime[1]
