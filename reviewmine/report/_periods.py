"""The report period and the one before it: the frames cut to each, and their metrics as one period per brand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis import Metrics
    from .inputs import ReportInputs

__all__ = ["PeriodFrames", "Slice", "period_frames", "period_metrics"]


@dataclass
class Slice:
    """Sentences and reviews published in [start, end)."""

    start: datetime
    end: datetime
    sentences: pd.DataFrame
    reviews: pd.DataFrame | None

    def negative_reviews(self, brand: str) -> tuple[float, float, float]:
        """Share of the brand's tagged reviews that are negative (more negative than positive sentences),
        with its Wilson 95% interval; NaN without reviews."""
        from ..analysis import prepare
        from ..analysis.stats import wilson_interval

        mine = self.sentences[self.sentences["brand"].astype(str) == brand]
        if mine.empty:
            return np.nan, np.nan, np.nan
        data = prepare(mine)
        count, total = int(data.r_negative[:, 0].sum()), int(data.r_mention[:, 0].sum())
        low, high = wilson_interval(np.array([count]), np.array([total]))
        return count / total, float(low[0]), float(high[0])


@dataclass
class PeriodFrames:
    start: datetime
    end: datetime
    current: Slice
    previous: Slice


def _published(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.to_datetime(frame["published_at"], utc=True)


def _cut(inputs: ReportInputs, start: datetime, end: datetime) -> Slice:
    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        when = _published(frame)
        return frame[(when >= start) & (when < end)].reset_index(drop=True)

    reviews = rows(inputs.reviews) if inputs.reviews is not None else None
    return Slice(start, end, rows(inputs.sentences), reviews)


def period_frames(inputs: ReportInputs, brands: Sequence[str], span: timedelta, as_of: datetime | None) -> PeriodFrames:
    """Cut the inputs to the period ending at ``as_of`` (default: midnight after the brands' newest review)."""
    import pandas as pd

    if as_of is None:
        source = inputs.reviews if inputs.reviews is not None else inputs.sentences
        newest = _published(source[source["brand"].astype(str).isin(brands)]).max()
        if pd.isna(newest):
            raise InputError("no review has a publication date", where="--period")
        as_of = (newest.floor("D") + pd.Timedelta(days=1)).to_pydatetime()
    end = pd.Timestamp(as_of).tz_convert("UTC").to_pydatetime()
    start = end - span
    return PeriodFrames(start, end, _cut(inputs, start, end), _cut(inputs, start - span, start))


def period_metrics(part: Slice) -> Metrics:
    """`analysis.compute_metrics` over the whole slice as a single period per brand.

    Every row is dated to the slice's first day and metrics are computed per day, so shares, intervals and
    counts follow exactly the aggregator's definitions (docs/methods.md) without re-implementing them.
    """
    from ..analysis import compute_metrics

    day = part.start.replace(hour=0, minute=0, second=0, microsecond=0)
    sentences = part.sentences.assign(published_at=day)
    reviews = part.reviews.assign(published_at=day, reply_at=None) if part.reviews is not None else None
    return compute_metrics(sentences, reviews, freq="D")
