"""Benchmark the tagging stage: reviews/s per precision, and how reduced precision agrees with fp32.

The stage is everything `reviewmine analyze` does per review except the database: cleaning, sentence
segmentation, language id, tokenising, the encoder + heads (length-sorted batches, inference mode),
decisions and the review-level aggregation. The workload is real Amazon reviews from ../shared (10 to 300
words; synthetic review-like text when ../shared is absent). The model is the trained default when present,
else a randomly initialised tagger (same speed; agreement is only meaningful for the trained one).

The machine is shared with other work: each configuration runs ``--repeats`` times and the median is
reported, with the load average and CPU seconds beside it so that a disturbed run can be recognised.

    .venv/bin/python benchmarks/bench_nlp_speed.py                        # 600 reviews, fp32 bf16 int8
    .venv/bin/python benchmarks/bench_nlp_speed.py --precisions bf16 --compile --reviews 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reviewmine.nlp.analyze import TaggedBatch, tag_texts  # noqa: E402
from reviewmine.nlp.inference import Predictor, load_tagger, resolve_precision  # noqa: E402
from reviewmine.nlp.language import review_language  # noqa: E402
from reviewmine.nlp.segment import SEGMENTERS, clean_text, split_sentences  # noqa: E402

SHARED = Path(os.environ.get("REVIEWMINE_SHARED", REPO.parent / "shared"))
AMAZON = SHARED / "data" / "amazon-polarity" / "amazon.train.dat"
_PHRASES = [
    "The waiter was rude and ignored us for twenty minutes",
    "Delivery took two weeks and nobody answered the phone",
    "Great value for money",
    "The room was spotless and the bed was comfortable",
    "They charged a hidden booking fee at checkout",
    "Support sorted my refund in a day",
    "The battery dies after two hours",
    "We will definitely be back",
    "Avoid this place",
    "The app keeps crashing when I try to pay",
]


def machine() -> dict[str, Any]:
    import torch
    import transformers

    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, "get_capabilities") else {}
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "avx512_bf16": bool(caps.get("avx512_bf16")),
        "amx_bf16": bool(caps.get("amx_bf16")),
        "avx512_vnni": bool(caps.get("avx512_vnni")),
        "auto_precision": resolve_precision("auto"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def workload(n: int, seed: int) -> tuple[list[str], str]:
    """``n`` reviews of 10 to 300 words: real ones from ../shared when present, else synthetic."""
    rng = random.Random(seed)
    if AMAZON.exists():
        lines = AMAZON.read_text(encoding="utf-8").splitlines()
        texts = [line.split("$LABEL$")[0] for line in lines]
        texts = [t for t in texts if 10 <= len(t.split()) <= 300]
        return rng.sample(texts, min(n, len(texts))), f"Amazon reviews ({AMAZON})"
    texts = []
    for _ in range(n):
        words = 0
        sentences = []
        target = rng.randint(10, 300)
        while words < target:
            sentences.append(rng.choice(_PHRASES))
            words += len(sentences[-1].split())
        texts.append(". ".join(sentences) + ".")
    return texts, "synthetic review-like text (../shared absent)"


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _timed(fn: Any, repeats: int) -> tuple[list[float], list[float], Any]:
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def run_stage(predictor: Predictor, texts: list[str]) -> TaggedBatch:
    """The whole tagging stage for ``texts`` (raw review text)."""
    batch = tag_texts(predictor, [clean_text(t) for t in texts])
    for item in batch.texts:
        batch.summary(item)
    return batch


def interleaved(
    predictors: dict[str, Predictor], texts: list[str], rounds: int, repeats: int
) -> tuple[dict[str, list[float]], dict[str, TaggedBatch]]:
    """Reviews/s of each predictor per round (median of ``repeats`` runs), and each one's last output.

    The predictors take turns within every round, so a load change on a shared machine hits them alike; each
    round's line gives the ratio to the first predictor.
    """
    for predictor in predictors.values():
        run_stage(predictor, texts[:64])  # warm up
    rates: dict[str, list[float]] = {name: [] for name in predictors}
    batches: dict[str, TaggedBatch] = {}
    for round_ in range(rounds):
        for name, predictor in predictors.items():
            walls, _, batches[name] = _timed(lambda p=predictor: run_stage(p, texts), repeats)
            rates[name].append(len(texts) / statistics.median(walls))
        first = next(iter(rates.values()))[-1]
        line = "  ".join(f"{name} {r[-1]:.1f} ({r[-1] / first:.2f}x)" for name, r in rates.items())
        print(f"round {round_ + 1}   {line}", flush=True)
    return rates, batches


def agreement(reference: TaggedBatch, other: TaggedBatch) -> dict[str, float]:
    """Share of identical decisions per family, share of sentences with identical tags, max prob diff."""
    ref, oth = reference.decisions, other.decisions
    out: dict[str, float] = {}
    same_sentence = np.ones(len(ref.polarity), dtype=bool)
    for family in ("category", "category_polarity", "polarity", "emotion", "ekman", "loyalty"):
        a, b = getattr(ref, family), getattr(oth, family)
        equal = a == b
        out[family] = float(equal.mean()) if equal.size else 1.0
        same_sentence &= equal.reshape(len(a), -1).all(axis=1)
    out["sentences_identical"] = float(same_sentence.mean()) if same_sentence.size else 1.0
    diffs = [
        np.abs(getattr(reference.probs, f) - getattr(other.probs, f)).max(initial=0.0)
        for f in ("category", "category_polarity", "polarity", "emotion", "loyalty")
    ]
    out["max_prob_diff"] = float(max(diffs))
    return out


def _model_dir(name: str | None) -> tuple[str, str]:
    from reviewmine.errors import InputError
    from reviewmine.nlp.inference import resolve_model_dir

    try:
        folder = resolve_model_dir(name)
    except InputError:
        if name:
            raise
        from reviewmine.nlp.model import Tagger

        folder = Path(tempfile.mkdtemp(prefix="bench-tagger-"))
        Tagger.from_encoder().save(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    kind = "trained" if config.get("training") else "random heads: agreement is not meaningful"
    return str(folder), f"{config.get('model_version')}, {kind}"


def measure_stage(
    model_dir: str, texts: list[str], precision: str, compiled: bool, args: argparse.Namespace
) -> tuple[dict[str, Any], TaggedBatch]:
    """Median reviews/s of the whole stage for one configuration (after a warm-up)."""
    predictor = Predictor(load_tagger(model_dir), precision=precision, batch_size=args.batch_size, workers=args.workers)
    if compiled:
        predictor.compile()
    run_stage(predictor, texts[:64])  # warm up (and compile)
    walls, cpus, batch = _timed(lambda: run_stage(predictor, texts), args.repeats)
    rates = sorted(len(texts) / w for w in walls)
    median = statistics.median(rates)
    row = {
        "precision": predictor.precision,
        "compile": compiled,
        "workers": predictor.workers,
        "reviews_per_s": round(median, 1),
        "min": round(rates[0], 1),
        "max": round(rates[-1], 1),
        "sentences_per_s": round(len(batch.probs.polarity) * median / len(texts), 1),
        "cpu_s_per_run": round(statistics.median(cpus), 2),
        "load": round(_load(), 2),
    }
    return row, batch


def matmul_rate(dtype_name: str, repeats: int = 20) -> float:
    """GFLOP/s of one thread on the encoder's own matrix shapes (the feed-forward layers), in this precision."""
    import torch

    dtype = torch.bfloat16 if dtype_name == "bf16" else torch.float32
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rates = []
        for n, k, m in ((4096, 384, 1536), (4096, 1536, 384), (4096, 384, 384)):
            layer = torch.nn.Linear(k, m).to(dtype)
            x = torch.randn(n, k, dtype=dtype)
            with torch.inference_mode():
                for _ in range(3):
                    layer(x)
                began = time.perf_counter()
                for _ in range(repeats):
                    layer(x)
                rates.append(2 * n * k * m * repeats / (time.perf_counter() - began) / 1e9)
        return statistics.median(rates)
    finally:
        torch.set_num_threads(threads)


