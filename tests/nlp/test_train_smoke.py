"""Training end to end on tiny in-test data: a few steps, thresholds, artifact files, reload."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import InputError
from reviewmine.nlp.model import EKMAN_HEAD, Tagger
from reviewmine.nlp.training.card import write_artifact
from reviewmine.nlp.training.data import UNKNOWN, Example
from reviewmine.nlp.training.evaluate import evaluate_splits, tune_config
from reviewmine.nlp.training.objective import collate, ekman_labels, multitask_loss
from reviewmine.nlp.training.train import TrainSettings, key_values, resolve_device, train_model
from reviewmine.taxonomy import EKMAN_GROUPS, EMOTIONS


def _absa(text: str, categories: list[int], polarities: list[int], polarity: int) -> Example:
    return Example(text, "semeval2014", category=categories, category_polarity=polarities, polarity=polarity)


def _rows() -> list[Example]:
    rows = [
        _absa("The pasta was delicious.", [1, 0, 0, 0, 0], [0, -1, -1, -1, -1], 0),
        _absa("Our waiter was rude.", [0, 0, 0, 1, 0], [-1, -1, -1, 1, -1], 1),
        _absa("Way too expensive for what you get.", [0, 1, 0, 0, 0], [-1, 1, -1, -1, -1], 1),
        _absa("We went there on a Tuesday.", [0, 0, 0, 0, 0], [-1] * 5, 2),
        Example("Thanks so much, this is great!", "goemotions", emotion=[0] * 15 + [1] + [0] * 12, polarity=0),
        Example("I am so annoyed right now.", "goemotions", emotion=[0] * 3 + [1] + [0] * 24, polarity=1),
        Example("Great blender. Works every day and cleans easily.", "amazon", polarity=0),
        Example("Broke after a week. Waste of money.", "amazon", polarity=1),
        Example("Nobody answers the phone.", "hand", category=[0, 0, 0, 0, 1], polarity=1, loyalty=[0, 0, 0, 1]),
    ]
    rows[-1].category_polarity = [-1, -1, -1, -1, 1]
    return rows


def test_loss_only_covers_labelled_tasks() -> None:
    rows = [Example("just text", "goemotions", emotion=[0] * 28)]
    inputs, labels = collate(rows, [[101, 2000, 102]], pad_id=0)
    assert inputs["input_ids"].shape == (1, 3)
    assert (labels["category"] == UNKNOWN).all() and (labels["loyalty"] == UNKNOWN).all()
    logits = {
        "category": torch.zeros(1, 5, requires_grad=True),
        "category_polarity": torch.zeros(1, 5, 3, requires_grad=True),
        "polarity": torch.zeros(1, 3, requires_grad=True),
        "emotion": torch.zeros(1, 28, requires_grad=True),
        "loyalty": torch.zeros(1, 4, requires_grad=True),
        "ekman": torch.zeros(1, 7, requires_grad=True),
    }
    loss, parts = multitask_loss(logits, labels, {})
    assert set(parts) == {"emotion", "ekman"}  # the Ekman groups come from the same emotion labels
    loss.backward()
    assert logits["category"].grad is None  # no category labels: no gradient reaches that head
    assert logits["emotion"].grad is not None


def test_ekman_labels_follow_the_member_emotions() -> None:
    emotion = torch.full((3, 28), 0)
    emotion[0, EMOTIONS.index("annoyance")] = 1  # anger group
    emotion[1, EMOTIONS.index("neutral")] = 1
    emotion[2] = UNKNOWN
    groups = list(EKMAN_GROUPS)
    labels = ekman_labels(emotion)
    assert labels[0].tolist() == [int(g == "anger") for g in groups]
    assert labels[1].tolist() == [int(g == "neutral") for g in groups]
    assert (labels[2] == UNKNOWN).all()


def test_train_tune_save_load(tmp_path: Path) -> None:
    rows = _rows()
    model = Tagger.from_encoder()
    before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("encoder.encoder.layer.0.")}
    settings = TrainSettings(epochs=2, batch_size=4, goemotions_per_epoch=0, amazon_per_epoch=0)
    history = train_model(model, rows, settings, work_dir=tmp_path / "work", max_steps=4)
    assert history["epochs"] and (tmp_path / "work" / "checkpoint.pt").is_file()
    assert history["epochs"][-1]["grad_norm"] > 0  # the mean gradient norm before clipping is logged
    changed = [k for k, v in before.items() if not torch.equal(v, model.state_dict()[k])]
    assert changed, "the encoder layers were not fine-tuned"
    embeddings = model.encoder.embeddings.word_embeddings.weight
    assert not embeddings.requires_grad

    splits = {
        "train": rows,
        "semeval14_tune": rows[:4],
        "goemotions_tune": rows[4:6],
        "amazon_tune": rows[6:8],
        "hand_tune": rows[8:],
        "semeval14_dev": rows[:4],
        "goemotions_report": rows[4:6],
        "amazon_report": rows[6:8],
        "hand_test": rows[8:],
    }
    tune_config(model, splits)
    assert model.config.review_rule["tuned_on"] == "amazon_tune"
    assert model.config.review_rule["method"] == "review_head"  # fitted on the train split's Amazon reviews
    assert model.config.review_rule["train_reviews"] == 2
    metrics = evaluate_splits(model, splits)
    assert set(metrics["summary"]) >= {"semeval14_category_micro_f1", "goemotions_macro_f1", "communication_f1"}
    model.config.training = {"settings": {}, "data": {}}
    out = tmp_path / "model"
    write_artifact(model, out, metrics)
    write_artifact(model, out, metrics)  # a retrain replaces files, never adds
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "metrics.json", "model.safetensors"]
    assert json.loads((out / "metrics.json").read_text())["summary"] == json.loads(json.dumps(metrics["summary"]))

    loaded = Tagger.load(out)
    assert loaded.config.thresholds == model.config.thresholds
    batch = model.encode(["The pasta was delicious."])
    model.eval()
    with torch.no_grad():
        for key in ("category", "review"):
            torch.testing.assert_close(loaded(**batch)[key], model(**batch)[key], atol=2e-3, rtol=1e-3)


def test_lora_training_saves_a_small_low_rank_artifact(tmp_path: Path) -> None:
    """With --lora-rank the encoder gets adapters, is a plain encoder again afterwards, and saves as factors."""
    model = Tagger.from_encoder()
    settings = TrainSettings(epochs=1, batch_size=4, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4)
    train_model(model, _rows(), settings, work_dir=tmp_path / "work", max_steps=2)
    assert type(model.encoder).__name__ == "BertModel"  # adapters merged and removed
    model.save(tmp_path / "model")
    weights = tmp_path / "model" / "model.safetensors"
    assert weights.stat().st_size < 2_000_000  # heads plus rank-4 factors; a full delta would be ~20 MB
    loaded = Tagger.load(tmp_path / "model")
    batch = model.encode(["Our waiter was rude."])
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch)["category"], model(**batch)["category"], atol=2e-3, rtol=1e-3)


def test_a_lora_model_continued_keeps_its_adapter_rank(tmp_path: Path) -> None:
    """--init-from on a LoRA model continues its adapter: at first the model is unchanged, and after more training
    the stored difference still has the adapter's rank (a second adapter stacked on the first doubled it)."""
    settings = TrainSettings(epochs=1, batch_size=4, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4)
    first = Tagger.from_encoder()
    train_model(first, _rows(), settings, max_steps=3)
    first.save(tmp_path / "first")

    unchanged = Tagger.load(tmp_path / "first")
    frozen = replace(settings, lr_encoder=0.0, lr_heads=0.0)
    train_model(unchanged, _rows(), frozen, max_steps=1)
    batch = first.encode(["Our waiter was rude.", "Way too expensive."])
    with torch.no_grad():
        torch.testing.assert_close(unchanged(**batch)["category"], first(**batch)["category"], atol=2e-3, rtol=1e-3)

    continued = Tagger.load(tmp_path / "first")
    train_model(continued, _rows(), settings, max_steps=3)
    continued.save(tmp_path / "continued")
    stored = load_file(str(tmp_path / "continued" / "model.safetensors"))
    ranks = {v.shape[1] for k, v in stored.items() if k.endswith(".delta_up")}
    assert ranks == {4}


