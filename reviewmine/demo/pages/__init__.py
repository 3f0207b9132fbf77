"""Rendering the demo data in each source's real format (pure: data in, bytes out; the server is site.py).

Each module mirrors the structure of the saved real responses in ../shared/fixtures (see PROVENANCE.md there),
so the collectors read the demo exactly as they read the real sites.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

__all__ = ["iso_ms", "json_script", "render", "robots_txt"]

ROBOTS_TXT = """# robots.txt of the reviewmine demo site (loopback only)
User-agent: *
Allow: /review/
Allow: /gb/rss/
Allow: /menu/
Disallow: /account/
Disallow: /checkout/
Disallow: /search

User-agent: GPTBot
Disallow: /
"""


def robots_txt() -> bytes:
    return ROBOTS_TXT.encode("utf-8")


def iso_ms(value: datetime) -> str:
    """Trustpilot's timestamp format: ``2025-05-13T02:06:14.000Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def json_script(data: Any) -> str:
    """JSON for inside a <script> element: compact, UTF-8 as is, and no ``</`` that would end the element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


@cache
def _environment() -> Any:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reviewmine.demo", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["json_script"] = lambda data: Markup(json_script(data))
    return env


def render(template: str, **context: Any) -> bytes:
    """Render a template from reviewmine/demo/templates as UTF-8 bytes."""
    return _environment().get_template(template).render(**context).encode("utf-8")
