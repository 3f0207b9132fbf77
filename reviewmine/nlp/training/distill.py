"""Teachers for multi-task training: families learned from another saved model as well as from labels.

On the shared encoder, category detection loses about 0.03 micro-F1 to the polarity objectives, and no loss
weight or ramp won it back without costing category polarity as much (docs/model-experiments.md). Born-again
multi-task networks (Clark et al. 2019, "BAM!") learn each such family from a single-task teacher too: the training
target is ``(1 - share) * label + share * teacher``, the teacher's share falling linearly from 1 at the first step to 0
at the last ("teacher annealing"), so the run ends on the labels alone. A constant share (``--teacher-share 0.5``)
is classic distillation instead, e.g. of a deeper model into one with fewer encoder layers.

A teacher is an ordinary saved model on the same vocabulary (it reads the student's token ids): a single-task run
(`reviewmine train` with the other families weighted 0) or a deeper model. Its logits on the training rows that
carry the family's labels are computed once, before the first step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor

from ...errors import InputError
from .data import UNKNOWN, Example
from .objective import pad_ids
from .settings import ANNEAL

__all__ = ["ANNEAL", "DISTILLABLE", "check_teachers", "teacher_logits", "teacher_share"]

log = logging.getLogger(__name__)

DISTILLABLE = ("category", "category_polarity", "polarity", "emotion", "ekman", "loyalty")


def teacher_share(setting: str, step: int, total: int) -> float:
    """The teacher's share of the target at ``step`` of ``total``: falling from 1 to 0 (``anneal``, BAM), or
    constant (a number in [0, 1], as in classic distillation into a smaller student, Hinton et al. 2015)."""
    if setting == ANNEAL:
        return max(0.0, 1.0 - step / total)
    try:
        share = float(setting)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise InputError(f"{setting!r} is neither {ANNEAL!r} nor a number from 0 to 1", where="--teacher-share")
    return share


def check_teachers(teachers: Mapping[str, str | Path], share: str = ANNEAL) -> None:
    """Fail before any work when a family cannot be distilled, a teacher folder holds no model or the share is
    neither a schedule nor a number."""
    from ..model import CONFIG_FILE

    teacher_share(share, 0, 1)
    for family, folder in teachers.items():
        if family not in DISTILLABLE:
            raise InputError(f"no family {family!r} to distil (one of {', '.join(DISTILLABLE)})", where="--teacher")
        if not (Path(folder) / CONFIG_FILE).is_file():
            raise InputError(f"the {family} teacher is not a reviewmine model folder", where=str(folder))


def _labelled(row: Example, family: str) -> bool:
    if family == "category":
        return row.category[0] != UNKNOWN
    if family == "category_polarity":
        return any(p != UNKNOWN for p in row.category_polarity)
    if family == "polarity":
        return row.polarity != UNKNOWN
    if family == "loyalty":
        return row.loyalty is not None
    return row.emotion is not None  # emotion, ekman


def teacher_logits(
    teachers: Mapping[str, str | Path],
    rows: Sequence[Example],
    ids: Sequence[list[int]],
    pad_id: int,
    device: torch.device,
    batch_size: int = 128,
) -> dict[str, Tensor]:
    """Per family, its teacher's logits for every training row (zeros where the row has no such labels), on the
    CPU. ``ids``: the rows as the run tokenised them. A folder that teaches several families is loaded once and
    reads each row once (emotion and ekman rows are the same 40,000 GoEmotions comments)."""
    from ..model import Tagger

    check_teachers(teachers)
    by_folder: dict[str, list[str]] = {}
    for family, folder in teachers.items():
        by_folder.setdefault(str(folder), []).append(family)
    out: dict[str, Tensor] = {}
    for folder, families in by_folder.items():
        wanted = {f: [i for i, row in enumerate(rows) if _labelled(row, f)] for f in families}
        for family, chosen in wanted.items():
            if not chosen:
                raise InputError(f"no training row has {family} labels for its teacher to read", where=folder)
        teacher = Tagger.load(folder).to(device)
        union = sorted(set().union(*wanted.values()), key=lambda i: len(ids[i]))
        result: dict[str, Tensor] = {}
        with torch.inference_mode():
            for start in range(0, len(union), batch_size):
                part = union[start : start + batch_size]
                input_ids, mask = pad_ids([ids[i] for i in part], pad_id)
                logits = teacher(input_ids=input_ids.to(device), attention_mask=mask.to(device))
                for family in families:
                    if family not in result:
                        result[family] = torch.zeros((len(rows), *logits[family].shape[1:]))
                    result[family][part] = logits[family].float().cpu()
        for family, chosen in wanted.items():
            unlabelled = torch.ones(len(rows), dtype=torch.bool)
            unlabelled[chosen] = False
            out[family] = result[family].masked_fill(unlabelled.view(-1, *[1] * (result[family].dim() - 1)), 0.0)
            log.info("teacher for %s: %s, %d rows", family, folder, len(chosen))
        del teacher
    return out
