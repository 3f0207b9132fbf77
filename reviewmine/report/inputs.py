"""What a report is built from: sentence tags, reviews and collection runs, from a Workspace or given as frames.

`build_report` accepts a `Workspace` (it reads the three tables for the brands it needs), a `ReportInputs`, a
mapping with keys ``sentences`` / ``reviews`` / ``runs``, or any object with such attributes (e.g.
``analysis.synthetic.SyntheticData``), so tests, notebooks and the scheduled runs share one code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from ..store.db import Store

__all__ = ["RUN_COLUMNS", "ReportInputs", "as_inputs", "runs_frame"]

RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "kind", "brand", "source", "locator", "started_at", "ended_at", "status", "fetched", "expected_total",
)  # fmt: skip


@dataclass
class ReportInputs:
    """``sentences``: ``columns.SENTENCE_COLUMNS``; ``reviews``: ``columns.REVIEW_COLUMNS`` (optional: URLs,
    replies, reviews without text); ``runs``: ``RUN_COLUMNS`` of collection runs (optional: coverage)."""

    sentences: pd.DataFrame
    reviews: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None


def runs_frame(store: Store, brands: Sequence[str] | None = None, kind: str = "collect") -> pd.DataFrame:
    """Collection runs (``RUN_COLUMNS``), oldest first, optionally of some brands only."""
    import pandas as pd
    from sqlalchemy import select

    from ..store.runs import shown_status

    runs, names = store.tables["runs"], store.tables["brands"]
    query = (
        select(
            runs.c.id.label("run_id"), runs.c.kind, names.c.name.label("brand"), runs.c.source, runs.c.locator,
            runs.c.started_at, runs.c.ended_at, runs.c.status, runs.c.fetched, runs.c.expected_total,
            runs.c.pid, runs.c.host,
        )
        .join(names, names.c.id == runs.c.brand_id)
        .where(runs.c.kind == kind)
        .order_by(runs.c.started_at, runs.c.id)
    )  # fmt: skip
    if brands:
        query = query.where(names.c.name.in_(list(brands)))
    with store.read() as conn:
        frame = pd.read_sql_query(query, conn)
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    frame["expected_total"] = frame["expected_total"].astype("Int64")
    if len(frame):
        frame["status"] = [shown_status(row) for row in frame[["status", "pid", "host"]].to_dict("records")]
    return frame[list(RUN_COLUMNS)]


def _brand_rows(frame: pd.DataFrame | None, brands: Sequence[str]) -> pd.DataFrame | None:
    if frame is None:
        return None
    if "brand" not in frame.columns:
        raise InputError("missing column brand", where="report input")
    return frame[frame["brand"].astype(str).isin(brands)].reset_index(drop=True)


def as_inputs(source: Any, brands: Sequence[str], model: str | None = None) -> ReportInputs:
    """The report's input tables for ``brands`` from a Workspace, a ReportInputs, a mapping or an object."""
    from ..workspace import Workspace

    if isinstance(source, Workspace):
        sentences = source.sentences(list(brands), model=model)
        reviews = source.reviews(list(brands))
        return ReportInputs(sentences, reviews, runs_frame(source.store, brands))
    if isinstance(source, ReportInputs):
        frames = {"sentences": source.sentences, "reviews": source.reviews, "runs": source.runs}
    elif isinstance(source, Mapping):
        frames = {key: source.get(key) for key in ("sentences", "reviews", "runs")}
    elif hasattr(source, "sentences"):
        frames = {key: getattr(source, key, None) for key in ("sentences", "reviews", "runs")}
    else:
        raise InputError(
            f"cannot build a report from {type(source).__name__}; pass a Workspace or sentence/review frames",
            where="build_report",
        )
    if frames["sentences"] is None:
        raise InputError("no sentence frame given", where="build_report")
    if model is not None and "model_version" in frames["sentences"].columns:
        frames["sentences"] = frames["sentences"][frames["sentences"]["model_version"].astype(str) == model]
    return ReportInputs(*(_brand_rows(frames[key], brands) for key in ("sentences", "reviews", "runs")))  # type: ignore[arg-type]