def test_continuing_with_a_smaller_rank_says_the_difference_will_grow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An earlier adapter of a higher rank than --lora-rank cannot move into the new one; the run says so."""
    settings = TrainSettings(epochs=1, batch_size=4, goemotions_per_epoch=0, amazon_per_epoch=0, lora_rank=4)
    first = Tagger.from_encoder()
    train_model(first, _rows(), settings, max_steps=2)
    first.save(tmp_path / "first")
    with caplog.at_level(logging.WARNING, logger="reviewmine.nlp.training.lora"):
        train_model(Tagger.load(tmp_path / "first"), _rows(), replace(settings, lora_rank=2), max_steps=1)
    assert "rank 4 > --lora-rank 2" in caplog.text


def test_cli_reports_missing_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--shared", str(tmp_path), "--model", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output and "data/" in result.output


def test_cli_rejects_an_unknown_loss_family_before_any_work(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--shared", str(tmp_path), "--loss-weight", "ekmann=3"])
    assert result.exit_code == 2
    assert "--loss-weight" in result.output and "ekmann=3" in result.output


def test_cli_rejects_an_unusable_device_before_any_work(tmp_path: Path) -> None:
    wanted = "cuda" if not torch.cuda.is_available() else "tpu"
    result = CliRunner().invoke(app, ["train", "--shared", str(tmp_path), "--device", wanted])
    assert result.exit_code == 1
    assert wanted in result.output


def test_auto_device_is_the_cpu_without_a_gpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected == resolve_device(expected).type


def test_key_values_apply_over_the_defaults() -> None:
    weights = key_values("--loss-weight", ["ekman=3"], TrainSettings().loss_weights, float)
    assert weights["ekman"] == 3.0 and weights["emotion"] == TrainSettings().loss_weights["emotion"]
    assert key_values("--repeat", ["acos=2"], {"hand": 3}, int, open_keys=True) == {"hand": 3, "acos": 2}


def test_an_ekman_loss_weight_trains_and_saves_an_ekman_head(tmp_path: Path) -> None:
    model = Tagger.from_encoder()
    weights = TrainSettings().loss_weights | {"ekman": 10.0}
    settings = TrainSettings(epochs=1, batch_size=4, goemotions_per_epoch=0, amazon_per_epoch=0, loss_weights=weights)
    before = model.ekman_head.weight.detach().clone()
    train_model(model, _rows(), settings, max_steps=2)
    assert model.config.ekman_rule == EKMAN_HEAD
    assert not torch.equal(model.ekman_head.weight, before)  # the GoEmotions rows reached it
    model.save(tmp_path)
    loaded = Tagger.load(tmp_path)
    assert loaded.config.ekman_rule == EKMAN_HEAD
    torch.testing.assert_close(loaded.ekman_head.weight, model.ekman_head.weight, atol=1e-3, rtol=1e-2)  # fp16


def test_batches_cover_every_row_once_in_either_order() -> None:
    from reviewmine.nlp.training.train import _batches

    lengths = [(i * 7) % 23 + 1 for i in range(200)]
    rows = list(range(200))
    by_length = list(_batches(rows, lengths, 8, seed=1))
    shuffled = list(_batches(rows, lengths, 8, seed=1, by_length=False))
    for batches in (by_length, shuffled):
        assert sorted(i for b in batches for i in b) == rows
        assert all(len(b) == 8 for b in batches)
    # length batching keeps each batch within a narrow band of lengths; plain shuffling does not
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in by_length]
    assert max(spread) <= 2 < max(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in shuffled)


def test_an_unknown_batching_is_an_input_error() -> None:
    model = Tagger.from_encoder()
    with pytest.raises(InputError, match="batching"):
        train_model(model, [], TrainSettings(batching="alphabetical", lora_rank=0), max_steps=1)
