"""The request a collector wants made and the response the HTTP layer hands back.

They live here, at the bottom, so the HTTP layer needs nothing from the collectors above it; collectors build
``Request``s and parse ``Response``s (also re-exported by ``reviewmine.collectors``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Request", "Response"]


@dataclass(frozen=True)
class Request:
    """One HTTP request a collector wants made."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None  # form fields, for POST


@dataclass(frozen=True)
class Response:
    """What the HTTP layer hands back: the final URL, status, headers and the body bytes."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    encoding: str | None = None

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)
