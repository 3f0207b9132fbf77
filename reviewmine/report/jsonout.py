"""The report model as JSON: the machine-readable report (scheduled runs keep it as their run summary)."""

from __future__ import annotations

import json

from .model import ReportModel

__all__ = ["to_json"]


def to_json(model: ReportModel, *, indent: int | None = 2) -> str:
    """The full report model as a JSON document (keys in model order; NaN never appears, unknowns are null)."""
    return json.dumps(model.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False) + "\n"
