"""Headless Chromium for the tests that check a page in a real browser (the reports, the demo's report).

Needs Debian's ``chromium`` (``make test`` installs it when missing); a test that asks for it is skipped with the
reason when it is absent.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip


def chromium() -> str:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not found (apt-get install -y chromium; `make test` does it)")


def run_chromium(browser: str, profile: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_messages(stderr: str) -> list[str]:
    """Console messages (errors, warnings, CSP violations) Chromium logged while loading the page."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def evaluate(browser: str, profile: Path, page: Path, expression: str, *, timeout: float = 120.0) -> tuple[Any, str]:
    """Open ``page`` in headless Chromium, evaluate the JavaScript ``expression`` in it (a promise is awaited) and
    return its value with Chromium's stderr (for `console_messages`).

    Speaks the DevTools protocol over ``--remote-debugging-pipe`` (commands in on fd 3, replies out on fd 4,
    NUL-terminated JSON), so what a test asks the live page (layout boxes, computed style, the DOM as parsed)
    needs no driver and no websocket library. The evaluation is the inspector's: the page's CSP does not apply.
    """
    to_child, from_child = os.pipe(), os.pipe()

    def wire() -> None:  # in the child: the pipe ends become fds 3 and 4
        inbound, outbound = fcntl.fcntl(to_child[0], fcntl.F_DUPFD, 10), fcntl.fcntl(from_child[1], fcntl.F_DUPFD, 10)
        os.dup2(inbound, 3)
        os.dup2(outbound, 4)

    command = [browser, *_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=1280,900",
               page.as_uri()]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   close_fds=False, preexec_fn=wire)  # fmt: skip
        os.close(to_child[0])
        os.close(from_child[1])
        channel = _Pipe(to_child[1], from_child[0], time.monotonic() + timeout)
        try:
            value = channel.evaluate(expression)
            channel.call("Browser.close")
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            os.close(to_child[1])
            os.close(from_child[0])
        stderr.seek(0)
        return value, stderr.read().decode("utf-8", "replace")


_LOADED = "location.protocol === 'file:' && document.readyState === 'complete'"


class _Pipe:
    """The DevTools protocol over a pair of pipes: numbered commands, replies matched by id, events skipped."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer, self.next_id = b"", 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        page = None
        while page is None:
            targets = self.call("Target.getTargets")["targetInfos"]
            page = next((t for t in targets if t["type"] == "page" and t["url"].startswith("file:")), None)
            if page is None:
                self._check_deadline()
                time.sleep(0.1)
        session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        while True:  # the first document may still be about:blank, or the file may be loading
            try:
                if self._run(session, _LOADED):
                    break
            except AssertionError:  # the context went away with a navigation: ask the new one
                pass
            self._check_deadline()
            time.sleep(0.05)
        return self._run(session, expression)

    def _run(self, session: str, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session, expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"the page's JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            self._check_deadline()
            ready, _, _ = select.select([self.read_fd], [], [], 1.0)
            if ready:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise AssertionError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def _check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise AssertionError("Chromium did not answer in time")
