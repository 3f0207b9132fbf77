"""A chain with a hole is never "ok": Trustpilot and Steam in their own formats on loopback, through the CLI.

Trustpilot page 3 of 5 comes back empty (its pagination still says 5 pages, 100 reviews): the run follows the
page numbers past it and ends partial with 80 stored. Steam page 3 of 10 comes back empty with the same cursor:
the chain cannot go on, and the run ends partial with 40 of 200. Either way the next incremental run walks the
whole chain again and fills the gap, where a trusted cursor would stop at page 1 with "nothing new".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import LoopbackServer, serve
from steamsite import APP_ID, SteamSite
from trustpilotsite import DOMAIN, TrustpilotSite
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import EXIT_OK, EXIT_PARTIAL
from reviewmine.store.db import Store

runner = CliRunner()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def _collect(db_path: Path, server: LoopbackServer, source: str, locator: str, *args: str) -> dict:
    argv = ["collect", source, locator, "--brand", "Shop", "--db", str(db_path), "--delay", "0",
            "--base-url", server.base_url, "--json", *args]  # fmt: skip
    result = runner.invoke(app, argv)
    data = json.loads(result.stdout)
    data["exit_code"] = result.exit_code
    return data


def _db_info(db_path: Path) -> dict:
    result = runner.invoke(app, ["db", "info", "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_trustpilot_follows_past_an_empty_page_and_ends_partial(db_path: Path, server: LoopbackServer) -> None:
    site = TrustpilotSite(server, 100)
    site.empty.add(3)
    first = _collect(db_path, server, "trustpilot", DOMAIN)
    assert first["exit_code"] == EXIT_PARTIAL and first["status"] == "partial"
    assert site.requested_pages() == [1, 2, 3, 4, 5]  # followed the page numbers past the hole
    assert (first["fetched"], first["stored"], first["missing"], len(first["gaps"])) == (80, 80, 20, 1)
    assert "page=3" in first["gaps"][0] and "next run walks the whole chain" in first["partial_reason"]
    last_run = _db_info(db_path)["last_runs"][0]
    assert last_run["status"] == "partial" and last_run["id"] == first["run_id"]

    site.empty.clear()
    server.hits.clear()
    second = _collect(db_path, server, "trustpilot", DOMAIN)  # incremental, but it does not trust page 1
    assert second["exit_code"] == EXIT_OK and second["status"] == "ok" and second["rewalk"]
    assert (second["new"], second["stored"]) == (20, 100)
    assert site.requested_pages() == [1, 2, 3, 4, 5]

    server.hits.clear()
    third = _collect(db_path, server, "trustpilot", DOMAIN)  # whole again: incremental as before
    assert third["status"] == "ok" and not third["rewalk"] and site.requested_pages() == [1]


def test_steam_stuck_cursor_ends_partial_and_the_next_run_fills_the_gap(db_path: Path, server: LoopbackServer) -> None:
    site = SteamSite(server, 200, per_page=20)
    site.stuck.add("c40")  # page 3 answers empty and hands back its own cursor
    first = _collect(db_path, server, "steam", APP_ID)
    assert first["exit_code"] == EXIT_PARTIAL and first["status"] == "partial"
    assert (first["expected_total"], first["stored"], first["missing"]) == (200, 40, 160)
    assert "160 of the 200 reviews the source announces are not stored" in first["partial_reason"]

    text = runner.invoke(app, ["db", "info", "--db", str(db_path)]).stdout
    assert "partial" in text

    site.stuck.clear()
    second = _collect(db_path, server, "steam", APP_ID)
    assert second["exit_code"] == EXIT_OK and second["rewalk"] and second["stored"] == 200
    with Store(db_path) as store:
        assert store.run(first["run_id"])["status"] == "partial"
        assert store.run(second["run_id"])["status"] == "ok"


def test_a_partial_run_says_so_in_text_on_stderr(db_path: Path, server: LoopbackServer) -> None:
    site = TrustpilotSite(server, 60)
    site.empty.add(2)
    argv = ["collect", "trustpilot", DOMAIN, "--brand", "Shop", "--db", str(db_path), "--delay", "0",
            "--base-url", server.base_url]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == EXIT_PARTIAL
    assert "run 1 partial" in result.stdout and "empty pages 1" in result.stdout
    assert result.stderr.startswith("partial: 1 page(s) came back empty although the source says more exist")


def test_a_whole_walk_is_ok(db_path: Path, server: LoopbackServer) -> None:
    TrustpilotSite(server, 45)
    data = _collect(db_path, server, "trustpilot", DOMAIN)
    assert data["exit_code"] == EXIT_OK and data["stored"] == 45 and data["gaps"] == [] and data["missing"] is None
