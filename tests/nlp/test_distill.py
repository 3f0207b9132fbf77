"""Teachers (distill.py): the loss's soft targets, the teachers' logits, a run with a teacher, and bad options."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.nn import functional as F
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import InputError
from reviewmine.nlp.model import Tagger
from reviewmine.nlp.training.data import Example
from reviewmine.nlp.training.distill import check_teachers, teacher_logits, teacher_share
from reviewmine.nlp.training.objective import collate, multitask_loss, pad_ids
from reviewmine.nlp.training.train import TrainSettings, _tokenize, train_model


def _rows() -> list[Example]:
    return [
        Example(
            "The pasta was delicious.", "semeval2014", category=[1, 0, 0, 0, 0], category_polarity=[0, -1, -1, -1, -1]
        ),
        Example("Our waiter was rude.", "semeval2014", category=[0, 0, 0, 1, 0], category_polarity=[-1, -1, -1, 1, -1]),
        Example("Thanks so much, this is great!", "goemotions", emotion=[0] * 15 + [1] + [0] * 12),
    ]


def _logits(n: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    shapes = {"category": (n, 5), "category_polarity": (n, 5, 3), "polarity": (n, 3), "emotion": (n, 28),
              "loyalty": (n, 4), "ekman": (n, 7)}  # fmt: skip
    return {k: torch.randn(*s) for k, s in shapes.items()}


def test_teacher_targets_mix_labels_and_teacher_probabilities_by_share() -> None:
    rows = _rows()
    _, labels = collate(rows, [[101, 2000, 102]] * 3, pad_id=0)
    student, teacher = _logits(3), _logits(3)
    teacher = {k: teacher[k] * 3 + 1 for k in ("category", "category_polarity")}
    weights = {"category": 1.0, "category_polarity": 1.0}
    _, gold = multitask_loss(student, labels, weights)
    _, same = multitask_loss(student, labels, weights, {"category": teacher["category"]}, share=0.0)
    assert same == gold  # share 0: the labels alone
    _, half = multitask_loss(student, labels, weights, teacher, share=0.5)
    _, full = multitask_loss(student, labels, weights, teacher, share=1.0)
    known = labels["category"] >= 0  # the goemotions row has no category labels: no target for it either
    expected = F.binary_cross_entropy_with_logits(student["category"][known], torch.sigmoid(teacher["category"][known]))
    assert full["category"] == pytest.approx(float(expected), rel=1e-5)
    for family in ("category", "category_polarity"):  # both losses are linear in the target
        assert half[family] == pytest.approx((gold[family] + full[family]) / 2, rel=1e-5)
    assert full["emotion"] == gold["emotion"]  # a family without a teacher keeps its labels


def test_teacher_logits_are_the_teachers_own_on_the_rows_labelled_for_the_family(tmp_path: Path) -> None:
    teacher = Tagger.from_encoder()
    teacher.save(tmp_path / "teacher")
    teacher.eval()
    rows = _rows()
    ids = _tokenize(teacher, rows, TrainSettings())
    folder = tmp_path / "teacher"
    got = teacher_logits({"category": folder, "emotion": folder}, rows, ids, 0, torch.device("cpu"))
    assert got["category"].shape == (3, 5) and got["emotion"].shape == (3, 28)
    input_ids, mask = pad_ids(ids, 0)
    with torch.no_grad():
        own = teacher(input_ids, mask)
    torch.testing.assert_close(got["category"][:2], own["category"][:2], atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(got["emotion"][2], own["emotion"][2], atol=2e-3, rtol=1e-3)
    assert not got["category"][2].any()  # no category labels on that row: not read
    assert not got["emotion"][:2].any()  # one pass over the rows of both families, each kept to its own


def test_a_run_with_a_teacher_learns_from_it(tmp_path: Path) -> None:
    """Same seed and rows, with and without a teacher that is sure of every category: the first step (teacher's
    share 1) moves the category biases up toward the teacher's targets instead of down toward the labels."""
    teacher = Tagger.from_encoder()
    with torch.no_grad():
        teacher.category_bias.fill_(4.0)
    teacher.save(tmp_path / "teacher")
    biases = []
    for teachers in ({}, {"category": str(tmp_path / "teacher")}):
        settings = TrainSettings(epochs=1, batch_size=3, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4,
                                 teachers=teachers)  # fmt: skip
        student = Tagger.from_encoder()
        train_model(student, _rows(), settings, max_steps=1)
        biases.append(student.category_bias.detach())
    unlabelled = [1, 2, 4]  # categories no row has: the labels push them down, the teacher up
    assert (biases[0][unlabelled] < 0).all() and (biases[1] > 0).all()


def test_bad_teachers_fail_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no family 'sentiment'"):
        check_teachers({"sentiment": str(tmp_path)})
    result = CliRunner().invoke(app, ["train", "--shared", str(tmp_path), "--teacher", f"category={tmp_path}"])
    assert result.exit_code == 1
    assert "not a reviewmine model folder" in result.output and str(tmp_path) in result.output


def test_the_teachers_share_anneals_or_stays_constant() -> None:
    assert [teacher_share("anneal", s, 4) for s in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert {teacher_share("0.5", s, 4) for s in range(5)} == {0.5}
    for bad in ("1.5", "half", "-0.1"):
        with pytest.raises(InputError, match="--teacher-share"):
            check_teachers({}, bad)
    result = CliRunner().invoke(app, ["train", "--teacher-share", "lots"])
    assert result.exit_code == 2 and "neither 'anneal' nor a number" in result.output
