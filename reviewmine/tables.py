"""The tidy tables of the notebook API, read through a Workspace: what ``db.metrics()``, ``db.risk()``,
``db.drivers()``, ``db.subthemes()``, ``db.value()`` and ``reviewmine export`` return. They live beside
workspace.py, not in report/, so the report never imports the notebook API.

Each table is the aggregator's output unchanged (columns in docs/methods.md), computed on the stored sentence
tags of one model version and the stored reviews (URLs, replies, reviews without text), so a notebook, an
export and the report show the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from .analysis.value import ValueInputs
    from .workspace import Workspace

__all__ = [
    "EXPORT_TABLES", "VALUE_TABLES", "drivers_table", "export_table", "metrics_table", "risk_table",
    "subthemes_table", "value_table",
]  # fmt: skip

Brands = str | list[str] | None
METRIC_TABLES = ("sentiment", "emotions", "loyalty", "replies", "coverage")
RISK_TABLES = ("scores", "events")
DRIVER_TABLES = ("features", "models", "quadrant")
VALUE_TABLES = ("at_risk", "categories", "rates")
EXPORT_TABLES: dict[str, str] = {
    "metrics": "sentiment metrics per period and category (docs/methods.md, Metrics.sentiment)",
    "emotions": "emotion shares per period, category and label",
    "loyalty": "loyalty signal rates per period and category",
    "replies": "company reply rate and delay per period and source",
    "coverage": "expected vs stored reviews per brand and source",
    "risk": "current risk scores per brand and category",
    "events": "risk events (weeks that stood out), with example sentences as JSON",
    "drivers": "rating / recommend / warn drivers per feature",
    "quadrant": "importance vs performance per category",
    "subthemes": "complaint sub-themes per category (TF-IDF clusters), with quotes as JSON",
    "nps": "Net Promoter Score of 0-10 survey responses per period and segment (empty without survey data)",
    "nps_drivers": "what in survey comments separates promoters from detractors, in NPS points",
    "value": "customers (value with --clv/--currency) at risk per brand and period, with 95% intervals",
    "value_categories": "per period and category: at-risk customers (value) of complaints above the usual level",
    "sentences": "the sentence tags (columns.SENTENCE_COLUMNS)",
    "reviews": "the stored reviews (columns.REVIEW_COLUMNS)",
}


def _choice(value: str, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise InputError(f"unknown table {value!r}; use {', '.join(allowed)}", where=where)
    return value


def _frames(
    ws: Workspace, brand: Brands, since: str | datetime | None, until: str | datetime | None, model: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return ws.sentences(brand, since=since, until=until, model=model), ws.reviews(brand, since=since, until=until)


def metrics_table(
    ws: Workspace, brand: Brands = None, *, freq: str = "W", table: str = "sentiment",
    since: str | datetime | None = None, until: str | datetime | None = None, model: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    from .analysis import compute_metrics
    from .store.queries import runs_frame

    _choice(table, METRIC_TABLES, "table")
    sentences, reviews = _frames(ws, brand, since, until, model)
    names = [brand] if isinstance(brand, str) else brand
    runs = runs_frame(ws.store, names) if table == "coverage" else None
    return getattr(compute_metrics(sentences, reviews, freq=freq, runs=runs), table)


def risk_table(
    ws: Workspace, brand: Brands = None, *, table: str = "scores", as_of: str | datetime | None = None,
    model: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    from .analysis import compute_risk
    from .timeparse import parse_when

    _choice(table, RISK_TABLES, "table")
    sentences, reviews = _frames(ws, brand, None, None, model)
    try:
        when = parse_when(as_of)
    except ValueError as exc:
        raise InputError(str(exc), where="as_of") from None
    return getattr(compute_risk(sentences, reviews, as_of=when), table)


def drivers_table(
    ws: Workspace, brand: Brands = None, *, table: str = "features", target: str | None = None,
    since: str | datetime | None = None, until: str | datetime | None = None, model: str | None = None,
    resamples: int = 200,
) -> pd.DataFrame:  # fmt: skip
    from .analysis import compute_drivers
    from .analysis.drivers import TARGETS

    _choice(table, DRIVER_TABLES, "table")
    targets = (target,) if target else TARGETS
    sentences, reviews = _frames(ws, brand, since, until, model)
    return getattr(compute_drivers(sentences, reviews, targets=targets, resamples=resamples), table)


def value_table(
    ws: Workspace, brand: Brands = None, *, table: str = "at_risk", freq: str = "M", inputs: ValueInputs | None = None,
    since: str | datetime | None = None, until: str | datetime | None = None, model: str | None = None,
    resamples: int = 500,
) -> pd.DataFrame:  # fmt: skip
    """`analysis.value.compute_value` on the stored tags and reviews, corrected for the tagger's measured quality
    as the report is, plus a ``currency`` column (null without a CLV, when every value column is NaN)."""
    from .analysis.value import compute_value, tag_quality_for

    _choice(table, VALUE_TABLES, "table")
    sentences, reviews = _frames(ws, brand, since, until, model)
    versions = [str(v) for v in sentences["model_version"].dropna().unique()] if "model_version" in sentences else []
    result = compute_value(sentences, reviews, inputs=inputs, quality=tag_quality_for(versions, model), freq=freq,
                           resamples=resamples)  # fmt: skip
    frame = getattr(result, table)
    if table != "rates":
        frame = frame.assign(currency=result.inputs.currency if result.inputs.money else None)
    return frame


def tfidf_embeddings(texts: list[str]) -> Any:
    """Dense LSA vectors of texts: TF-IDF of words and word pairs (English stop words dropped) reduced to at
    most 100 dimensions by truncated SVD. Fast, deterministic and needs no model."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    dims = min(100, tfidf.shape[1] - 1, len(texts) - 1)
    if dims < 2:
        return tfidf.toarray()
    return TruncatedSVD(n_components=dims, random_state=0).fit_transform(tfidf)


