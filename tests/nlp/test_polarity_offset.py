"""The neutral offset tune_config folds into the category-polarity head (evaluate.tune_polarity_offset): chosen on
the tune splits only, each set weighted equally, ties kept at no shift, recorded in the config and saved."""

from __future__ import annotations

from pathlib import Path

import torch

from reviewmine.nlp.model import Tagger
from reviewmine.nlp.training.data import Example
from reviewmine.nlp.training.evaluate import predict, tune_polarity_offset

NEUTRAL, POSITIVE = 2, 0
SENTENCES = ["We sat on the terrace.", "I ordered the lunch menu.", "The waiter brought the bill.",
             "We paid at the counter.", "They had a new menu."]  # fmt: skip


def _rows(polarity: int, source: str) -> list[Example]:
    """One mention of `product` per sentence, with the given gold polarity."""
    return [
        Example(t, source, category=[1, 0, 0, 0, 0], category_polarity=[polarity, -1, -1, -1, -1]) for t in SENTENCES
    ]


def _tagger_calling_everything_positive() -> Tagger:
    model = Tagger.from_encoder()
    with torch.no_grad():
        model.category_polarity_bias[:, POSITIVE] = 1.0
    return model.eval()


def test_neutral_mentions_in_the_tune_rows_move_the_offset_and_the_saved_model_keeps_it(tmp_path: Path) -> None:
    model = _tagger_calling_everything_positive()
    tune_polarity_offset(model, {"mams_tune": _rows(NEUTRAL, "mams")})
    record = model.config.polarity_offset
    assert record["tuned_on"] == ["mams_tune"]
    assert record["mean_accuracy"] == {"before": 0.0, "after": 1.0}
    assert 0.5 < record["neutral"] <= 2.0  # the smallest shift that calls them neutral, not the largest
    assert (predict(model, SENTENCES)["category_polarity"][:, 0].argmax(-1) == NEUTRAL).all()
    model.save(tmp_path / "m")
    again = Tagger.load(tmp_path / "m")
    assert again.config.polarity_offset == record
    assert (predict(again, SENTENCES)["category_polarity"][:, 0].argmax(-1) == NEUTRAL).all()


def test_sets_that_pull_both_ways_with_equal_weight_leave_the_head_alone() -> None:
    model = _tagger_calling_everything_positive()
    before = model.category_polarity_bias.detach().clone()
    splits = {"semeval14_tune": _rows(POSITIVE, "semeval2014"), "mams_tune": _rows(NEUTRAL, "mams")}
    tune_polarity_offset(model, splits)
    assert model.config.polarity_offset["neutral"] == 0.0
    torch.testing.assert_close(model.category_polarity_bias, before)


def test_no_tune_rows_no_offset() -> None:
    model = _tagger_calling_everything_positive()
    tune_polarity_offset(model, {"semeval14_dev": _rows(NEUTRAL, "semeval2014")})  # a report split is never used
    assert model.config.polarity_offset == {}


def test_the_card_states_the_offset() -> None:
    from reviewmine.nlp.model import TaggerConfig
    from reviewmine.nlp.training.card import render_card

    config = TaggerConfig(polarity_offset={"neutral": -0.6, "tuned_on": ["semeval14_tune", "mams_tune"]})
    assert "Neutral category-polarity offset -0.6 (log-odds, folded into the head), tuned on semeval14_tune and" in (
        render_card(config, {})
    )
