"""Benchmark `reviewmine import`: rows/s and peak memory for CSV, JSON Lines and Parquet at two file sizes.

Each (format, size) runs in a fresh child process on a fresh database; a thread samples its resident memory
(psutil) while it imports the file twice (the second time adds nothing). If the peak stays flat from the
smaller to the larger file, memory does not grow with file size. CPU seconds are reported next to wall time
because other work on a shared machine slows the wall clock.

    .venv/bin/python benchmarks/bench_import.py              # 50,000 and 100,000 reviews
    .venv/bin/python benchmarks/bench_import.py --sizes 100000 --formats csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from machine import describe

_TEXT = (
    "the pizza was cold delivery took forever staff were friendly and helpful price is fair for what you get "
    "app keeps crashing after update support never answered my email great value would order again "
    "the room was clean but noisy checkout was quick refund still not received after three weeks"
)
_WORDS = _TEXT.split()
_COLUMNS = ["review_id", "title", "text", "stars", "date", "user_name", "url", "language", "helpful_votes"]


def _rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(n):
        words = rng.choices(_WORDS, k=rng.randint(12, 80))
        yield {
            "review_id": f"r{i:07d}",
            "title": " ".join(rng.choices(_WORDS, k=4)).capitalize(),
            "text": " ".join(words).capitalize() + ".",
            "stars": rng.randint(1, 5),
            "date": (start + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user_name": f"user{rng.randint(1, n // 3 + 1)}",
            "url": f"https://reviews.example.com/r/{i}",
            "language": "en",
            "helpful_votes": rng.randint(0, 20),
        }


def generate(folder: Path, n: int, formats: list[str]) -> dict[str, Path]:
    """Write ``n`` synthetic reviews in each format; returns format -> path."""
    paths: dict[str, Path] = {}
    if "csv" in formats:
        paths["csv"] = folder / f"reviews-{n}.csv"
        with paths["csv"].open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=_COLUMNS)
            writer.writeheader()
            writer.writerows(_rows(n))
    if "jsonl" in formats:
        paths["jsonl"] = folder / f"reviews-{n}.jsonl"
        with paths["jsonl"].open("w", encoding="utf-8") as handle:
            for row in _rows(n):
                handle.write(json.dumps(row) + "\n")
    if "parquet" in formats:
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths["parquet"] = folder / f"reviews-{n}.parquet"
        with pq.ParquetWriter(paths["parquet"], _parquet_schema(pa)) as writer:
            chunk: list[dict] = []
            for row in _rows(n):
                chunk.append(row)
                if len(chunk) == 10_000:
                    writer.write_table(pa.Table.from_pylist(chunk, schema=_parquet_schema(pa)))
                    chunk.clear()
            if chunk:
                writer.write_table(pa.Table.from_pylist(chunk, schema=_parquet_schema(pa)))
    return paths


def _parquet_schema(pa):
    types = {"stars": pa.int64(), "helpful_votes": pa.int64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in _COLUMNS])


_CHILD = """
import json, sys, threading, time
import psutil
from reviewmine.importing import import_file
from reviewmine.store.db import Store

process, peak, running = psutil.Process(), [0], [True]

def sample():  # resident memory every 5 ms: the peak of this import, not of interpreter start-up
    while running[0]:
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.005)

path, db = sys.argv[1], sys.argv[2]
with Store(db) as store:
    import pyarrow.parquet  # loaded before measuring, so the baseline is the same for every format
    before = process.memory_info().rss
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu = time.process_time()
    result = import_file(store, path, brand="Bench")
    cpu = time.process_time() - cpu
    again = import_file(store, path, brand="Bench")
    running[0] = False
    sampler.join()
print(json.dumps({"rows": result.rows, "new": result.new, "seconds": result.seconds, "cpu_seconds": cpu,
                  "again_new": again.new, "again_updated": again.updated, "again_seconds": again.seconds,
                  "base_rss_mib": before / 2**20, "peak_rss_mib": peak[0] / 2**20}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "parquet"])
    args = parser.parse_args()
    print(f"machine: {describe()}")

    print(
        f"{'format':<8} {'rows':>8} {'MB':>6} {'wall s':>7} {'rows/s':>8} {'CPU s':>6} {'rows/CPU s':>10} "
        f"{'again s':>7} {'RSS MiB before':>14} {'peak':>5}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            for fmt, path in generate(folder, n, args.formats).items():
                db = folder / f"{fmt}-{n}.db"
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(path), str(db)], check=True, capture_output=True, text=True
                )
                data = json.loads(out.stdout)
                assert data["rows"] == data["new"] == n and data["again_new"] == data["again_updated"] == 0
                print(
                    f"{fmt:<8} {n:>8,} {path.stat().st_size / 1e6:>6.1f} {data['seconds']:>7.2f} "
                    f"{n / data['seconds']:>8,.0f} {data['cpu_seconds']:>6.2f} {n / data['cpu_seconds']:>10,.0f} "
                    f"{data['again_seconds']:>7.2f} {data['base_rss_mib']:>14.0f} {data['peak_rss_mib']:>5.0f}",
                    flush=True,
                )
                path.unlink()
                db.unlink()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
