"""Benchmark the source parsers: pages/s and reviews/s per source, on the real saved responses in
../shared/fixtures when present (else on the project's own small fixture pages in tests/fixtures).

Parsing is pure CPU (no I/O), so each page is parsed repeatedly for at least ``--seconds`` and the best of
``--repeat`` rounds is reported, with CPU time beside wall time since other work on the machine slows the latter.

    .venv/bin/python benchmarks/bench_parse.py
    .venv/bin/python benchmarks/bench_parse.py --own --seconds 0.5
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from reviewmine.collectors.base import Collector, Response  # noqa: E402
from reviewmine.collectors.registry import get_source  # noqa: E402

SHARED = Path(os.environ.get("REVIEWMINE_SHARED", REPO.parent / "shared")) / "fixtures"
OWN = REPO / "tests" / "fixtures"
# source -> (locator, [files under ../shared/fixtures])
REAL_PAGES = {
    "trustpilot": ("beautytheshop.com", ["trustpilot/beautytheshop.com_2025.html", "trustpilot/twenix.es_2025.html"]),
    "appstore": ("474495017@nl", ["app-store/AppleAppStoreReviewsResponse.json"]),
    "steam": ("643960", ["steam/1346200.json", "steam/643960.json"]),
    "schemaorg": (
        "https://www.example.com/recipe",
        [f"schema-org/{n}.testhtml" for n in ("allrecipescurated", "delishkitchen_1", "recept", "williamssonoma_2")],
    ),
    "googleplay": (
        "com.google.android.apps.translate",
        ["google-play/translate-initial.txt", "google-play/translate-page2.txt"],
    ),
}


@dataclass
class Result:
    source: str
    pages: int
    reviews: int
    kib: float
    seconds: float
    cpu_seconds: float


def _pages(own: bool) -> dict[str, tuple[Collector, list[Response]]]:
    out: dict[str, tuple[Collector, list[Response]]] = {}
    if not own and SHARED.exists():
        for source, (locator, files) in REAL_PAGES.items():
            collector = get_source(source)(locator, brand="bench")
            url = collector.request_for(collector.start_cursor()).url
            out[source] = (collector, [Response(url, 200, {}, (SHARED / f).read_bytes()) for f in files])
        return out
    sys.path.insert(0, str(REPO / "tests" / "collectors"))
    from _fixture_pages import SOURCES, collections, make_collector, response_for

    for source in SOURCES:
        chains = collections(source)
        collector = make_collector(chains[0][0])
        responses = [response_for(route, route.path) for chain in chains for route in chain]
        out[source] = (collector, responses)
    return out


def _measure(source: str, collector: Collector, responses: list[Response], seconds: float, repeat: int) -> Result:
    reviews = sum(len(collector.parse(r).reviews) for r in responses)  # also warms imports and caches
    kib = sum(len(r.content) for r in responses) / 1024
    best_wall = best_cpu = float("inf")
    rounds = 0
    for _ in range(repeat):
        rounds, wall, cpu = 0, time.perf_counter(), time.process_time()
        while True:
            for response in responses:
                collector.parse(response)
            rounds += 1
            if time.perf_counter() - wall >= seconds:
                break
        best_wall = min(best_wall, (time.perf_counter() - wall) / rounds)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / rounds)
    return Result(source, len(responses), reviews, kib, best_wall, best_cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--own", action="store_true", help="use tests/fixtures pages even when ../shared exists")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum time per round and source")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per source; the best is reported")
    args = parser.parse_args()

    print(f"machine: {describe()}")
    print(f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f} (other work slows wall time)")
    pages = _pages(args.own)
    real = not args.own and SHARED.exists()
    print(f"pages: {'real saved responses in ' + str(SHARED) if real else 'own fixture pages in ' + str(OWN)}")
    print(
        f"{'source':<11} {'pages':>5} {'reviews':>7} {'KiB':>7} {'ms/page':>8} {'pages/s':>8} {'reviews/s':>10} "
        f"{'cpu rev/s':>10}"
    )
    for source, (collector, responses) in pages.items():
        r = _measure(source, collector, responses, args.seconds, args.repeat)
        per_page = r.seconds / r.pages
        print(
            f"{r.source:<11} {r.pages:>5} {r.reviews:>7} {r.kib:>7.0f} {per_page * 1000:>8.2f} "
            f"{r.pages / r.seconds:>8.1f} {r.reviews / r.seconds:>10,.0f} {r.reviews / r.cpu_seconds:>10,.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
