"""Fixtures for the report tests: a demo database with true labels, built once per session (a few seconds)."""

from __future__ import annotations

import shutil

import pytest

from reviewmine.demo.database import DemoDb, build_demo_db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    return build_demo_db(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture(scope="module")
def db(demo_db: DemoDb, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo database for one test module, so nothing there can change the session's."""
    path = tmp_path_factory.mktemp("demo-copy") / "demo.db"
    shutil.copy(demo_db.path, path)
    return str(path)
