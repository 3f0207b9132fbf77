"""`reviewmine collect` and `reviewmine sources` end to end: the Steam collector against a loopback Steam."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import LoopbackServer, Reply, serve
from steamsite import APP_ID, SteamSite
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.store.db import Store

runner = CliRunner()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as started:
        yield started


def _collect(db_path: Path, *args: str, env: dict[str, str] | None = None):
    argv = ["collect", "steam", APP_ID, "--brand", "Game", "--db", str(db_path), "--delay", "0.01", *args]
    return runner.invoke(app, argv, env=env)


def test_collect_reports_coverage_and_reruns_incrementally(db_path: Path, server: LoopbackServer) -> None:
    site = SteamSite(server, 12)
    result = _collect(db_path, "--base-url", server.base_url, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["status"], data["expected_total"], data["fetched"], data["new"], data["pages"]) == (
        "ok", 12, 12, 12, 4,
    )  # fmt: skip
    assert data["coverage"] == 1.0 and data["stopped"] == "the last page"  # Steam ends with an empty page
    assert site.cursors() == ["*", "c5", "c10", "c12"]
    with Store(db_path) as store:
        assert store.run(data["run_id"])["status"] == "ok"

    site.reviews[:0] = [SteamSite._review(n) for n in (13, 12)]  # two newer reviews
    env = {"REVIEWMINE_STEAM_BASE_URL": server.base_url}
    again = _collect(db_path, env=env)
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert lines[0] == "expected 14, fetched 10 (71%), new 2, updated 0, pages 2, errors 0"
    assert "page 2 had nothing new" in lines[1] and "14 reviews stored for Game / steam 1346200" in lines[1]


def test_a_first_page_without_reviews_that_claims_some_exits_1(db_path: Path, server: LoopbackServer) -> None:
    site = SteamSite(server, 12)
    site.claimed_total = 780
    result = _collect(db_path, "--base-url", server.base_url)
    assert result.exit_code == 1
    assert result.stdout.startswith("expected 780, fetched 0 (0%), new 0, updated 0, pages 0, errors 1")
    assert "error: steam http://127.0.0.1:" in result.stderr
    assert "first page has no reviews although the source says it has 780" in result.stderr
    assert "Traceback" not in result.output


def test_robots_is_obeyed_unless_told_otherwise(db_path: Path, server: LoopbackServer) -> None:
    SteamSite(server, 3)
    server.route("/robots.txt", Reply("User-agent: *\nDisallow: /appreviews/\n", content_type="text/plain"))
    result = _collect(db_path, "--base-url", server.base_url, "--quiet")
    assert result.exit_code == 1 and result.stdout == ""
    assert "disallowed by robots.txt of 127.0.0.1" in result.stderr
    assert server.requested(f"/appreviews/{APP_ID}") == []
    result = _collect(db_path, "--base-url", server.base_url, "--ignore-robots", "--quiet")
    assert result.exit_code == 0 and len(server.requested(f"/appreviews/{APP_ID}")) == 2


def test_bad_arguments_are_one_line_errors(db_path: Path) -> None:
    result = _collect(db_path, "--base-url", "ftp://example.org")
    assert result.exit_code == 2 and "error: --base-url: only http and https" in result.stderr
    result = runner.invoke(app, ["collect", "nosuchsite", "x", "--brand", "B", "--db", str(db_path)])
    assert result.exit_code == 1 and "unknown source 'nosuchsite'" in result.stderr
    result = _collect(db_path, "--since", "someday")
    assert result.exit_code == 2 and "error: --since:" in result.stderr
    result = runner.invoke(app, ["collect", "steam", "not-an-id", "--brand", "B", "--db", str(db_path)])
    assert result.exit_code == 1 and "is not a Steam app id" in result.stderr


def test_sources_lists_the_registry() -> None:
    result = runner.invoke(app, ["sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert {"trustpilot", "appstore", "steam", "googleplay", "schemaorg"} <= set(rows)
    assert rows["steam"]["example"] == "1346200" and rows["steam"]["base_url_env"] == "REVIEWMINE_STEAM_BASE_URL"
    text = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "steam" in text.stdout and "<Steam app id>" in text.stdout
