"""The aggregator: pandas in, pandas out, no I/O. Methods and column meanings are in docs/methods.md.

Typical use (``sentences`` has ``columns.SENTENCE_COLUMNS``, ``reviews`` ``columns.REVIEW_COLUMNS``)::

    from reviewmine import analysis
    data = analysis.prepare(sentences, reviews)        # optional: share the encoding between analyses
    metrics = analysis.compute_metrics(data, freq="W")  # Metrics(sentiment, emotions, loyalty, replies, coverage)
    risk = analysis.compute_risk(data)                  # RiskResult(scores, events)
    drivers = analysis.compute_drivers(data)            # Drivers(features, models, quadrant)
    themes = analysis.subthemes(sentences, embeddings, polarity="negative")
"""

from __future__ import annotations

from ._events import EVENT_COLUMNS, EVENT_KINDS
from ._prepare import ALL, FREQS, SCOPES, Prepared, prepare
from .drivers import FEATURE_COLUMNS, MODEL_COLUMNS, QUADRANT_COLUMNS, QUADRANTS, Drivers, compute_drivers
from .metrics import (
    COVERAGE_COLUMNS,
    EMOTION_COLUMNS,
    LOYALTY_COLUMNS,
    REPLY_COLUMNS,
    SENTIMENT_COLUMNS,
    Metrics,
    compute_coverage,
    compute_metrics,
)
from .risk import SCORE_COLUMNS, RiskResult, RiskSettings, compute_risk
from .subthemes import SUBTHEME_COLUMNS, subthemes

__all__ = [
    "ALL",
    "COVERAGE_COLUMNS",
    "EMOTION_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "FEATURE_COLUMNS",
    "FREQS",
    "LOYALTY_COLUMNS",
    "MODEL_COLUMNS",
    "QUADRANTS",
    "QUADRANT_COLUMNS",
    "REPLY_COLUMNS",
    "SCOPES",
    "SCORE_COLUMNS",
    "SENTIMENT_COLUMNS",
    "SUBTHEME_COLUMNS",
    "Drivers",
    "Metrics",
    "Prepared",
    "RiskResult",
    "RiskSettings",
    "compute_coverage",
    "compute_drivers",
    "compute_metrics",
    "compute_risk",
    "prepare",
    "subthemes",
]
