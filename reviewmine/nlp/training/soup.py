"""Average the weights of runs continued from the same model (a "model soup", Wortsman et al. 2022).

Two seeds of one recipe, both continued from the same artifact, land close enough in weight space that their
average is a model of its own, often better than either on most families (reviewmine-tagger-7 is the average of
two seeds; it got back the GoEmotions each run had lost: docs/model-experiments.md, session 16). The averaged
encoder difference is cut back to the runs' LoRA rank (a truncated SVD of each layer's difference), so the
artifact stays as small as one run's and a later ``--init-from`` continues it as one adapter. Thresholds and
the review rule are tuned again on the tune splits, then the report splits are measured, as at the end of `train`.

    python -m reviewmine.nlp.training.soup --out build/soup build/run-a build/run-b
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ...errors import InputError
from ..model import ENCODER_PREFIX, Tagger, load_encoder, low_rank_factors

__all__ = ["average_taggers", "soup"]

log = logging.getLogger(__name__)


def average_taggers(models: Sequence[Tagger], rank: int) -> Tagger:
    """The first model with every weight replaced by the mean over ``models``; encoder differences from the
    packaged weights are cut to ``rank`` (0: kept whole)."""
    if len(models) < 2:
        raise InputError("averaging needs two models or more", where="soup")
    first = models[0]
    states = [m.state_dict() for m in models]
    names = set(states[0])
    for model, state in zip(models[1:], states[1:], strict=True):
        if set(state) != names or model.config.encoder_sha256 != first.config.encoder_sha256:
            raise InputError(f"{model.config.model_version} has other weights than {first.config.model_version}")
    mean = {name: sum(s[name].float() for s in states) / len(states) for name in states[0]}
    if rank:
        base = load_encoder(first.encoder_path, first.config.encoder_layers)[0].state_dict()
        for name, value in mean.items():
            plain = name.removeprefix(ENCODER_PREFIX)
            if name.startswith(ENCODER_PREFIX) and value.ndim == 2 and plain in base:
                mean[name] = base[plain].float() + _truncated(value - base[plain].float(), rank)
    first.load_state_dict(mean)
    offsets = [float(m.config.polarity_offset.get("neutral", 0.0)) for m in models]
    if any(offsets):  # the mean bias carries the mean of the offsets folded into it
        first.config.polarity_offset = {"neutral": round(sum(offsets) / len(offsets), 2), "averaged": offsets}
    first.eval()
    return first


def _truncated(delta: Tensor, rank: int) -> Tensor:
    """The best rank-``rank`` approximation: the leading directions of the factors `Tagger.save` stores."""
    up, down = low_rank_factors(delta)
    return up[:, :rank] @ down[:rank]


def soup(
    folders: Sequence[Path], out_dir: Path, shared: Path, hand_folder: Path | None, model_version: str | None = None
) -> dict[str, Any]:
    """Average the model folders, tune, save to ``out_dir`` and return the metrics of the saved weights."""
    from .card import write_metrics
    from .data import build_splits
    from .evaluate import evaluate_splits, tune_config

    models = [Tagger.load(folder) for folder in folders]
    rank = int(models[0].config.training.get("settings", {}).get("lora_rank") or 0)
    averaged = average_taggers(models, rank)
    splits, _ = build_splits(shared, hand_folder)
    tune_config(averaged, splits)
    runs = [m.config.training for m in models]
    averaged.config.training = dict(runs[0]) | {
        "averaged": {
            "folders": [str(f) for f in folders],
            "models": [m.config.model_version for m in models],
            "seeds": [run.get("settings", {}).get("seed") for run in runs],
            "rank": rank,
            "other_runs": runs[1:],
        }
    }
    averaged.config.model_version = model_version or f"reviewmine-tagger-{time.strftime('%Y%m%d')}"
    averaged.save(out_dir)
    shipped = Tagger.load(out_dir)  # measured as stored: int8 factors, fp16 heads
    metrics = evaluate_splits(shipped, splits)
    write_metrics(out_dir, shipped.config, metrics)
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help="model folders continued from the same model")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--examples", type=Path, default=Path("training/examples"))
    parser.add_argument("--model-version")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    metrics = soup(args.models, args.out, args.shared, args.examples, args.model_version)
    log.info("wrote %s: %s", args.out, metrics.get("summary"))


if __name__ == "__main__":
    main()
