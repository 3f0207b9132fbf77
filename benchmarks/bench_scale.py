"""Benchmark `reviewmine analyze` engines on the same reviews: the local engine against Ray with 1 and 2 actors.

Each configuration tags a fresh copy of one store (demo-generated reviews, mostly English with some German,
French and Spanish) through the real pipeline, store reads and commits included, with the default model.
Printed per configuration: the whole wall time; the time to the first commit (start-up: loading the model, or
starting the actors, each loading it, plus one chunk); reviews/s of the whole run without the engine's own
start-up (the model's loading; Ray's connection and worker checks); the steady rate between the first and the
last commit (everything loaded and busy); that rate per actor; and the steady rate's ratio to the local
engine's. On one machine Ray's actors share the local engine's cores, so the ratio is Ray's overhead (or gain);
across machines the per-actor rate is what scales.

``--gpus-per-actor 1`` (a machine with CUDA GPUs) runs the local engine on one GPU and Ray with one actor per GPU
(or ``--actors``), for reviews/s per GPU. docs/scaling.md has the figures and what they mean for 100M reviews.

    .venv/bin/python benchmarks/bench_scale.py                          # 3,000 reviews, local vs Ray 1 and 2
    .venv/bin/python benchmarks/bench_scale.py --reviews 20000 --actors 1,2,4
    .venv/bin/python benchmarks/bench_scale.py --gpus-per-actor 1 --reviews 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from reviewmine.store.db import Store  # noqa: E402


def make_store(path: Path, reviews: int) -> int:
    """A store of ``reviews`` demo reviews (the generator's, repeated with new ids when more are asked for)."""
    from reviewmine.demo.generate import generate_demo
    from reviewmine.records import Review

    demo = generate_demo(7, scale=min(reviews / 1900 * 1.05, 20.0)).reviews
    rows = [
        Review(source="file", brand=r.brand, body=r.body, title=r.title, source_review_id=f"{r.id}-{n // len(demo)}",
               rating=r.rating, language=r.language, published_at=r.published_at)
        for n, r in ((n, demo[n % len(demo)]) for n in range(reviews))
    ]  # fmt: skip
    with Store(path) as store, store.write() as conn:
        store.upsert_reviews(conn, rows)
    return len(rows)


class Commits:
    """A progress callback that keeps the time of each commit, for the steady rate."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: list[tuple[float, int]] = []

    def first(self) -> float:
        """Seconds from the start to the first commit: start-up, loading the model in every actor, one chunk."""
        return self.marks[0][0] - self.started if self.marks else float("nan")

    def __call__(self, done: int, total: int) -> None:
        if done:
            self.marks.append((time.perf_counter(), done))

    def steady(self) -> float:
        """Reviews/s between the first and the last commit (what the pool sustains once loaded)."""
        if len(self.marks) < 2:
            return float("nan")
        (t0, d0), (t1, d1) = self.marks[0], self.marks[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else float("nan")


def run_local(base: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from reviewmine.nlp import predictor
    from reviewmine.nlp.analyze import analyze_store
    from reviewmine.nlp.inference import read_model_version

    device = "cuda" if args.gpus_per_actor else "cpu"
    copy = work / "local.db"
    shutil.copy(base, copy)
    commits = Commits()
    started = time.perf_counter()
    with Store(copy) as store:
        report = analyze_store(
            store, lambda: predictor(args.model, precision=args.precision, device=device),
            model_version=read_model_version(args.model), chunk_size=args.chunk_size, progress=commits,
        )  # fmt: skip
    return _row(f"local ({device})", 0, report, time.perf_counter() - started, commits)


def run_ray(base: Path, work: Path, args: argparse.Namespace, actors: int) -> dict[str, Any]:
    from reviewmine.nlp.ray_engine import RaySettings, analyze_store_ray

    copy = work / f"ray{actors}.db"
    shutil.copy(base, copy)
    settings = RaySettings(
        actors=actors, gpus_per_actor=args.gpus_per_actor, model=args.model, precision=args.precision,
        chunk_size=args.chunk_size,
    )  # fmt: skip
    commits = Commits()
    started = time.perf_counter()
    with Store(copy) as store:
        report = analyze_store_ray(store, settings, progress=commits)
    kind = "GPU" if args.gpus_per_actor else "CPU"
    return _row(f"ray {actors} {kind} actor{'s' if actors > 1 else ''}", actors, report, time.perf_counter() - started,
                commits)  # fmt: skip


def _row(name: str, actors: int, report: Any, wall: float, commits: Commits) -> dict[str, Any]:
    steady = commits.steady()
    return {
        "engine": name, "actors": actors, "reviews": report.analyzed, "sentences": report.sentences,
        "precision": report.precision, "wall_s": round(wall, 2), "first_commit_s": round(commits.first(), 2),
        "reviews_per_s": round(report.per_second, 1), "steady_reviews_per_s": round(steady, 1),
        "steady_per_actor": round(steady / actors, 1) if actors else None,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=3000)
    parser.add_argument("--actors", default="1,2", help="Ray pool sizes to run, comma-separated")
    parser.add_argument("--gpus-per-actor", type=float, default=0.0, help="GPU mode: GPUs per Ray actor")
    parser.add_argument("--chunk-size", type=int, default=512, help="reviews per commit and per Ray batch")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--model", default=None, help="model folder or name (default: reviewmine-tagger)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    pools = [int(n) for n in args.actors.split(",") if n.strip()]

    import ray

    print(describe())
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        work = Path(folder)
        base = work / "base.db"
        started = time.perf_counter()
        count = make_store(base, args.reviews)
        print(f"store      {count:,} reviews in {time.perf_counter() - started:.1f} s")
        rows = [run_local(base, work, args)]
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        cores = len(os.sched_getaffinity(0))
        ray.init(num_cpus=max(cores, *pools), include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        try:
            print(f"ray        {ray.__version__}, local instance: {ray.cluster_resources()}")
            rows += [run_ray(base, work, args, actors) for actors in pools]
        finally:
            ray.shutdown()
    local = rows[0]["steady_reviews_per_s"]
    print(f"{'engine':<18}{'reviews':>8}{'prec':>6}{'wall s':>8}{'first s':>8}{'rev/s':>8}{'steady':>8}"
          f"{'/actor':>8}{'vs local':>9}")  # fmt: skip
    for row in rows:
        ratio = row["steady_reviews_per_s"] / local if local else float("nan")
        per_actor = f"{row['steady_per_actor']:.1f}" if row["steady_per_actor"] else "-"
        print(f"{row['engine']:<18}{row['reviews']:>8,}{row['precision']:>6}{row['wall_s']:>8.1f}"
              f"{row['first_commit_s']:>8.1f}{row['reviews_per_s']:>8.1f}{row['steady_reviews_per_s']:>8.1f}"
              f"{per_actor:>8}{ratio:>9.2f}")  # fmt: skip
    if args.json:
        print(json.dumps({"machine": describe(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
