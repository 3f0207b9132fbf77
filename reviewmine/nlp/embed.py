"""Sentence embeddings for clustering sub-themes: all-MiniLM-L6-v2 mean-pooled, as sentence-transformers does.

The packaged encoder (not the fine-tuned tagger) is used on purpose: its embedding space was trained for semantic
similarity, which is what clustering needs. Loaded once per process, offline.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

__all__ = ["sentence_embeddings"]


@functools.lru_cache(maxsize=2)
def _encoder(path: str) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    return tokenizer, model


def sentence_embeddings(texts: Sequence[str], *, encoder: str | None = None, batch_size: int = 64) -> Any:
    """L2-normalised mean-pooled embeddings (n x 384 float32 array) of ``texts``, in their order."""
    from ..extras import require

    require("nlp", "clustering sub-themes on sentence embeddings")
    import numpy as np
    import torch

    from .model import default_encoder_path

    tokenizer, model = _encoder(str(encoder or default_encoder_path()))
    texts = [str(t) for t in texts]
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch: less padding
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
    return out
