"""Per-host pacing, measured from the server's arrival times: one host waits, two hosts run side by side."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from loopback import FAST, LoopbackServer, Reply, serve

from reviewmine.http import HttpClient
from reviewmine.http.messages import Request

DELAY = 0.2


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def _second_loopback_available() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.2", 0))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not _second_loopback_available(), reason="127.0.0.2 is not a loopback address here")
def test_one_host_is_paced_while_two_hosts_proceed_in_parallel() -> None:
    settings = replace(FAST, min_delay=DELAY)
    pages = 4
    with serve("127.0.0.1") as one, serve("127.0.0.2") as two, HttpClient(settings) as http:
        for server in (one, two):
            server.route("/page", Reply("ok"))

        def crawl(server: LoopbackServer) -> None:
            for n in range(pages):
                http.fetch(Request(server.url(f"/page?n={n}")))

        started = time.monotonic()
        threads = [threading.Thread(target=crawl, args=(s,)) for s in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    for server in (one, two):
        times = [hit.at for hit in server.hits]  # robots.txt, then the pages: all paced
        assert len(times) == pages + 1
        assert min(_gaps(times)) >= DELAY
    # In series the two hosts would need 2 * pages gaps; in parallel about half of that.
    assert elapsed < 2 * pages * DELAY
    assert one.hits[0].at < two.hits[-1].at and two.hits[0].at < one.hits[-1].at


def test_one_request_at_a_time_per_host(server: LoopbackServer) -> None:
    server.route("/slow", Reply("ok", delay=0.15))
    settings = replace(FAST, min_delay=0.05, obey_robots=False)
    with HttpClient(settings) as http:
        threads = [threading.Thread(target=http.fetch, args=(Request(server.url(f"/slow?t={n}")),)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    times = sorted(hit.at for hit in server.hits)
    assert len(times) == 3
    assert min(_gaps(times)) >= 0.15 + 0.05  # the previous answer took 0.15 s, then the delay
