"""Review sources: one module per site with a pure ``parse``, and a registry that also loads plug-ins.

See docs/sources.md for the locator formats and for adding a source.
"""

from __future__ import annotations

from .base import Collector, ParsedPage, ParseError, Request, Response
from .registry import ENTRY_POINT_GROUP, available_sources, get_source

__all__ = [
    "ENTRY_POINT_GROUP",
    "Collector",
    "ParseError",
    "ParsedPage",
    "Request",
    "Response",
    "available_sources",
    "get_source",
]
