"""A real HTTP server on a loopback address, in a thread, for tests of the HTTP layer and the collectors.

Routes map a path (``/reviews?page=2`` or just ``/reviews``) to a list of `Reply`s served in turn (the last one
repeats), or to a function of the `Hit`. Every request is logged with its arrival time, so tests can assert what
was (and was not) requested and how far apart. Unknown paths get 404, including /robots.txt unless set.

Test modules define their own ``server`` fixture around `serve` (sub-folder conftest.py files would shadow the
root one for tests that ``import conftest``).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reviewmine.http import HttpSettings

__all__ = ["FAST", "Hit", "LoopbackServer", "Reply", "serve"]

# HTTP settings scaled down for tests: faults resolve in fractions of a second.
FAST = HttpSettings(min_delay=0.05, backoff=0.01, read_timeout=2.0, connect_timeout=2.0, max_retry_wait=5.0)


@dataclass(frozen=True)
class Reply:
    """One canned answer. ``delay`` sleeps before answering (a hanging server); ``gzip`` compresses the body."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    gzip: bool = False
    chunked: bool = False  # send without Content-Length (so only the streamed size limit can catch it)
    trickle: float = 0.0  # seconds between single bytes of the body: each gap is short, the whole is endless
    trickle_headers: bool = False  # with trickle: the status line and headers come a byte at a time too


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    at: float  # time.monotonic() on arrival
    method: str
    path: str  # path with query
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        return urlsplit(self.path).path


Handler = Callable[[Hit], Reply]


class LoopbackServer:
    """A ThreadingHTTPServer on ``host`` (any 127.x.y.z on Linux) with an ephemeral port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.hits: list[Hit] = []
        self._routes: dict[str, list[Reply] | Handler] = {}
        self._lock = threading.Lock()
        self._httpd = _Server((host, 0), _make_handler(self))
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply | Handler) -> None:
        """Serve ``replies`` in turn at ``path`` (the last repeats), or call the one handler given."""
        if len(replies) == 1 and callable(replies[0]):
            self._routes[path] = replies[0]
        else:
            self._routes[path] = [r for r in replies if isinstance(r, Reply)]

    def requested(self, route: str) -> list[Hit]:
        """Hits whose path (without query) is ``route``."""
        with self._lock:
            return [h for h in self.hits if h.route == route]

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, hit: Hit) -> Reply:
        with self._lock:
            self.hits.append(hit)
            entry = self._routes.get(hit.path) or self._routes.get(hit.route)
            if isinstance(entry, list):
                reply = entry.pop(0) if len(entry) > 1 else (entry[0] if entry else Reply(status=204))
            else:
                reply = None
        if reply is None:
            reply = entry(hit) if entry is not None else Reply(b"not found", status=404, content_type="text/plain")
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (timeout, size limit, closed keep-alive connection) is expected here


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hit = Hit(time.monotonic(), self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            reply = server._answer(hit)
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
            headers = {"Content-Type": reply.content_type, **reply.headers}
            if reply.gzip:
                data = gzip.compress(data)
                headers["Content-Encoding"] = "gzip"
            if reply.trickle:
                self._trickle(reply, headers, data)
                return
            try:
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if reply.chunked:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout or a size limit): fine

        def _trickle(self, reply: Reply, headers: dict[str, str], data: bytes) -> None:
            """Write the answer a byte at a time (bounded by its length); stop when the client hangs up."""
            lines = [f"HTTP/1.1 {reply.status} OK", *(f"{k}: {v}" for k, v in headers.items())]
            lines += [f"Content-Length: {len(data)}", "Connection: close"]
            head = ("\r\n".join(lines) + "\r\n\r\n").encode()
            self.close_connection = True
            try:
                if not reply.trickle_headers:
                    self.wfile.write(head)
                    head = b""
                for byte in head + data:
                    time.sleep(reply.trickle)
                    self.wfile.write(bytes([byte]))
            except OSError:
                return  # the client gave up: what the test wants

        do_GET = do_POST = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler


@contextmanager
def serve(host: str = "127.0.0.1") -> Iterator[LoopbackServer]:
    """A started server, stopped on exit."""
    server = LoopbackServer(host).start()
    try:
        yield server
    finally:
        server.stop()
