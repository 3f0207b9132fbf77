"""`reviewmine demo` and `python -m reviewmine.demo.site`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys

import httpx
from typer.testing import CliRunner

from reviewmine.cli import app

runner = CliRunner()


def test_demo_command_json() -> None:
    result = runner.invoke(app, ["demo", "--describe", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reviews"] >= 1500 and summary["base_url"].startswith("http://127.0.0.1:")
    assert {s["id"] for s in summary["stories"]} == {
        "crustline-delivery-crisis",
        "napolinest-rude-staff",
        "fornofresco-price-rise",
    }
    assert {t["source"] for t in summary["targets"]} == {"trustpilot", "appstore", "schemaorg"}
    assert [b["brand"] for b in summary["brands"]] == ["Crustline", "Napoli Nest", "Forno Fresco"]


def test_demo_command_text_and_busy_port() -> None:
    result = runner.invoke(app, ["demo", "--describe", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Planted stories:" in result.stdout and "reviewmine collect trustpilot crustline.example" in result.stdout
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["demo", "--describe", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith("error: --port: cannot listen on 127.0.0.1:")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_python_m_site_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewmine.demo.site", "--port", "0", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A suite started in a background job (`nohup make test &`) ignores SIGINT and children inherit that;
        # the server must get Ctrl-C as a terminal would deliver it.
        preexec_fn=_default_sigint,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+) ", first)
        assert match, first
        assert httpx.get(f"{match.group(1)}/robots.txt", timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr and "RuntimeWarning" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
