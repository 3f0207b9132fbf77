"""The training objective: a batch's labels as tensors, and one loss over every label family.

Rows come from different datasets and carry different families (SemEval rows have categories, GoEmotions rows
emotions, hand-labelled rows nearly everything), so each family's loss is averaged over only the entries its
labels cover; UNKNOWN (-1) marks the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from ..inference import ekman_from_members
from .data import UNKNOWN, Example

__all__ = ["collate", "ekman_labels", "multitask_loss", "pad_ids"]


def pad_ids(ids: Sequence[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Token-id lists padded to the longest: (input_ids, attention_mask)."""
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return input_ids, mask


def collate(
    examples: Sequence[Example], ids: Sequence[list[int]], pad_id: int
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Pad a batch of token-id lists; labels as tensors with UNKNOWN (-1) where a row is unlabelled."""
    input_ids, mask = pad_ids(ids, pad_id)
    n_emo = len(next((e.emotion for e in examples if e.emotion is not None), [0] * 28))
    n_loy = len(next((e.loyalty for e in examples if e.loyalty is not None), [0] * 4))
    labels = {
        "category": torch.tensor([e.category for e in examples]),
        "category_polarity": torch.tensor([e.category_polarity for e in examples]),
        "polarity": torch.tensor([e.polarity for e in examples]),
        "emotion": torch.tensor([e.emotion if e.emotion is not None else [UNKNOWN] * n_emo for e in examples]),
        "loyalty": torch.tensor([e.loyalty if e.loyalty is not None else [UNKNOWN] * n_loy for e in examples]),
    }
    labels["ekman"] = ekman_labels(labels["emotion"])
    return {"input_ids": input_ids, "attention_mask": mask}, labels


def ekman_labels(emotion: Tensor) -> Tensor:
    """Ekman group labels (B, 7) from emotion labels (B, 28): 1 when any member is, UNKNOWN where emotions are
    (a row's emotions are all known or all UNKNOWN, so the members' maximum is both)."""
    return torch.from_numpy(ekman_from_members(emotion.numpy()))


def multitask_loss(
    logits: dict[str, Tensor],
    labels: dict[str, Tensor],
    weights: dict[str, float],
    teacher: dict[str, Tensor] | None = None,
    share: float = 0.0,
    has_teacher: Tensor | None = None,
    teacher_only: Tensor | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Sum of per-family losses, each averaged over only the labelled entries of the batch.

    ``teacher``: logits of teacher models for some families (distill.py, teacher_targets.py); on labelled entries
    the targets are ``(1 - share) * label + share * teacher probability``. ``has_teacher`` (bool per row, default
    all): the rows the teacher's logits cover. ``teacher_only`` (bool per row): rows with no labels of their own
    (the unlabelled pool) that learn every family from the teacher alone; a category's polarity only where the
    teacher finds the category."""
    teacher = teacher or {}
    rows = labels["polarity"].shape[0]
    device = labels["polarity"].device
    covered = has_teacher if has_teacher is not None else torch.ones(rows, dtype=torch.bool, device=device)
    taught = teacher_only & covered if teacher_only is not None else torch.zeros_like(covered)
    parts: dict[str, Tensor] = {}
    for family in ("category", "emotion", "loyalty", "ekman"):
        if family not in labels or weights.get(family, 1.0) == 0:
            continue
        known = labels[family] >= 0
        target = labels[family].float().clamp(min=0)
        if family in teacher:
            soft = torch.sigmoid(teacher[family].float())
            mixed = covered.view(-1, 1) & known
            target = torch.where(mixed, torch.lerp(target, soft, share), target)
            extra = taught.view(-1, 1) & ~known
            target = torch.where(extra, soft, target)
            known = known | extra
        if known.any():
            parts[family] = F.binary_cross_entropy_with_logits(logits[family].float()[known], target[known])
    for family, width in (("category_polarity", 3), ("polarity", 3)):
        known = labels[family] >= 0
        target = F.one_hot(labels[family].clamp(min=0), width).float()
        if family in teacher:
            soft = torch.softmax(teacher[family].float(), dim=-1)
            shape = (-1, 1, 1) if family == "category_polarity" else (-1, 1)
            mixed = (covered.view(shape[:-1]) & known).unsqueeze(-1)
            target = torch.where(mixed, torch.lerp(target, soft, share), target)
            extra = taught.view(shape[:-1]) & ~known
            if family == "category_polarity" and "category" in teacher:
                extra = extra & (teacher["category"].float() > 0)  # the teacher finds the category
            target = torch.where(extra.unsqueeze(-1), soft, target)
            known = known | extra
        if known.any():
            parts[family] = F.cross_entropy(logits[family].float()[known], target[known])
    start = torch.zeros((), device=next(iter(logits.values())).device)
    total = sum((weights.get(k, 1.0) * v for k, v in parts.items()), start)
    return total, {k: float(v.detach()) for k, v in parts.items()}
