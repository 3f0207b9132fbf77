"""Per-text teacher targets (teacher_targets.py): the file, rows without labels learning from it, the families it
teaches, and a time-boxed run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from reviewmine.errors import InputError
from reviewmine.nlp.model import Tagger
from reviewmine.nlp.training.data import Example
from reviewmine.nlp.training.objective import collate, multitask_loss
from reviewmine.nlp.training.teacher_targets import label_texts, load_targets, save_targets, targets_for_rows
from reviewmine.nlp.training.train import TrainSettings, train_model
from reviewmine.nlp.training.unlabelled import UNLABELLED, pool_rows

TEXTS = ["The pasta was delicious.", "Our waiter was rude.", "Thanks so much, this is great!"]


def _logits(n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    shapes = {"category": (n, 5), "category_polarity": (n, 5, 3), "polarity": (n, 3), "emotion": (n, 28),
              "loyalty": (n, 4), "ekman": (n, 7)}  # fmt: skip
    return {k: torch.randn(*s, generator=generator) for k, s in shapes.items()}


def test_targets_round_trip_by_text_key_without_the_texts(tmp_path: Path) -> None:
    logits = {k: v.to(torch.float16) for k, v in _logits(3).items()}
    path = tmp_path / "targets.safetensors"
    save_targets(path, TEXTS, logits, {"teacher": "t-1"})
    assert b"pasta" not in path.read_bytes()  # keys, not review text
    index, stored = load_targets(path)
    assert len(index) == 3 and set(stored) == set(logits)
    got, found = targets_for_rows(path, ["Our waiter was rude.", "never labelled", "The pasta was delicious."])
    assert found.tolist() == [True, False, True]
    torch.testing.assert_close(got["category"][0], logits["category"][1].float())
    torch.testing.assert_close(got["category_polarity"][2], logits["category_polarity"][0].float())
    assert not got["emotion"][1].any()  # a text the file lacks gets zeros, and `found` says so


def test_a_missing_or_foreign_targets_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_targets(tmp_path / "nope.safetensors")
    from safetensors.torch import save_file

    save_file({"category": torch.zeros(2, 5)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(InputError, match="not a teacher-targets file"):
        load_targets(tmp_path / "other.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="unreadable"):
        load_targets(tmp_path / "junk.safetensors")


def test_rows_without_labels_learn_every_family_from_the_teacher_alone() -> None:
    rows = [Example(TEXTS[0], "semeval2014", category=[1, 0, 0, 0, 0], category_polarity=[0, -1, -1, -1, -1])]
    rows += pool_rows(["We sat on the terrace."])
    assert rows[1].source == UNLABELLED
    _, labels = collate(rows, [[101, 2000, 102]] * 2, pad_id=0)
    student, teacher = _logits(2), _logits(2, seed=1)
    teacher["category"][1] = torch.tensor([3.0, -3.0, 3.0, -3.0, -3.0])  # the teacher finds categories 0 and 2
    only = torch.tensor([False, True])
    _, plain = multitask_loss(student, labels, {}, teacher, share=0.0)
    assert set(plain) == {"category", "category_polarity"}  # the labelled row alone, share 0: its labels
    _, taught = multitask_loss(student, labels, {}, teacher, share=0.0, teacher_only=only)
    assert set(taught) == {"category", "category_polarity", "polarity", "emotion", "loyalty", "ekman"}
    expected = F.binary_cross_entropy_with_logits(student["emotion"][1], torch.sigmoid(teacher["emotion"][1]))
    assert taught["emotion"] == pytest.approx(float(expected), rel=1e-5)
    # the category polarity of the pool row is learned only for the categories the teacher finds there
    soft = torch.softmax(teacher["category_polarity"][1, [0, 2]], -1)
    pool_part = F.cross_entropy(student["category_polarity"][1, [0, 2]], soft, reduction="sum")
    labelled_part = F.cross_entropy(student["category_polarity"][0, [0]], torch.tensor([0]), reduction="sum")
    assert taught["category_polarity"] == pytest.approx(float(pool_part + labelled_part) / 3, rel=1e-5)
    _, uncovered = multitask_loss(
        student, labels, {}, teacher, share=0.0, teacher_only=only, has_teacher=torch.tensor([True, False])
    )
    assert uncovered == plain  # a pool row the targets file lacks teaches nothing


def test_a_student_learns_from_a_targets_file_within_a_time_budget(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    teacher = Tagger.from_encoder()
    with torch.no_grad():
        teacher.category_bias.fill_(4.0)  # sure of every category
    teacher.eval()
    pool = ["We sat on the terrace by the window.", "The parcel came on Tuesday as promised."]
    rows = [Example(TEXTS[0], "semeval2014", category=[1, 0, 0, 0, 0], category_polarity=[0, -1, -1, -1, -1])]
    rows += pool_rows(pool)
    path = tmp_path / "targets.safetensors"
    save_targets(path, [TEXTS[0], *pool], label_texts(teacher, [TEXTS[0], *pool]), {"teacher": "test"})
    settings = TrainSettings(
        epochs=50, batch_size=3, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4, teacher_share="1.0",
        teacher_targets=str(path), teacher_families=("category",), unlabelled_per_epoch=2, time_budget=0.001,
    )  # fmt: skip
    student = Tagger.from_encoder()
    with caplog.at_level(logging.WARNING, logger="reviewmine.train"):
        history = train_model(student, rows, settings)
    assert "time budget" in caplog.text  # the schedule was cut to what fits, and the run ended early
    assert len(history["epochs"]) < 50
    assert (student.category_bias > 0).all()  # pulled up toward the teacher on every category


def test_teacher_families_must_be_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.safetensors"
    save_targets(path, TEXTS[:1], {"category": torch.zeros(1, 5, dtype=torch.float16)}, {})
    rows = [Example(TEXTS[0], "semeval2014", category=[1, 0, 0, 0, 0])]
    settings = TrainSettings(epochs=1, batch_size=1, teacher_targets=str(path), teacher_families=("emotion",))
    with pytest.raises(InputError, match="has no emotion"):
        train_model(Tagger.from_encoder(), rows, settings, max_steps=1)


@pytest.mark.parametrize(("skip", "rises"), [((), True), (("semeval2014",), False)])
def test_teacher_skip_keeps_a_source_on_its_own_labels(tmp_path: Path, skip: tuple[str, ...], rises: bool) -> None:
    """The teacher is sure of every category, the label says none: a skipped source follows its label."""
    path = tmp_path / "targets.safetensors"
    save_targets(path, TEXTS[:1], {"category": torch.full((1, 5), 6.0, dtype=torch.float16)}, {})
    rows = [Example(TEXTS[0], "semeval2014", category=[0, 0, 0, 0, 0])]
    settings = TrainSettings(
        epochs=30, batch_size=1, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4, teacher_share="1.0",
        teacher_targets=str(path), teacher_families=("category",), teacher_skip=skip,
    )  # fmt: skip
    student = Tagger.from_encoder()
    before = student.category_bias.detach().clone()
    train_model(student, rows, settings)
    assert bool((student.category_bias > before).all()) is rises
