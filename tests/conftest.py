"""Shared test fixtures: temporary databases and the location of ../shared (tests needing it skip without it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEWMINE_SHARED", REPO.parent / "shared"))
FIXTURES = REPO / "tests" / "fixtures"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found (../shared is absent on this machine)")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reviews.db"


@pytest.fixture
def store(db_path: Path):
    from reviewmine.store.db import Store

    with Store(db_path) as s:
        yield s


# -- PostgreSQL: one real server per session, one database per test ------------------------------------------


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL cluster on 127.0.0.1 for the session (skips only where its binaries cannot be found)."""
    from pgserver import find_pg_bin, running_server

    if find_pg_bin() is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql; `make test` does)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[dev]' (or '.[postgres]')")
    with running_server() as server:
        yield server


@pytest.fixture
def pg_database(pg_server) -> Iterator[str]:
    """A fresh, empty database on the session's server (dropped afterwards); yields its name."""
    name = pg_server.create_database()
    try:
        yield name
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_server, pg_database: str) -> str:
    """The URL (with the owner role's real password) of a fresh, empty PostgreSQL database."""
    return pg_server.url(pg_database)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh database lives, on each backend: an SQLite file path, or a PostgreSQL URL."""
    if backend == "sqlite":
        return str(tmp_path / "reviews.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_store(db_target: str):
    """A fresh store on each backend (the tests that use it run once on SQLite and once on PostgreSQL)."""
    from reviewmine.store.db import Store

    with Store(db_target) as s:
        yield s
