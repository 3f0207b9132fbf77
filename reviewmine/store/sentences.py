"""Analyses and sentence tags in the store: what `reviewmine analyze` writes and `Workspace.sentences()` reads.

Sentence decisions are stored as bitmasks (see migration 2) so a million sentences take tens of MB; reading
decodes them, vectorised, into the wide ``columns.SENTENCE_COLUMNS`` layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, bindparam, func, literal_column, or_, select, text

from ..columns import SENTENCE_COLUMNS, catpol_col, decode_tags, loy_col
from ..taxonomy import CATEGORIES, LOYALTY_SIGNALS, POLARITIES
from .columnar import read_columns
from .timefmt import to_db

if TYPE_CHECKING:
    import pandas as pd

    from .db import Store

__all__ = [
    "ANALYSIS_COLUMNS",
    "AnalysisRow",
    "PendingReview",
    "SentenceRow",
    "analyses_frame",
    "analyzed_versions",
    "load_texts",
    "pending_reviews",
    "save_analyses",
    "sentences_frame",
]

ANALYSIS_COLUMNS: tuple[str, ...] = (
    "review_key", "brand", "source", "published_at", "rating_normalised", "model_version", "analyzed_at",
    "current", "status", "language", "score", "label", "n_sentences",
    *(catpol_col(c) for c in CATEGORIES), "emotions", *(loy_col(s) for s in LOYALTY_SIGNALS), "result",
)  # fmt: skip
_LOOKUP_CHUNK = 500


@dataclass(slots=True)
class PendingReview:
    """A review that needs (re-)analysis for a model version."""

    review_key: str
    content_hash: str
    analyzed_before: bool


@dataclass(slots=True)
class AnalysisRow:
    review_key: str
    content_hash: str
    status: str
    language: str | None
    score: float | None
    label: str | None
    result: dict[str, Any]


# (review_key, sentence_idx, text, polarity, score, categories, category_polarity, emotions, ekman, loyalty)
SentenceRow = tuple[str, int, str, int, float, int, int, int, int, int]


# -- writing -----------------------------------------------------------------------------------------------


def pending_reviews(
    store: Store,
    model_version: str,
    *,
    brand: str | Sequence[str] | None = None,
    since: datetime | None = None,
) -> list[PendingReview]:
    """Reviews with no analysis for ``model_version``, or whose content changed since it, oldest first."""
    reviews, analyses, brands = store.tables["reviews"], store.tables["analyses"], store.tables["brands"]
    joined = reviews.outerjoin(
        analyses,
        (analyses.c.review_key == reviews.c.review_key) & (analyses.c.model_version == model_version),
    )
    query = select(reviews.c.review_key, reviews.c.content_hash, analyses.c.review_key.is_not(None)).select_from(joined)
    query = query.where(or_(analyses.c.review_key.is_(None), analyses.c.content_hash != reviews.c.content_hash))
    if brand:
        names = [brand] if isinstance(brand, str) else list(brand)
        query = query.where(reviews.c.brand_id.in_(select(brands.c.id).where(brands.c.name.in_(names))))
    if since:
        query = query.where(reviews.c.published_at >= to_db(since))
    # Oldest first: SQLite's rowid is insertion order; PostgreSQL has none, first_seen_at is the nearest.
    order = (
        [reviews.c.first_seen_at, reviews.c.review_key] if store.is_postgresql else [literal_column("reviews.rowid")]
    )
    with store.read() as conn:
        rows = conn.execute(query.order_by(*order))
        return [PendingReview(key, content_hash, bool(before)) for key, content_hash, before in rows]


def load_texts(conn: Connection, store: Store, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Title, body, stated language and content hash of the given reviews."""
    reviews = store.tables["reviews"]
    query = select(
        reviews.c.review_key, reviews.c.title, reviews.c.body, reviews.c.language, reviews.c.content_hash
    ).where(reviews.c.review_key.in_(bindparam("keys", expanding=True)))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        for row in conn.execute(query, {"keys": list(keys[start : start + _LOOKUP_CHUNK])}).mappings():
            found[row["review_key"]] = dict(row)
    return found


