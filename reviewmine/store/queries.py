"""Read-side queries that return pandas DataFrames; the CLI, the notebook API and the tests share them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ..columns import REVIEW_COLUMNS
from .columnar import read_frame
from .runs import shown_status
from .timefmt import to_db

if TYPE_CHECKING:
    import pandas as pd

    from .db import Store

__all__ = ["RUN_COLUMNS", "db_info", "reviews_frame", "runs_frame"]

_TIME_COLUMNS = ("published_at", "updated_at", "reply_at", "fetched_at", "first_seen_at", "changed_at")
RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "kind", "brand", "source", "locator", "started_at", "ended_at", "status", "fetched", "expected_total",
)  # fmt: skip


def reviews_frame(
    store: Store,
    *,
    brand: str | list[str] | None = None,
    source: str | list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Reviews as a DataFrame with ``columns.REVIEW_COLUMNS``, newest first.

    ``since``/``until`` filter on ``published_at`` (inclusive / exclusive). Timestamps come back as
    tz-aware UTC ``datetime64`` columns, ``verified`` as nullable boolean, ``extra`` as a JSON string.
    """
    reviews, brands = store.tables["reviews"], store.tables["brands"]
    columns = [brands.c.name.label("brand") if c == "brand" else reviews.c[c] for c in REVIEW_COLUMNS]
    query = select(*columns).join(brands, reviews.c.brand_id == brands.c.id)
    if brand:
        query = query.where(brands.c.name.in_([brand] if isinstance(brand, str) else brand))
    if source:
        query = query.where(reviews.c.source.in_([source] if isinstance(source, str) else source))
    if since:
        query = query.where(reviews.c.published_at >= to_db(since))
    if until:
        query = query.where(reviews.c.published_at < to_db(until))
    query = query.order_by(reviews.c.published_at.desc(), reviews.c.review_key)
    if limit:
        query = query.limit(limit)
    with store.read() as conn:
        frame = read_frame(conn, query)  # as read_sql_query types it, without its per-row costs (columnar.py)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    for column in _TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    frame["verified"] = frame["verified"].astype("boolean")
    frame["helpful_votes"] = frame["helpful_votes"].astype("Int64")
    for column in ("rating", "rating_min", "rating_max", "rating_normalised"):
        frame[column] = frame[column].astype("float64")
    return frame


def runs_frame(store: Store, brands: Sequence[str] | None = None, kind: str = "collect") -> pd.DataFrame:
    """Runs of one kind (``RUN_COLUMNS``), oldest first, optionally of some brands only: the report's coverage.

    A "running" run whose process is gone shows as interrupted (runs.shown_status).
    """
    import pandas as pd

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


def db_info(store: Store) -> dict[str, Any]:
    """A summary of the database: where it is (a URL's password masked), its size and schema version, counts per
    brand and source, the last runs."""
    reviews, brands, runs = store.tables["reviews"], store.tables["brands"], store.tables["runs"]
    with store.read() as conn:
        per_source = conn.execute(
            select(
                brands.c.name,
                reviews.c.source,
                func.count(),
                func.min(reviews.c.published_at),
                func.max(reviews.c.published_at),
            )
            .join(brands, reviews.c.brand_id == brands.c.id)
            .group_by(brands.c.name, reviews.c.source)
            .order_by(brands.c.name, reviews.c.source)
        ).all()
        last_runs = conn.execute(
            select(
                runs.c.id, runs.c.kind, runs.c.source, runs.c.locator, runs.c.status,
                runs.c.started_at, runs.c.ended_at, runs.c.fetched, runs.c.new, runs.c.updated, runs.c.pid,
                runs.c.host,
            ).order_by(runs.c.id.desc()).limit(10)
        ).mappings().all()  # fmt: skip
        total = conn.execute(select(func.count()).select_from(reviews)).scalar_one()
        analyses = conn.execute(
            select(store.tables["analyses"].c.model_version, func.count()).group_by("model_version")
        ).all()
        if store.is_postgresql:
            size = conn.execute(select(func.pg_database_size(func.current_database()))).scalar_one()
        else:
            size = store.path.stat().st_size if store.path.exists() else 0
    return {
        "path": store.display_name,  # a PostgreSQL URL with its password masked
        "backend": store.backend,
        "size_bytes": size,
        "schema_version": store.schema_version(),
        "reviews": total,
        "by_brand_source": [
            {"brand": b, "source": s, "reviews": n, "first_published": lo, "last_published": hi}
            for b, s, n, lo, hi in per_source
        ],
        "analyses": {version: n for version, n in analyses},
        "last_runs": [dict(r) | {"status": shown_status(r)} for r in last_runs],
    }
