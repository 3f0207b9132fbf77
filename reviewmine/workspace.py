"""The notebook API: ``reviewmine.open(path_or_url)`` returns a Workspace whose methods return DataFrames.

The CLI calls the same functions, so what an analyst sees in a notebook is what the report is built from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .store.db import Store
from .store.queries import db_info, reviews_frame, runs_frame
from .timeparse import parse_when

if TYPE_CHECKING:
    import pandas as pd

    from .report.inputs import ReportInputs

__all__ = ["Workspace", "open_workspace"]


class Workspace:
    """A reviewmine database seen from Python. Every method returns plain pandas objects."""

    def __init__(self, path: str | os.PathLike[str] | Store | None = None) -> None:
        """Open the database at ``path``: an SQLite file or a PostgreSQL URL (``postgresql://user:pw@host/db``).

        An open Store is used as it is and left open by ``close()``: its owner closes it.
        """
        self._owns_store = not isinstance(path, Store)
        self.store = path if isinstance(path, Store) else Store(path)

    def __repr__(self) -> str:
        return f"Workspace({self.store.display_name!r})"  # a URL's password masked

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reviews(
        self,
        brand: str | list[str] | None = None,
        *,
        source: str | list[str] | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Reviews, newest first; columns are documented in docs/data-model.md.

        ``since``/``until`` take datetimes, ISO dates (``"2025-01-31"``) or spans back from now (``"90d"``).
        """
        return reviews_frame(
            self.store,
            brand=brand,
            source=source,
            since=parse_when(since),
            until=parse_when(until),
            limit=limit,
        )

    def sentences(
        self,
        brand: str | list[str] | None = None,
        *,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Sentence tags (``columns.SENTENCE_COLUMNS``) written by ``reviewmine analyze``, newest review first.

        ``model`` is a model version, name or folder; by default the default model's results, else the most
        recently analysed version.
        """
        from .store.sentences import sentences_frame

        version = self._model_version(model)
        return sentences_frame(self.store, version, brand=brand, since=parse_when(since), until=parse_when(until))

    def analyses(
        self,
        brand: str | list[str] | None = None,
        *,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Review-level results (score, label, language, status, categories...) of one model version."""
        from .store.sentences import analyses_frame

        version = self._model_version(model)
        return analyses_frame(self.store, version, brand=brand, since=parse_when(since), until=parse_when(until))

    def metrics(
        self,
        brand: str | list[str] | None = None,
        *,
        freq: str = "W",
        table: str = "sentiment",
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Metrics per brand x period (``freq`` D, W or M) x category, with 95% intervals (docs/methods.md).

        ``table``: ``sentiment`` (net sentiment, polarity shares, mean rating), ``emotions``, ``loyalty``,
        ``replies`` or ``coverage`` (expected vs stored reviews, from the collection runs).
        """
        from .tables import metrics_table

        return metrics_table(self, brand, freq=freq, table=table, since=since, until=until, model=model)

    def risk(
        self,
        brand: str | list[str] | None = None,
        *,
        table: str = "scores",
        as_of: str | datetime | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Reputation risk (docs/methods.md): ``scores`` (0-100 per brand and category for the 4 weeks ending with
        the week of ``as_of``, default the latest review) or ``events`` (weeks that rose above the brand's own
        baseline, with example sentences). Uses the whole history: the baseline reaches back 16 weeks."""
        from .tables import risk_table

        return risk_table(self, brand, table=table, as_of=as_of, model=model)

    def drivers(
        self,
        brand: str | list[str] | None = None,
        *,
        table: str = "features",
        target: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Experience drivers (docs/methods.md): ``features`` (importance and impact of praise / complaints per
        category), ``models`` (R² per brand and target) or ``quadrant`` (importance vs performance).
        ``target``: rating, recommend or warn (default all three)."""
        from .tables import drivers_table

        return drivers_table(self, brand, table=table, target=target, since=since, until=until, model=model)

    def nps(
        self,
        brand: str | list[str] | None = None,
        *,
        period: str = "month",
        by: str | list[str] | None = "source",
        table: str = "scores",
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
        min_responses: int | None = None,
    ) -> pd.DataFrame:
        """Net Promoter Score of the survey responses (reviews imported with ``--rating-scale 0-10``; never from
        stars), docs/methods.md. ``table``: ``scores`` (NPS per brand x ``period`` x segment with its 95% interval
        and the change on the period before; ``period`` day, week, month, quarter, year or all; ``by`` review
        columns or imported extra fields to segment by), ``drivers`` (which categories and emotions in the
        comments separate promoters from detractors, in NPS points) or ``models``. An empty frame, with the
        columns, where there is no survey data."""
        from .analysis import nps

        choices = ("scores", "drivers", "models")
        if table not in choices:
            raise InputError(f"unknown table {table!r}; use {', '.join(choices)}", where="table")
        reviews = self.reviews(brand, since=since, until=until)
        if table == "scores":
            least = nps.MIN_RESPONSES if min_responses is None else min_responses
            return nps.compute_nps(reviews, period=period, by=by, min_responses=least)
        survey = nps.survey_responses(reviews)
        sentences = self.sentences(brand, since=since, until=until, model=model) if len(survey) else None
        least = nps.MIN_DRIVER_RESPONSES if min_responses is None else min_responses
        result = nps.compute_nps_drivers(sentences, survey, min_responses=least)
        return result.features if table == "drivers" else result.models

    def value(
        self,
        brand: str | list[str] | None = None,
        *,
        table: str = "at_risk",
        freq: str = "M",
        clv: float | None = None,
        currency: str | None = None,
        customers_per_review: float | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
        resamples: int = 500,
    ) -> pd.DataFrame:
        """Loyalty to value (docs/methods.md, "Loyalty to value") per brand x period (``freq`` D, W or M).

        ``table``: ``at_risk`` (reviews saying the customer will leave or warning others, corrected for the
        tagger's measured precision and recall: ``customers`` and, given ``clv`` and ``currency``, ``value`` =
        customers x CLV, each with ``_low`` / ``_high`` 95% bounds), ``categories`` (per clue category: at-risk
        customers of complaining reviews and how many fewer, or how much value, if complaints fell to the brand's
        usual level or the best competitor's; associations, ranked) or ``rates`` (loyalty signal shares with the
        period before). Without ``clv`` and ``currency`` the value columns are NaN, as in the report: reviewmine
        never guesses a CLV. ``customers_per_review`` (default 1) scales customers and value; a bad input raises
        UsageError naming it. Columns: docs/report.md ("What it is worth" in a notebook).
        """
        from .analysis.value import value_inputs
        from .tables import value_table

        inputs = value_inputs(clv, currency, customers_per_review, names=("clv", "currency", "customers_per_review"))
        return value_table(self, brand, table=table, freq=freq, inputs=inputs, since=since, until=until, model=model,
                           resamples=resamples)  # fmt: skip

    def subthemes(
        self,
        brand: str | list[str] | None = None,
        *,
        category: str | None = None,
        polarity: str | None = "negative",
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        model: str | None = None,
        embeddings: Any = None,
    ) -> pd.DataFrame:
        """Sub-themes of the mentions of each category (default: complaints), clustered on sentence embeddings
        (all-MiniLM-L6-v2, offline) unless ``embeddings`` (a function of a list of texts, e.g.
        ``reviewmine.tables.tfidf_embeddings``) is given; named by class-based TF-IDF; columns in docs/methods.md."""
        from .tables import subthemes_table

        return subthemes_table(self, brand, category=category, polarity=polarity, since=since, until=until,
                               model=model, embeddings=embeddings)  # fmt: skip

    def info(self) -> dict[str, Any]:
        """Schema version, review counts per brand and source, and the latest runs."""
        return db_info(self.store)

    def report_inputs(self, brands: Sequence[str], model: str | None = None) -> ReportInputs:
        """What ``build_report`` needs for ``brands``: sentence tags of ``model``, reviews, collection runs and
        the review-level status and language of ``model`` (what was left out for its language), so report/ gets
        plain DataFrames and never reads the database."""
        from .report.inputs import ReportInputs
        from .store.sentences import analysis_status_frame, sentences_frame

        names, version = list(brands), self._model_version(model)  # resolved once for both reads
        return ReportInputs(
            sentences_frame(self.store, version, brand=names),
            self.reviews(names),
            runs_frame(self.store, names),
            analysis_status_frame(self.store, version, brand=names),
        )

    def _model_version(self, model: str | None) -> str:
        """The model version to read: ``model`` as a stored version, else as a model name or folder.

        With no ``model``: the default model's version if the store has results for it, else the most recently
        analysed version (so a notebook shows what the last ``reviewmine analyze`` wrote).
        """
        from .nlp.inference import read_model_version
        from .store.sentences import analyzed_versions

        versions = analyzed_versions(self.store)
        if model:
            if model in versions:
                return model
            try:
                return read_model_version(model)
            except InputError:
                return model  # an unknown version simply has no rows
        try:
            default = read_model_version(None)
        except InputError:
            default = None
        if default in versions or not versions:
            return default or ""
        return next(iter(versions))


def open_workspace(path: str | os.PathLike[str] | None = None) -> Workspace:
    """Open (creating if needed) the reviewmine database at ``path``, an SQLite file or a PostgreSQL URL (default
    ``$REVIEWMINE_DB`` or ./reviewmine.db)."""
    return Workspace(path)