def save_analyses(
    conn: Connection,
    model_version: str,
    analyzed_at: datetime,
    rows: Sequence[AnalysisRow],
    sentences: Sequence[SentenceRow],
) -> None:
    """Replace the analyses (and their sentences) of these reviews for this model version, inside ``conn``.

    Idempotent, and safe when several processes save the same reviews at once on PostgreSQL: the analyses are
    upserted first (in key order), which locks their rows until commit, so the sentences of one review are replaced
    by one writer at a time and the last writer's rows are what stays.
    """
    if not rows:
        return
    stamp = to_db(analyzed_at)
    analyses = [
        (
            row.review_key, model_version, stamp, row.content_hash, row.language, row.status, row.score,
            row.label, json.dumps(row.result, ensure_ascii=False, separators=(",", ":")),
        )
        for row in sorted(rows, key=lambda row: row.review_key)
    ]  # fmt: skip
    tagged = [(s[0], model_version, *s[1:]) for s in sentences]
    if conn.dialect.name == "postgresql":
        _save_postgresql(conn, model_version, analyses, tagged)
        return
    keys = [(row[0], model_version) for row in analyses]
    conn.exec_driver_sql("DELETE FROM sentences WHERE review_key = ? AND model_version = ?", keys)
    conn.exec_driver_sql("DELETE FROM analyses WHERE review_key = ? AND model_version = ?", keys)
    conn.exec_driver_sql(f"INSERT INTO analyses ({', '.join(_ANALYSIS_FIELDS)}) VALUES ({_marks(_ANALYSIS_FIELDS)})",
                         analyses)  # fmt: skip
    if tagged:
        conn.exec_driver_sql(f"INSERT INTO sentences ({', '.join(_SENTENCE_FIELDS)}) VALUES "
                             f"({_marks(_SENTENCE_FIELDS)})", tagged)  # fmt: skip


_ANALYSIS_FIELDS = ("review_key", "model_version", "analyzed_at", "content_hash", "language", "status", "score",
                    "label", "result")  # fmt: skip
_SENTENCE_FIELDS = ("review_key", "model_version", "sentence_idx", "text", "polarity", "score", "categories",
                    "category_polarity", "emotions", "ekman", "loyalty")  # fmt: skip


def _marks(fields: Sequence[str]) -> str:
    return ", ".join("?" * len(fields))


_ANALYSIS_TYPES = ("text", "text", "text", "text", "text", "text", "double precision", "text", "text")
_SENTENCE_TYPES = ("text", "text", "bigint", "text", "bigint", "double precision", *("bigint",) * 5)


def _save_postgresql(conn: Connection, model_version: str, analyses: list[tuple], tagged: list[tuple]) -> None:
    from .postgres import unnest_insert

    changed = ", ".join(f"{name} = EXCLUDED.{name}" for name in _ANALYSIS_FIELDS[2:])
    upsert, arrays = unnest_insert(
        "analyses",
        list(zip(_ANALYSIS_FIELDS, _ANALYSIS_TYPES, strict=True)),
        analyses,
        order_by="review_key",
        tail=f"ON CONFLICT (review_key, model_version) DO UPDATE SET {changed}",
    )
    conn.execute(upsert, arrays)
    delete = text("DELETE FROM sentences WHERE model_version = :version AND review_key = ANY(:keys)")
    conn.execute(delete, {"version": model_version, "keys": [row[0] for row in analyses]})
    if tagged:
        columns = list(zip(_SENTENCE_FIELDS, _SENTENCE_TYPES, strict=True))
        conn.execute(*unnest_insert("sentences", columns, tagged, order_by="review_key, sentence_idx"))


# -- reading -----------------------------------------------------------------------------------------------


def sentence_count(store: Store, model_version: str) -> int:
    """Sentence rows stored for ``model_version``."""
    sentences = store.tables["sentences"]
    query = select(func.count()).select_from(sentences).where(sentences.c.model_version == model_version)
    with store.read() as conn:
        return int(conn.execute(query).scalar_one())


def analyzed_versions(store: Store) -> dict[str, str]:
    """Model versions with analyses in the store, mapped to their latest ``analyzed_at``, newest first."""
    analyses = store.tables["analyses"]
    query = (
        select(analyses.c.model_version, func.max(analyses.c.analyzed_at).label("last"))
        .group_by(analyses.c.model_version)
        .order_by(func.max(analyses.c.analyzed_at).desc(), analyses.c.model_version)
    )
    with store.read() as conn:
        return {version: last for version, last in conn.execute(query)}


