"""What a report is built from: sentence tags, reviews and collection runs, as plain DataFrames.

`build_report` accepts a `ReportSource` (an object that builds its own `ReportInputs`, as ``Workspace`` does
from its database), a `ReportInputs`, a mapping with keys ``sentences`` / ``reviews`` / ``runs`` / ``analyses``,
or any object with such attributes (e.g. ``testing.synthetic.SyntheticData``), so tests, notebooks and the
scheduled runs share one code path. The report never reads the database itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ReportInputs", "ReportSource", "as_inputs"]


@dataclass
class ReportInputs:
    """``sentences``: ``columns.SENTENCE_COLUMNS``; ``reviews``: ``columns.REVIEW_COLUMNS`` (optional: URLs,
    replies, reviews without text); ``runs``: ``store.queries.RUN_COLUMNS`` of collection runs (optional:
    coverage); ``analyses``: review-level results of the same model version with at least ``review_key``,
    ``brand``, ``published_at``, ``status`` and ``language`` (optional: reviews left out for their language)."""

    sentences: pd.DataFrame
    reviews: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    analyses: pd.DataFrame | None = None


@runtime_checkable
class ReportSource(Protocol):
    """Something that hands over the report's inputs for some brands itself (``Workspace.report_inputs``)."""

    def report_inputs(self, brands: Sequence[str], model: str | None = None) -> ReportInputs: ...


_FRAMES = ("sentences", "reviews", "runs", "analyses")  # ReportInputs' fields, in order


def _brand_rows(frame: pd.DataFrame | None, brands: Sequence[str]) -> pd.DataFrame | None:
    if frame is None:
        return None
    if "brand" not in frame.columns:
        raise InputError("missing column brand", where="report input")
    return frame[frame["brand"].astype(str).isin(brands)].reset_index(drop=True)


def as_inputs(source: Any, brands: Sequence[str], model: str | None = None) -> ReportInputs:
    """The report's input tables for ``brands`` from a ReportSource, a ReportInputs, a mapping or an object."""
    if isinstance(source, ReportSource):
        return source.report_inputs(list(brands), model)
    if isinstance(source, ReportInputs):
        frames = {key: getattr(source, key) for key in _FRAMES}
    elif isinstance(source, Mapping):
        frames = {key: source.get(key) for key in _FRAMES}
    elif hasattr(source, "sentences"):
        frames = {key: getattr(source, key, None) for key in _FRAMES}
    else:
        raise InputError(
            f"cannot build a report from {type(source).__name__}; pass a Workspace or sentence/review frames",
            where="build_report",
        )
    if frames["sentences"] is None:
        raise InputError("no sentence frame given", where="build_report")
    for key in ("sentences", "analyses"):
        frame = frames[key]
        if model is not None and frame is not None and "model_version" in frame.columns:
            frames[key] = frame[frame["model_version"].astype(str) == model]
    return ReportInputs(*(_brand_rows(frames[key], brands) for key in _FRAMES))  # type: ignore[arg-type]
