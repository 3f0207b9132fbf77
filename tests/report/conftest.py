"""Fixtures for the report tests: a demo database with true labels, built once per session (a few seconds)."""

from __future__ import annotations

import pytest

from reviewmine.demo.database import DemoDb, build_demo_db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    return build_demo_db(tmp_path_factory.mktemp("demo") / "demo.db")
