"""The report: one brand (and competitors) over a period, as self-contained HTML, Markdown or JSON.

    import reviewmine
    from reviewmine.report import build_report, render_html

    model = build_report(reviewmine.open("reviews.db"), "Acme", vs=["Rival"], period="90d")
    html = render_html(model)          # one file: inline CSS and SVG charts, no external URLs
    text = render_markdown(model)
    data = to_json(model)              # the full report model with stable keys (schema reviewmine.report/1)

Everything heavy (pandas, matplotlib, jinja2) is imported on first use; layout and keys are in docs/report.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import build_report
    from .html import render_html
    from .inputs import ReportInputs
    from .jsonout import to_json
    from .markdown import render_markdown
    from .model import ReportModel

__all__ = ["FORMATS", "ReportInputs", "ReportModel", "build_report", "render", "render_html", "render_markdown",
           "to_json"]  # fmt: skip

FORMATS = ("html", "md", "json")
_LAZY = {
    "build_report": "build", "render_html": "html", "render_markdown": "markdown", "to_json": "jsonout",
    "ReportModel": "model", "ReportInputs": "inputs",
}  # fmt: skip


def render(model: ReportModel, fmt: str) -> str:
    """The report in ``fmt`` (html, md or json)."""
    from ..errors import InputError

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}", where="--format")
    from .html import render_html
    from .jsonout import to_json
    from .markdown import render_markdown

    return {"html": render_html, "md": render_markdown, "json": to_json}[fmt](model)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
