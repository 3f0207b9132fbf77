"""Benchmark per-host pacing: two hosts crawled at once from one `HttpClient`, gaps measured by the server.

Each host gets robots.txt plus N pages; the server records when each request arrives. The smallest gap between
two requests to one host must never be below the delay D, while the two hosts run side by side (total time about
N x D, not 2 x N x D). Exits 1 if any gap is below D.

    .venv/bin/python benchmarks/bench_pacing.py                    # 20 pages per host, D = 0.25 s
    .venv/bin/python benchmarks/bench_pacing.py --pages 50 --delay 0.1
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from machine import describe

from reviewmine.http import HttpClient, HttpSettings
from reviewmine.http.messages import Request

_ARRIVALS: dict[str, list[float]] = defaultdict(list)
_LOCK = threading.Lock()
_PAGE = b"<html><body>" + b"<p>A review.</p>" * 200 + b"</body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        with _LOCK:
            _ARRIVALS[self.headers.get("Host", "?").split(":")[0]].append(time.monotonic())
        status, body = (404, b"no robots") if self.path == "/robots.txt" else (200, _PAGE)
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a keep-alive connection the client closed at the end: not news


def _start(host: str) -> ThreadingHTTPServer:
    server = _Server((host, 0), _Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _hosts() -> list[tuple[str, str]]:
    """(host name in URLs, address to bind): two loopback addresses, else two names for 127.0.0.1."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.2", 0))
            return [("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2")]
        except OSError:
            return [("127.0.0.1", "127.0.0.1"), ("localhost", "127.0.0.1")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="pages per host (default 20)")
    parser.add_argument("--delay", type=float, default=0.25, help="minimum seconds between requests to a host")
    args = parser.parse_args()

    print(f"machine: {describe()}")
    print(f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f} (other work slows wall time)")
    hosts = _hosts()
    servers = {address: _start(address) for _, address in hosts}
    urls = [f"http://{name}:{servers[address].server_address[1]}" for name, address in hosts]
    settings = HttpSettings(min_delay=args.delay)
    with HttpClient(settings) as http:

        def crawl(base: str) -> None:
            for n in range(args.pages):
                http.fetch(Request(f"{base}/reviews?page={n + 1}"))

        started = time.monotonic()
        threads = [threading.Thread(target=crawl, args=(base,)) for base in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = time.monotonic() - started
    for server in servers.values():
        server.shutdown()

    print(f"{len(urls)} hosts x ({args.pages} pages + robots.txt), min delay {args.delay:g} s, in parallel threads")
    print(f"{'host':<12} {'requests':>8} {'min gap s':>10} {'mean gap s':>11} {'max gap s':>10}")
    ok = True
    for name, _ in hosts:
        times = sorted(_ARRIVALS[name])
        gaps = [b - a for a, b in itertools.pairwise(times)]
        ok &= min(gaps) >= args.delay
        print(f"{name:<12} {len(times):>8} {min(gaps):>10.3f} {statistics.fmean(gaps):>11.3f} {max(gaps):>10.3f}")
    serial = len(urls) * args.pages * args.delay
    print(f"total {total:.2f} s (one host alone needs >= {args.pages * args.delay:.2f} s; in series {serial:.2f} s)")
    print("OK: no gap below the delay" if ok else "FAIL: a gap below the delay")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