def sentences_frame(
    store: Store,
    model_version: str,
    *,
    brand: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Sentence tags of one model version with exactly ``columns.SENTENCE_COLUMNS``, newest review first.

    Booleans for the label columns; ``polarity`` and ``catpol_*`` are categoricals over POLARITIES (NA where a
    category is not mentioned); ``published_at`` is tz-aware UTC.

    Two reads in one snapshot instead of a join sorted in SQL: the chosen reviews in the database's order
    (newest first, then key), and the sentences alone, which are put in that order here. So the review columns
    are read and parsed once per review rather than once per sentence, and the database sorts the reviews rather
    than every sentence. With a filter, the sentences are found by the chosen reviews' keys, not by a scan.
    """
    s, r, b = store.tables["sentences"], store.tables["reviews"], store.tables["brands"]
    reviews = select(r.c.review_key, b.c.name, r.c.source, r.c.published_at, r.c.rating_normalised).join(
        b, b.c.id == r.c.brand_id
    )
    reviews = _filter(reviews, r, b, brand, since, until)
    families = ("categories", "category_polarity", "emotions", "ekman", "loyalty")
    sentences = select(
        s.c.review_key, s.c.sentence_idx, s.c.text, s.c.polarity, s.c.score, *(s.c[name] for name in families)
    ).where(s.c.model_version == model_version)
    if brand or since or until:
        sentences = sentences.where(s.c.review_key.in_(reviews.with_only_columns(r.c.review_key)))
    review_types = (object, object, object, object, np.float64)
    with store.read() as conn:
        sentence_cols = read_columns(
            conn, sentences, (object, np.int64, object, np.int64, np.float64, *(np.int64,) * len(families))
        )
        ordered = reviews.order_by(r.c.published_at.desc(), r.c.review_key)
        if len(sentence_cols[0]):
            review_cols = read_columns(conn, ordered, review_types)
        else:  # none: no need to read the reviews
            review_cols = [np.zeros(0, dtype=dtype) for dtype in review_types]
    return _sentence_table(model_version, review_cols, sentence_cols, families)


def _sentence_table(
    model_version: str, review_cols: list[np.ndarray], sentence_cols: list[np.ndarray], families: Sequence[str]
) -> pd.DataFrame:
    """The wide sentence frame from the reviews (in their order) and their sentences (in any order)."""
    import pandas as pd

    keys, brands, sources, published, rating = review_cols
    s_key, s_idx, s_text, s_pol, s_score, *masks = sentence_cols
    review = pd.Index(keys, dtype=object).get_indexer(s_key)  # position of each sentence's review
    rows = np.flatnonzero(review >= 0)  # every sentence has its review (foreign keys); kept as a join would
    rows = rows[np.lexsort((s_idx[rows], review[rows]))]  # review order, then sentence_idx
    review = review[rows]

    def categorical(values: np.ndarray) -> pd.Categorical:
        """Like ``astype("category")`` of the per-sentence values: sorted categories, those that occur only."""
        codes, names = pd.factorize(values, sort=True)
        labels = pd.Index(names, dtype="str") if len(rows) else pd.Index([], dtype=object)
        return pd.Categorical.from_codes(codes[review], categories=labels).remove_unused_categories()

    published = published if len(rows) else published[:0]  # parsed as from no rows: the same dtype
    timestamps = pd.to_datetime(pd.Series(published, dtype=object), utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    version = pd.Index([model_version] if len(rows) else [], dtype="str" if len(rows) else object)
    frame: dict[str, Any] = {
        "review_key": pd.Series(keys[review], dtype=object),  # a bare object array would be inferred as str
        "brand": categorical(brands),
        "source": categorical(sources),
        "published_at": timestamps.take(review).reset_index(drop=True),
        "rating_normalised": rating[review],
        "model_version": pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), categories=version),
        "sentence_idx": s_idx[rows].astype("int32"),
        "text": pd.Series(s_text[rows], dtype=object),
        "polarity": pd.Categorical.from_codes(s_pol[rows].astype(np.int8), categories=list(POLARITIES)),
        "score": s_score[rows],
    }
    polarity_columns = {catpol_col(category) for category in CATEGORIES}
    decoded = decode_tags({name: mask[rows] for name, mask in zip(families, masks, strict=True)})
    for column, values in decoded.items():
        if column in polarity_columns:
            values = pd.Categorical.from_codes(values, categories=list(POLARITIES))
        frame[column] = values
    return pd.DataFrame(frame, index=pd.RangeIndex(len(rows)))[list(SENTENCE_COLUMNS)]


def analysis_status_frame(
    store: Store, model_version: str, *, brand: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """review_key, brand, published_at, status and language of one model version's analyses: what a report needs
    to say which reviews were left out (another language), without parsing every result (``analyses_frame``)."""
    return _read_analyses(store, model_version, lambda a, r: (r.c.published_at, a.c.status, a.c.language), brand)


def _read_analyses(
    store: Store,
    model_version: str,
    columns: Callable[[Any, Any], tuple[Any, ...]],
    brand: str | Sequence[str] | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """review_key, brand and ``columns(analyses, reviews)`` of one model version's analyses joined to their reviews,
    newest review first, ``published_at`` (when read) as tz-aware UTC."""
    import pandas as pd

    a, r, b = store.tables["analyses"], store.tables["reviews"], store.tables["brands"]
    query = (
        select(a.c.review_key, b.c.name.label("brand"), *columns(a, r))
        .join(r, r.c.review_key == a.c.review_key)
        .join(b, b.c.id == r.c.brand_id)
        .where(a.c.model_version == model_version)
    )
    query = _filter(query, r, b, brand, since, until).order_by(r.c.published_at.desc(), a.c.review_key)
    with store.read() as conn:
        frame = pd.read_sql_query(query, conn)
    if "published_at" in frame.columns:
        frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return frame


def analyses_frame(
    store: Store,
    model_version: str,
    *,
    brand: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Review-level results of one model version with ``ANALYSIS_COLUMNS``, newest review first.

    ``current`` is False where the review changed after it was analysed (``reviewmine analyze`` redoes it);
    ``catpol_<category>`` is the review's polarity on that category ("mixed" when it has both), NA if not
    mentioned; ``emotions`` the main emotions, comma-separated; ``result`` the full result as JSON.
    """
    import pandas as pd

    def columns(a: Any, r: Any) -> tuple[Any, ...]:
        return (
            r.c.source, r.c.published_at, r.c.rating_normalised, a.c.model_version, a.c.analyzed_at,
            (a.c.content_hash == r.c.content_hash).label("current"), a.c.status, a.c.language, a.c.score,
            a.c.label, a.c.result,
        )  # fmt: skip

    frame = _read_analyses(store, model_version, columns, brand, since, until)
    frame["analyzed_at"] = pd.to_datetime(frame["analyzed_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    frame["current"] = frame["current"].astype(bool)
    results = [json.loads(text or "{}") for text in frame["result"]]
    frame["n_sentences"] = pd.array([res.get("sentences", 0) for res in results], dtype="Int64")
    for category in CATEGORIES:
        frame[catpol_col(category)] = pd.array(
            [res.get("categories", {}).get(category, {}).get("polarity") for res in results], dtype="string"
        )
    frame["emotions"] = [",".join(e["emotion"] for e in res.get("emotions", [])) for res in results]
    for signal in LOYALTY_SIGNALS:
        frame[loy_col(signal)] = [any(x["signal"] == signal for x in res.get("loyalty", [])) for res in results]
    frame["score"] = frame["score"].astype("float64")
    frame["rating_normalised"] = frame["rating_normalised"].astype("float64")
    return frame[list(ANALYSIS_COLUMNS)]


def _filter(query: Any, reviews: Any, brands: Any, brand: Any, since: Any, until: Any) -> Any:
    if brand:
        query = query.where(brands.c.name.in_([brand] if isinstance(brand, str) else list(brand)))
    if since:
        query = query.where(reviews.c.published_at >= to_db(since))
    if until:
        query = query.where(reviews.c.published_at < to_db(until))
    return query
