"""Int8 variants of the tagging stage against bf16: speed and agreement with fp32 (docs/model.md, Speed).

The CPU predictor offers bf16 and torch's dynamic int8 (`--precision int8`: per-tensor activation scales, fbgemm).
This measures what else int8 could give on a CPU with VNNI, on the same workload as bench_nlp_speed.py:

- ``w8a8``: every encoder linear layer as int8 weights (one scale per output channel) times int8 activations (one
  scale per token) through ``torch._int_mm``, the rest of the model in bf16. The matrix products run about 2x as
  fast as bf16, but the quantising and rescaling around them are separate eager passes;
- ``dynamic:PATTERN``: torch's dynamic quantisation (per-channel weights) of the encoder layers whose name matches
  the regular expression, the rest fp32; ``dynamic:.`` is every encoder layer.

    .venv/bin/python benchmarks/bench_int8_variants.py                   # bf16, w8a8, dynamic:. (~3 min)
    .venv/bin/python benchmarks/bench_int8_variants.py --variants 'dynamic:query|key|value,dynamic:intermediate'
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_nlp_speed import _model_dir, _timed, agreement, machine, run_stage, workload

from reviewmine.nlp.inference import Predictor, load_tagger


class W8A8Linear(torch.nn.Module):
    """int8 weights (per output channel) x int8 activations (per token), int32 accumulation, bf16 out."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        self.out_features, self.in_features = weight.shape
        self.weight_scale = weight.abs().amax(1).clamp(min=1e-8) / 127
        self.weight_q = (weight / self.weight_scale[:, None]).round().to(torch.int8).t().contiguous()
        self.bias = linear.bias.detach().float() if linear.bias is not None else torch.zeros(self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).float()
        scale = rows.abs().amax(1, keepdim=True).clamp(min=1e-8) / 127
        quantised = (rows / scale).round_().to(torch.int8)
        out = torch._int_mm(quantised, self.weight_q).float().mul_(scale)
        out = torch.addcmul(self.bias, out, self.weight_scale)
        return out.to(x.dtype).reshape(*x.shape[:-1], self.out_features)


def _replace(module: torch.nn.Module, make: Any) -> None:
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Linear):
            setattr(module, name, make(child))
        else:
            _replace(child, make)


def predictor_for(model_dir: str, variant: str) -> Predictor:
    if variant in ("fp32", "bf16", "int8"):
        return Predictor(load_tagger(model_dir), precision=variant)
    if variant == "w8a8":
        predictor = Predictor(load_tagger(model_dir), precision="bf16")
        _replace(predictor.tagger.encoder.encoder, W8A8Linear)
        return predictor
    if variant.startswith("dynamic:"):
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        predictor = Predictor(load_tagger(model_dir), precision="fp32")
        encoder = predictor.tagger.encoder
        pattern = re.compile(variant.split(":", 1)[1])
        spec = {
            name: per_channel_dynamic_qconfig
            for name, module in encoder.named_modules()
            if isinstance(module, torch.nn.Linear) and pattern.search(name)
        }
        with warnings.catch_warnings():  # eager quantisation is marked deprecated; it still works
            warnings.simplefilter("ignore")
            predictor.tagger.encoder = quantize_dynamic(encoder, spec)
        return predictor
    raise SystemExit(f"unknown variant {variant!r}: fp32, bf16, int8, w8a8 or dynamic:PATTERN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="bf16,w8a8,dynamic:.")
    parser.add_argument("--reviews", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model_dir, kind = _model_dir(args.model)
    texts, source = workload(args.reviews, 13)
    info = machine()
    print(f"machine   {info['cpu']}, {info['cores']} cores, avx512_vnni={info['avx512_vnni']}; torch {info['torch']}")
    print(f"workload  {len(texts)} reviews: {source}; model {kind}")
    reference = run_stage(predictor_for(model_dir, "fp32"), texts)
    for variant in args.variants.split(","):
        predictor = predictor_for(model_dir, variant)
        run_stage(predictor, texts[:64])  # warm up
        walls, cpus, batch = _timed(lambda p=predictor: run_stage(p, texts), args.repeats)
        rates = sorted(len(texts) / w for w in walls)
        agree = agreement(reference, batch)
        print(
            f"{variant:<32} {statistics.median(rates):6.1f} reviews/s ({rates[0]:.0f}-{rates[-1]:.0f}), "
            f"cpu {statistics.median(cpus):.2f} s; identical sentences {agree['sentences_identical']:.1%}, "
            + ", ".join(f"{k} {agree[k]:.2%}" for k in ("category", "polarity", "emotion", "loyalty"))
            + f", max prob diff {agree['max_prob_diff']:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
