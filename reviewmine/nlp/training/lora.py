"""LoRA adapters on the encoder for training, continuing an earlier run's adapter when there is one.

A LoRA run ends with its adapter merged into the encoder, and the artifact stores the difference from the
packaged weights as rank-r factors. A later run from that artifact (``--init-from``, to add newly labelled
examples) used to put a fresh adapter on top of the merged one, so the stored difference came out with twice the
rank (a larger artifact each time). Here the new adapter starts as the earlier difference's own factors, on the
packaged weights: the run continues the same adapter and the artifact keeps its rank.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from ..model import low_rank_factors

__all__ = ["TARGET_MODULES", "with_lora"]

# Every attention and feed-forward linear layer: BERT/MiniLM name them query/key/value/dense, MPNet (the large
# teacher, large_encoder.py) q/k/v/o and dense.
TARGET_MODULES = ("query", "key", "value", "dense", "q", "k", "v", "o")
log = logging.getLogger(__name__)


def with_lora(encoder: nn.Module, rank: int, alpha: float, dropout: float, base: nn.Module | None = None) -> nn.Module:
    """``encoder`` with LoRA adapters on its linear layers (other weights frozen).

    ``base``: the packaged encoder ``encoder`` was trained from. Where ``encoder`` differs from it by a
    difference of rank <= ``rank`` (an earlier LoRA run), the adapters start as that difference; a larger
    difference (a full fine-tune) stays in the weights, under a fresh adapter.
    """
    from peft import LoraConfig, get_peft_model

    earlier = _low_rank_differences(encoder, base, rank) if base is not None else {}
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(TARGET_MODULES))
    adapted = get_peft_model(encoder, config)
    if earlier:
        _start_from(adapted, earlier)
        log.info("continuing the earlier adapter in %d layers", len(earlier))
    return adapted


def _low_rank_differences(encoder: nn.Module, base: nn.Module, rank: int) -> dict[str, tuple[Tensor, Tensor]]:
    """Per adapted linear layer (module name): the factors (up, down) of its difference from ``base``; empty when
    there is no difference or one of them is not low-rank."""
    base_state = base.state_dict()
    out: dict[str, tuple[Tensor, Tensor]] = {}
    for name, module in encoder.named_modules():
        if not isinstance(module, nn.Linear) or name.rsplit(".", 1)[-1] not in TARGET_MODULES:
            continue
        weight = module.weight.detach()
        delta = weight.float() - base_state[f"{name}.weight"].to(weight.device).float()  # base loads on the CPU
        if not torch.count_nonzero(delta):
            continue
        up, down = low_rank_factors(delta)
        if up.shape[1] > rank:
            log.warning(
                "the earlier difference of %s has rank %d > --lora-rank %d: it stays in the weights under a fresh "
                "adapter, so the saved difference can reach rank %d",
                name,
                up.shape[1],
                rank,
                up.shape[1] + rank,
            )
            return {}
        out[name] = (up, down)
    return out


@torch.no_grad()
def _start_from(adapted: nn.Module, earlier: dict[str, tuple[Tensor, Tensor]]) -> None:
    """Move each earlier difference out of the weights and into the adapter's first directions (B @ A * scaling
    = up @ down); directions past the earlier rank keep peft's start (B zero, A random), so they can still learn."""
    for name, module in adapted.named_modules():
        plain = name.removeprefix("base_model.model.")
        if plain not in earlier or not hasattr(module, "lora_A"):
            continue
        up, down = earlier[plain]
        scale = module.scaling["default"] ** 0.5
        weight = module.base_layer.weight
        weight -= (up @ down).to(weight.dtype)
        used = up.shape[1]
        module.lora_B["default"].weight[:, :used] = up / scale
        module.lora_A["default"].weight[:used] = down / scale
