"""Run the speed benchmarks of the README's table, each in its own process, and print what each reported.

`make bench` runs this. By default every benchmark gets a quick size (under a minute in all on the 2-core
development machine) to show that each still runs and roughly how fast; ``--full`` gives each its own defaults,
the sizes the README's figures were measured at (tens of minutes). Figures from a quick run are not comparable
with the README's: smaller inputs pay fixed costs (process start, imports, model load) over fewer rows.

Left out: ``bench_int8_variants.py`` (an experiment on int8 kernels, minutes even when small) and the training
experiments ``semeval_five_categories.py`` and ``single_task_floor.py`` (they need ../shared and train models).

    .venv/bin/python benchmarks/run_all.py                  # quick sizes
    .venv/bin/python benchmarks/run_all.py --only parse import
    .venv/bin/python benchmarks/run_all.py --full
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from machine import describe

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    quick: tuple[str, ...]  # arguments for the quick run; --full passes none


BENCHMARKS = (
    Benchmark("parse", "bench_parse.py", ("--own", "--seconds", "0.2", "--repeat", "1")),
    Benchmark("pacing", "bench_pacing.py", ("--pages", "5", "--delay", "0.1")),
    Benchmark("import", "bench_import.py", ("--sizes", "10000")),
    Benchmark("analysis", "bench_analysis.py", ("--reviews", "100000", "--brands", "5", "--resamples", "50")),
    Benchmark("tagging", "bench_nlp_speed.py", ("--reviews", "120", "--repeats", "1", "--precisions", "fp32,bf16")),
)


@dataclass
class Outcome:
    benchmark: Benchmark
    status: str
    seconds: float
    lines: list[str]


def run(benchmark: Benchmark, args: list[str], timeout: float) -> Outcome:
    """One benchmark in a child process; its own machine lines are dropped (printed once above)."""
    command = [sys.executable, str(HERE / benchmark.script), *args]
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return Outcome(benchmark, f"timed out after {timeout:.0f} s", time.perf_counter() - started, _lines(output))
    seconds = time.perf_counter() - started
    status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    lines = _lines(proc.stdout)
    if proc.returncode != 0:
        lines += [f"stderr: {line}" for line in proc.stderr.strip().splitlines()[-5:]]
    return Outcome(benchmark, status, seconds, lines)


def _lines(output: str) -> list[str]:
    machine_lines = ("machine", "python ", describe().split(",")[0])
    return [line for line in output.rstrip().splitlines() if line.strip() and not line.startswith(machine_lines)]


def main() -> int:
    names = [b.name for b in BENCHMARKS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"some of: {', '.join(names)}")
    parser.add_argument("--full", action="store_true", help="each benchmark's own default sizes (slow)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per benchmark")
    args = parser.parse_args()

    print(f"machine: {describe()}", flush=True)
    outcomes = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        extra = [] if args.full else list(benchmark.quick)
        print(f"\n== {benchmark.name}: {benchmark.script} {' '.join(extra)}".rstrip(), flush=True)
        outcome = run(benchmark, extra, args.timeout)
        for line in outcome.lines:
            print(f"   {line}")
        outcomes.append(outcome)

    print(f"\n{'benchmark':<10} {'status':<12} {'wall s':>7}  script")
    for outcome in outcomes:
        print(f"{outcome.benchmark.name:<10} {outcome.status:<12} {outcome.seconds:>7.1f}  {outcome.benchmark.script}")
    return 0 if all(outcome.status == "ok" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