def ceiling(model_dir: str, texts: list[str], precision: str) -> dict[str, Any]:
    """The best the encoder could do on this CPU: the workload's FLOPs at the measured matmul rate on every core.

    FLOPs per piece of T tokens and layer: 2T(4H^2 + 2HI) for the projections and the feed-forward layers plus
    4T^2 H for attention (H hidden size, I intermediate size); heads, tokenising and everything else count zero.
    """
    predictor = Predictor(load_tagger(model_dir), precision=precision)
    config = predictor.tagger.encoder.config
    h, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    _, _, ids = predictor.pieces([s for t in texts for s in split_sentences(clean_text(t))])
    lengths = np.array([len(x) for x in ids], dtype=np.float64)
    flops = layers * float((2 * lengths * (4 * h * h + 2 * h * inner) + 4 * lengths**2 * h).sum())
    rate = matmul_rate(predictor.precision)
    cores = os.cpu_count() or 1
    best = len(texts) / (flops / (rate * 1e9 * cores))
    return {
        "precision": predictor.precision, "tokens": int(lengths.sum()), "pieces": len(ids),
        "gflop": round(flops / 1e9, 1), "matmul_gflops_per_thread": round(rate, 1), "cores": cores,
        "reviews_per_s_ceiling": round(best, 1),
    }  # fmt: skip


