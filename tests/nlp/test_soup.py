"""Averaging runs of one recipe (training/soup.py): the mean of every weight, encoder differences cut to the rank."""

from __future__ import annotations

import pytest
import torch

from reviewmine.errors import InputError
from reviewmine.nlp.model import ENCODER_PREFIX, Tagger, TaggerConfig, default_encoder_path, load_encoder
from reviewmine.nlp.training.soup import average_taggers

LAYER = "encoder.encoder.layer.1.intermediate.dense.weight"


def _tagger(seed: int, rank: int = 2) -> Tagger:
    """A tagger whose heads differ and whose one encoder layer carries a rank-``rank`` change (a merged LoRA)."""
    model = Tagger.from_encoder(config=TaggerConfig(encoder_layers=2))
    generator = torch.Generator().manual_seed(seed)
    weight = model.encoder.encoder.layer[1].intermediate.dense.weight
    with torch.no_grad():
        up = torch.randn(weight.shape[0], rank, generator=generator) * 0.05
        weight += up @ (torch.randn(rank, weight.shape[1], generator=generator) * 0.05)
        model.category_bias.copy_(torch.randn(model.category_bias.shape, generator=generator))
    return model


def _base() -> torch.Tensor:
    return load_encoder(default_encoder_path(), 2)[0].state_dict()[LAYER.removeprefix(ENCODER_PREFIX)]


def test_the_average_is_the_mean_of_every_weight() -> None:
    a, b = _tagger(1), _tagger(2)
    expected = {name: (a.state_dict()[name] + b.state_dict()[name]) / 2 for name in (LAYER, "category_bias")}
    soup = average_taggers([a, b], rank=4)  # two rank-2 changes: their mean has rank 4, kept whole
    for name, value in expected.items():
        assert torch.allclose(soup.state_dict()[name], value, atol=1e-5), name
    assert not soup.training


def test_the_encoder_difference_is_cut_to_the_rank() -> None:
    a, b = _tagger(1), _tagger(2)
    mean_delta = (a.state_dict()[LAYER] + b.state_dict()[LAYER]) / 2 - _base()
    soup = average_taggers([a, b], rank=2)
    delta = soup.state_dict()[LAYER] - _base()
    assert int(torch.linalg.matrix_rank(delta, atol=1e-5)) == 2
    singular = torch.linalg.svdvals(mean_delta)  # what is dropped is what a rank-2 cut must drop, no more
    assert float(torch.linalg.norm(delta - mean_delta)) == pytest.approx(float(singular[2:].norm()), rel=1e-3)


def test_the_card_names_the_averaged_runs() -> None:
    from reviewmine.nlp.training.card import render_card

    config = TaggerConfig(
        training={"settings": {"seed": 13}, "averaged": {"models": ["a", "b"], "seeds": [13, 14], "rank": 64}}
    )
    assert "the average of 2 such runs (seeds 13, 14), cut back to rank 64" in render_card(config, {})


def test_models_of_other_shapes_do_not_average() -> None:
    with pytest.raises(InputError, match="other weights"):
        average_taggers([_tagger(1), Tagger.from_encoder(config=TaggerConfig(encoder_layers=3))], rank=2)
    with pytest.raises(InputError, match="two models"):
        average_taggers([_tagger(1)], rank=2)


def test_the_average_records_the_mean_of_the_folded_offsets() -> None:
    a, b = _tagger(1), _tagger(2)
    a.config.polarity_offset, b.config.polarity_offset = {"neutral": -0.4}, {"neutral": -0.8}
    assert average_taggers([a, b], rank=4).config.polarity_offset == {"neutral": -0.6, "averaged": [-0.4, -0.8]}
