"""Benchmark the aggregator: metrics + risk + drivers over 1,000,000 reviews / ~4,000,000 sentences.

Target: the analysis steps (prepare, metrics, risk, drivers) in at most 60 s with peak RSS under 4 GB on a
2-core machine. The synthetic data (20 brands x 2 years, 1-5 star ratings, one planted complaint spike) is
generated with vectorised numpy first; its time is reported apart. Wall and CPU time are printed per step,
since other work on a shared machine slows the former.

    .venv/bin/python benchmarks/bench_analysis.py
    .venv/bin/python benchmarks/bench_analysis.py --reviews 100000 --brands 5
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from reviewmine import analysis  # noqa: E402
from reviewmine.testing.synthetic import Spike, synthetic_brands  # noqa: E402


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss is KiB on Linux


def _step(name: str, fn: Callable[[], Any], timings: list[tuple[str, float, float]]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    timings.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    print(f"{name:<10} {timings[-1][1]:7.2f} s wall {timings[-1][2]:7.2f} s cpu   peak RSS {_peak_rss_gib():.2f} GiB")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--brands", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--sentences-per-review", type=float, default=4.0)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds allowed for the analysis steps")
    args = parser.parse_args()

    print(describe())
    timings: list[tuple[str, float, float]] = []
    per_week = args.reviews / (args.brands * args.weeks)
    data = _step(
        "generate",
        lambda: synthetic_brands(
            args.brands,
            weeks=args.weeks,
            reviews_per_week=per_week,
            sentences_per_review=args.sentences_per_review,
            spikes=(Spike("Brand 01", "price", args.weeks - 3),),
            rating_effects={"neg_price": -1.0, "neg_people": -0.6, "pos_product": 0.5},
            discrete_ratings=True,
        ),
        timings,
    )
    frame_gib = data.sentences.memory_usage(deep=True).sum() / 2**30
    print(f"data       {len(data.reviews):,} reviews, {len(data.sentences):,} sentences, {args.brands} brands, "
          f"{args.weeks} weeks; sentence frame {frame_gib:.2f} GiB")  # fmt: skip
    prepared = _step("prepare", lambda: analysis.prepare(data.sentences, data.reviews), timings)
    metrics = _step("metrics", lambda: analysis.compute_metrics(prepared, freq="W"), timings)
    risk = _step("risk", lambda: analysis.compute_risk(prepared), timings)
    drivers = _step("drivers", lambda: analysis.compute_drivers(prepared, resamples=args.resamples), timings)

    total = sum(wall for name, wall, _ in timings if name != "generate")
    peak = _peak_rss_gib()
    print(f"rows       sentiment {len(metrics.sentiment):,}, emotions {len(metrics.emotions):,}, "
          f"risk events {len(risk.events):,}, driver features {len(drivers.features):,}")  # fmt: skip
    spike = risk.events[(risk.events["brand"] == "Brand 01") & (risk.events["category"] == "price")]
    print(f"check      planted spike found: {not spike.empty}")
    ok = total <= args.budget and peak < 4.0
    print(f"analysis   {total:.2f} s (budget {args.budget:.0f} s), peak RSS {peak:.2f} GiB (budget 4 GiB): "
          f"{'OK' if ok else 'OVER'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
