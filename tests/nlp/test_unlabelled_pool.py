"""The unlabelled pool (unlabelled.py): in-domain sentences for a teacher to label, never evaluation text."""

from __future__ import annotations

from pathlib import Path

from reviewmine.nlp.training.data import Example
from reviewmine.nlp.training.unlabelled import UNLABELLED, pool_rows, text_key, unlabelled_pool


def _shared(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "app-reviews-maalej"
    folder.mkdir(parents=True)
    (folder / "maalej2016.csv").write_text(
        "id_num,review,rating,title\n"
        '1,"Crashes every time I open the camera. Support never answered my email.",1,Broken\n'
        '2,"Love it!",5,\n',
        encoding="utf-8",
    )
    return tmp_path


def test_the_pool_is_sentences_of_training_and_app_reviews_without_held_out_text(tmp_path: Path) -> None:
    splits = {
        "train": [
            Example("Great blender, works every day. The lid cracked after a month.", "amazon"),
            Example("The staff were friendly but slow tonight.", "mams"),
            Example("Thanks so much, this is great!", "goemotions"),  # a labelled source: not in the pool
        ],
        "amazon_report": [Example("The lid cracked after a month!", "amazon")],  # held out (normalised match)
    }
    pool = unlabelled_pool(_shared(tmp_path), splits)
    assert "Great blender, works every day." in pool
    assert "The staff were friendly but slow tonight." in pool
    assert "Support never answered my email." in pool
    assert not any("lid cracked" in text for text in pool)  # evaluation text never enters the pool
    assert not any("Thanks so much" in text for text in pool)
    assert "Love it!" not in pool  # too short to teach much
    assert len(pool) == len(set(pool))
    assert unlabelled_pool(tmp_path, splits, limit=2) == pool[:2]


def test_pool_rows_have_no_labels_and_skip_texts_already_trained_on() -> None:
    rows = pool_rows(["We sat on the terrace.", "Our waiter was rude."], known=["Our waiter was rude."])
    assert [r.text for r in rows] == ["We sat on the terrace."]
    assert rows[0].source == UNLABELLED and rows[0].polarity == -1 and rows[0].emotion is None
    assert text_key("x") == text_key("x") != text_key("y") and len(text_key("x")) == 16
