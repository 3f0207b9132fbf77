"""Fixtures for the demo tests: the seed-7 data set and the site serving it, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reviewmine.demo import DemoData, DemoSite, generate_demo


@pytest.fixture(scope="session")
def demo_data() -> DemoData:
    return generate_demo(7)


@pytest.fixture(scope="module")
def demo_site(demo_data: DemoData) -> Iterator[DemoSite]:
    with DemoSite(demo_data) as site:
        yield site


@pytest.fixture(scope="module")
def client(demo_site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_site.base_url, timeout=10) as http:
        yield http