def subthemes_table(
    ws: Workspace, brand: Brands = None, *, category: str | None = None, polarity: str | None = "negative",
    since: str | datetime | None = None, until: str | datetime | None = None, model: str | None = None,
    embeddings: Callable[[list[str]], Any] | None = None,
) -> pd.DataFrame:  # fmt: skip
    from .analysis import subthemes
    from .nlp.embed import sentence_embeddings

    sentences = ws.sentences(brand, since=since, until=until, model=model)
    categories = [category] if category else None
    return subthemes(sentences, embeddings or sentence_embeddings, categories=categories, polarity=polarity)


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """List / dict cells (event examples, quotes, words) as JSON text, so CSV and Parquet keep them."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, list | dict)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    return out


def export_table(
    ws: Workspace, name: str, brand: Brands = None, *, freq: str = "W", since: str | datetime | None = None,
    until: str | datetime | None = None, model: str | None = None, value: ValueInputs | None = None,
) -> pd.DataFrame:  # fmt: skip
    """One of `EXPORT_TABLES` as a flat DataFrame (nested cells as JSON text); ``value`` holds the CLV inputs of
    the value tables (without them they have customer counts and rates, no money)."""
    _choice(name, tuple(EXPORT_TABLES), "--table")
    window = {"since": since, "until": until, "model": model}
    if name == "sentences":
        return ws.sentences(brand, **window)
    if name == "reviews":
        return ws.reviews(brand, since=since, until=until)
    if name in ("risk", "events"):
        return _flatten(risk_table(ws, brand, table="scores" if name == "risk" else "events", as_of=until, model=model))
    if name in ("drivers", "quadrant"):
        return drivers_table(ws, brand, table="features" if name == "drivers" else "quadrant", **window)
    if name == "subthemes":
        return _flatten(subthemes_table(ws, brand, **window))
    if name in ("value", "value_categories"):
        table = "at_risk" if name == "value" else "categories"
        return value_table(ws, brand, table=table, freq=freq, inputs=value, **window)
    if name in ("nps", "nps_drivers"):  # --freq D/W/M/Q is the NPS period
        return ws.nps(brand, period=freq, table="scores" if name == "nps" else "drivers", **window)
    return metrics_table(ws, brand, freq=freq, table="sentiment" if name == "metrics" else name, **window)