def _print_row(row: dict[str, Any]) -> None:
    agree = row.get("agreement")
    text = "-"
    if agree:
        text = f"identical sentences {agree['sentences_identical']:.1%}; decisions: " + ", ".join(
            f"{k} {agree[k]:.2%}" for k in ("category", "polarity", "emotion", "loyalty")
        )
        text += f"; max prob diff {agree['max_prob_diff']:.3f}"
    spread = f"({row['min']:.0f}-{row['max']:.0f})"
    print(
        f"{row['precision']:<10}{'yes' if row['compile'] else 'no':<9}{row['reviews_per_s']:>10,.1f}  {spread:<14}"
        f"{row['sentences_per_s']:>12,.0f}{row['cpu_s_per_run']:>10.1f}{row['load']:>6.2f}  {text}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precisions", default="fp32,bf16,int8")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="inference threads (default: torch's)")
    parser.add_argument("--model", default=None, help="model folder or name (default: reviewmine-tagger)")
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile for each precision")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", dest="json_out", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--card", type=Path, help="store the results in this model folder's metrics.json and card")
    args = parser.parse_args()

    info = machine()
    texts, origin = workload(args.reviews, args.seed)
    words = sorted(len(t.split()) for t in texts)
    model_dir, model_kind = _model_dir(args.model)
    print(f"machine   {info['cpu']}, {info['cores']} cores, avx512_bf16={info['avx512_bf16']} "
          f"amx_bf16={info['amx_bf16']} -> auto precision {info['auto_precision']}; torch {info['torch']} "
          f"({info['torch_threads']} threads), transformers {info['transformers']}")  # fmt: skip
    print(f"workload  {len(texts)} reviews: {origin}; words min/median/p90/max "
          f"{words[0]}/{words[len(words) // 2]}/{words[int(len(words) * 0.9)]}/{words[-1]}")  # fmt: skip
    print(f"model     {model_dir} ({model_kind})")
    print(f"note      shared machine: medians of {args.repeats} runs; load average now {_load():.2f}")

    results: dict[str, Any] = {"machine": info, "workload": origin, "reviews": len(texts), "model": model_kind}
    cleaned = [clean_text(t) for t in texts]
    for name, split in SEGMENTERS.items():
        sample = cleaned if name == "sentencex" else cleaned[:200]
        walls, _, _ = _timed(lambda s=sample, f=split: [f(t) for t in s], args.repeats)
        rate = len(sample) / statistics.median(walls)
        results[f"segment_{name}_reviews_per_s"] = round(rate)
        print(f"segment   {name:<10} {rate:>10,.0f} reviews/s")

    sentences = [split_sentences(t) for t in cleaned]
    review_language(sentences[0])  # load the identifier outside the timing
    walls, _, _ = _timed(lambda: [review_language(s) for s in sentences], args.repeats)
    rate = len(texts) / statistics.median(walls)
    results["language_id_reviews_per_s"] = round(rate)
    print(f"language  py3langid  {rate:>10,.0f} reviews/s ({sum(map(len, sentences)):,} sentences)")

    print(f"\n{'precision':<10}{'compile':<9}{'reviews/s':>10}  {'(min-max)':<14}{'sentences/s':>12}"
          f"{'cpu s/run':>10}{'load':>6}  agreement with fp32")  # fmt: skip
    reference: TaggedBatch | None = None
    rows = []
    for precision in [p.strip() for p in args.precisions.split(",") if p.strip()]:
        for compiled in (False, True) if args.compile else (False,):
            row, batch = measure_stage(model_dir, texts, precision, compiled, args)
            if row["precision"] == "fp32" and not compiled:
                reference = batch
            elif reference is not None:
                row["agreement"] = agreement(reference, batch)
            rows.append(row)
            _print_row(row)
    results["stage"] = rows
    top = ceiling(model_dir, texts, "auto")
    results["ceiling"] = top
    print(f"\nceiling   {top['precision']}: {top['pieces']:,} pieces, {top['tokens']:,} tokens, {top['gflop']:,} GFLOP "
          f"in the encoder; one thread multiplies at {top['matmul_gflops_per_thread']} GFLOP/s on the encoder's "
          f"shapes -> at most {top['reviews_per_s_ceiling']:,} reviews/s on {top['cores']} cores with zero "
          f"overhead")  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.card:
        save_to_card(args.card, results, info)


def save_to_card(model_dir: Path, results: dict[str, Any], info: dict[str, Any]) -> None:
    """Put the stage rows and the ceiling in ``metrics.json["speed"]`` and regenerate the model card."""
    from reviewmine.nlp.training.card import refresh_card

    metrics_file = model_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    metrics["speed"] = {
        "machine": f"{info['cpu']}, {info['cores']} cores, torch {info['torch']}",
        "measured": time.strftime("%Y-%m-%d"),
        "reviews": results["reviews"],
        "workload": results["workload"].split(" (")[0],
        "stage": results["stage"],
        "ceiling": results.get("ceiling"),
        "command": "benchmarks/bench_nlp_speed.py " + " ".join(sys.argv[1:]),
    }
    metrics_file.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    refresh_card(model_dir)


if __name__ == "__main__":
    main()
