"""What a smaller student would buy: whole-stage reviews/s of the default model cut to fewer layers or a narrower
feed-forward, before any training (so the outputs are meaningless and only the speed is measured).

Issue 20 asks for 1.5x the default's reviews/s from fewer FLOPs. Training a student of each shape takes an hour
of CPU; this measures first which shapes can reach the ratio at all. Each shape keeps the bottom ``layers``
encoder layers and the first ``width`` feed-forward units of each (a real student would keep the units that matter
most; the cost is the same). Shapes are measured in interleaved rounds, so a load change on a shared machine
hits every shape alike; the ratio to the full 4-layer, 1,536-unit model is printed per round.

    .venv/bin/python benchmarks/bench_encoder_shapes.py --shapes 4x1536,3x1536,4x768,3x768,2x1536 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_nlp_speed import interleaved, workload  # noqa: E402
from machine import describe  # noqa: E402

from reviewmine.nlp.inference import Predictor, load_tagger  # noqa: E402


def cut(tagger: Any, layers: int, width: int) -> Any:
    """Keep the bottom ``layers`` encoder layers and the first ``width`` feed-forward units of each."""
    import torch

    stack = tagger.encoder.encoder.layer
    del stack[layers:]
    tagger.encoder.config.num_hidden_layers = layers
    for layer in stack:
        up, down = layer.intermediate.dense, layer.output.dense
        if width >= up.out_features:
            continue
        narrow_up = torch.nn.Linear(up.in_features, width)
        narrow_up.weight.data, narrow_up.bias.data = up.weight.data[:width].clone(), up.bias.data[:width].clone()
        narrow_down = torch.nn.Linear(width, down.out_features)
        narrow_down.weight.data, narrow_down.bias.data = down.weight.data[:, :width].clone(), down.bias.data.clone()
        layer.intermediate.dense, layer.output.dense = narrow_up, narrow_down
    return tagger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="4x1536,3x1536,4x768,3x768,2x1536", help="LAYERSxWIDTH, comma-separated")
    parser.add_argument("--reviews", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="runs per shape and round (the median counts)")
    parser.add_argument("--model", default=None, help="model folder or name (default: reviewmine-tagger)")
    args = parser.parse_args()

    shapes = args.shapes.split(",")
    texts, origin = workload(args.reviews, 13)
    print(f"machine   {describe()}")
    print(f"workload  {len(texts)} reviews: {origin}; bf16; medians of {args.repeats} runs per shape and round")
    predictors = {}
    for shape in shapes:
        layers, width = (int(x) for x in shape.split("x"))
        predictors[shape] = Predictor(cut(load_tagger(args.model), layers, width), precision="bf16")
    rates, _ = interleaved(predictors, texts, args.rounds, args.repeats)
    base = statistics.median(rates[shapes[0]])
    print("\nshape       reviews/s (median of rounds)   against the first shape")
    for shape in shapes:
        median = statistics.median(rates[shape])
        print(f"{shape:<12}{median:>12.1f}{median / base:>28.2f}x")


if __name__ == "__main__":
    main()
