"""Single-task floors on our held-out carves: what one label family reaches when trained alone.

The issue's targets are on official test splits we do not have; its rule is that the multi-task model must match a
single-task fine-tune of the same encoder on every family. This trains a fresh tagger on some training sources
with only some loss families switched on, tunes thresholds on the tune splits and reports the same summary as
`reviewmine eval`, on the same held-out rows, so the two can be compared directly.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/single_task_floor.py --sources semeval2014 \\
        --families category,category_polarity --epochs 4          # ~1.5 min on the 2-core machine
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/single_task_floor.py --sources goemotions --families emotion \\
        --epochs 3                                                  # ~25 min
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/single_task_floor.py --sources semeval2014 \\
        --families category,category_polarity --encoder-layers 4 --lora-rank 64 --lr-encoder 5e-4 --epochs 6 \\
        --loss-weight category_polarity=0.3                         # the model's adapter set-up, ~2.5 min
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from reviewmine.errors import InputError  # noqa: E402
from reviewmine.nlp.model import Tagger  # noqa: E402
from reviewmine.nlp.training.data import build_splits  # noqa: E402
from reviewmine.nlp.training.evaluate import evaluate_splits, tune_config  # noqa: E402
from reviewmine.nlp.training.train import BATCHINGS, TrainSettings, key_values, tagger_config, train_model  # noqa: E402

_FAMILIES = ("category", "category_polarity", "polarity", "emotion", "ekman", "loyalty")
_REPORT = {  # the splits each family is tuned and measured on
    "category": ("semeval14_tune", "semeval14_dev", "hand_tune", "hand_test"),
    "category_polarity": ("semeval14_tune", "semeval14_dev"),
    "polarity": ("amazon_tune", "amazon_report"),
    "emotion": ("goemotions_tune", "goemotions_report"),
    "ekman": ("goemotions_tune", "goemotions_report"),
    "loyalty": ("hand_tune", "hand_test"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--sources", required=True, help="comma-separated Example.source names to train on")
    parser.add_argument("--families", required=True, help=f"comma-separated loss families: {', '.join(_FAMILIES)}")
    parser.add_argument("--epochs", type=int, default=4)
    # Floors are full fine-tunes (as the references are), whatever the multi-task defaults are.
    parser.add_argument("--lr-encoder", type=float, default=8e-5)
    parser.add_argument("--lora-rank", type=int, default=0)
    parser.add_argument("--encoder-layers", type=int, default=0, help="bottom N encoder layers (0 = all)")
    parser.add_argument(
        "--loss-weight", action="append", default=[], metavar="FAMILY=W", help="weight of a trained family [1]"
    )
    parser.add_argument(
        "--repeat", action="append", default=[], metavar="SOURCE=N", help="rows shown N times an epoch [1]"
    )
    parser.add_argument("--batch-size", type=int, default=TrainSettings.batch_size)
    parser.add_argument(
        "--category-pooling", default=TrainSettings.category_pooling, choices=("label_attention", "mean")
    )
    parser.add_argument("--warmup", type=float, default=TrainSettings.warmup, help="share of steps warming up")
    parser.add_argument("--batching", default=TrainSettings.batching, choices=BATCHINGS)
    parser.add_argument("--seed", type=int, default=TrainSettings.seed)
    parser.add_argument(
        "--clip-grad-norm", type=float, default=TrainSettings.clip_grad_norm, help="global gradient norm (0 = off)"
    )
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args()
    families = [f for f in args.families.split(",") if f]
    if unknown := set(families) - set(_FAMILIES):
        parser.error(f"unknown families: {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    splits, _ = build_splits(args.shared, REPO / "training" / "examples")
    rows = [r for r in splits["train"] if r.source in set(args.sources.split(","))]
    weights = {f: float(f in families) for f in _FAMILIES}
    try:  # only the families trained can be weighted
        weights |= key_values("--loss-weight", args.loss_weight, dict.fromkeys(families, 1.0), float)
        repeats = key_values("--repeat", args.repeat, {}, int, open_keys=True)
    except InputError as exc:
        parser.error(str(exc))
    settings = TrainSettings(
        epochs=args.epochs,
        lr_encoder=args.lr_encoder,
        lora_rank=args.lora_rank,
        batch_size=args.batch_size,
        category_pooling=args.category_pooling,
        warmup=args.warmup,
        batching=args.batching,
        seed=args.seed,
        clip_grad_norm=args.clip_grad_norm,
        encoder_layers=args.encoder_layers,
        repeats=repeats,
        goemotions_per_epoch=0,
        amazon_per_epoch=0,
        loss_weights=weights,
    )
    began = time.monotonic()
    model = Tagger.from_encoder(None, tagger_config(settings))
    train_model(model, rows, settings)
    keep = {name for f in families for name in _REPORT[f]}
    chosen = {name: part for name, part in splits.items() if name in keep}
    tune_config(model, chosen)
    metrics = evaluate_splits(model, chosen)
    result = {
        "machine": describe(),
        "sources": args.sources,
        "families": families,
        "epochs": args.epochs,
        "lr_encoder": args.lr_encoder,
        "lora_rank": args.lora_rank,
        "encoder_layers": args.encoder_layers,
        "loss_weights": {f: weights[f] for f in families},
        "repeats": repeats,
        "batch_size": args.batch_size,
        "category_pooling": args.category_pooling,
        "warmup": args.warmup,
        "batching": args.batching,
        "seed": args.seed,
        "clip_grad_norm": args.clip_grad_norm,
        "train_rows": len(rows),
        "minutes": round((time.monotonic() - began) / 60, 1),
        "summary": {k: v for k, v in metrics["summary"].items() if v is not None},
    }
    print(json.dumps(result, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(result | {"metrics": metrics}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
