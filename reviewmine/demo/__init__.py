"""The built-in demo: a seeded generator of realistic reviews with planted stories, and a loopback site serving
them in the real formats of Trustpilot, the App Store RSS feed and schema.org product pages.

    from reviewmine.demo import DemoSite, generate_demo

    data = generate_demo(seed=7)
    with DemoSite(data) as site:
        print(site.base_url, site.locators)

The planted stories are described in stories.md beside this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .database import build_demo_db
from .generate import generate_demo
from .model import SOURCES, Brand, DemoData, DemoReview, Product, Sentence, Story

if TYPE_CHECKING:
    from .site import DemoSite, DemoTarget

__all__ = [
    "SOURCES",
    "Brand",
    "DemoData",
    "DemoReview",
    "DemoSite",
    "DemoTarget",
    "Product",
    "Sentence",
    "Story",
    "build_demo_db",
    "generate_demo",
]


def __getattr__(name: str) -> Any:
    """The site is imported on first use, so `python -m reviewmine.demo.site` runs it cleanly as __main__."""
    if name in ("DemoSite", "DemoTarget"):
        from . import site

        return getattr(site, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
