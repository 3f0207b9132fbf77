"""A teacher's logits for a list of texts, saved once and read by any number of student runs.

A teacher on another encoder (the large mpnet teacher) does not read the student's token ids, so its targets are
per text, not per token: each model tokenises the text itself. The file is a safetensors file of fp16 logits per
family, one row per text, plus the texts' keys (`unlabelled.text_key`), so it holds no review text and can be
matched to the rows of a later run by key. Computing it is the only step that needs the teacher (and, for mpnet,
a GPU to be quick); every student run after it reads the file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from ...errors import InputError
from .distill import DISTILLABLE
from .unlabelled import text_key

__all__ = ["label_texts", "load_targets", "save_targets", "targets_for_rows"]

log = logging.getLogger(__name__)
_KEYS = "keys"


def _key(text: str) -> int:
    """`text_key` as a signed 64-bit integer, the form the file stores."""
    return int(text_key(text), 16) - (1 << 63)


@torch.inference_mode()
def label_texts(teacher, texts: Sequence[str], max_length: int = 128, batch_size: int = 256) -> dict[str, Tensor]:
    """The teacher's logits (fp16, on the CPU) for each text and each distillable family; texts sorted by length
    into batches so little is padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: dict[str, Tensor] = {}
    for start in range(0, len(order), batch_size):
        part = order[start : start + batch_size]
        inputs = teacher.encode([texts[i] for i in part], max_length=max_length)
        with torch.autocast(inputs["input_ids"].device.type, dtype=torch.bfloat16):
            logits = teacher(**inputs)
        for family in DISTILLABLE:
            if family not in out:
                out[family] = torch.zeros((len(texts), *logits[family].shape[1:]), dtype=torch.float16)
            out[family][part] = logits[family].float().cpu().to(torch.float16)
    return out


def save_targets(path: Path, texts: Sequence[str], logits: dict[str, Tensor], meta: dict[str, str]) -> None:
    """Write the logits with the texts' keys (no text) and ``meta`` (teacher, date) as safetensors metadata."""
    from safetensors.torch import save_file

    keys = torch.tensor([_key(t) for t in texts], dtype=torch.int64)
    tensors = {name: value.contiguous() for name, value in logits.items()} | {_KEYS: keys}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        tensors, str(path), metadata={k: str(v) for k, v in meta.items()} | {"families": json.dumps(list(logits))}
    )


def load_targets(path: Path) -> tuple[dict[int, int], dict[str, Tensor]]:
    """(key -> row index, family -> logits) from a file written by `save_targets`."""
    from safetensors.torch import load_file

    if not path.is_file():
        raise InputError("teacher-targets file not found", where=str(path))
    try:
        stored = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise InputError(f"unreadable teacher-targets file: {exc}", where=str(path)) from None
    if _KEYS not in stored:
        raise InputError("not a teacher-targets file (no keys)", where=str(path))
    index = {int(k): i for i, k in enumerate(stored.pop(_KEYS).tolist())}
    return index, stored


def targets_for_rows(path: Path, texts: Sequence[str]) -> tuple[dict[str, Tensor], Tensor]:
    """Per family, the teacher's logits for each text (float32, zeros where the file has none), and a boolean
    per text: whether the file had it."""
    index, stored = load_targets(path)
    rows = [index.get(_key(t), -1) for t in texts]
    found = torch.tensor([r >= 0 for r in rows])
    picks = torch.tensor([max(r, 0) for r in rows], dtype=torch.long)
    out = {}
    for family, logits in stored.items():
        chosen = logits[picks].float()
        out[family] = chosen * found.view(-1, *[1] * (chosen.dim() - 1))
    log.info("teacher targets: %d of %d rows found in %s", int(found.sum()), len(texts), path)
    return out, found
