"""Risk levels: the words and colours a 0-100 risk score is shown with (thresholds in docs/report.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LEVELS", "UNKNOWN", "Level", "risk_level"]


@dataclass(frozen=True)
class Level:
    """A band of the risk score: scores below ``upper`` (and at or above the previous band's) get it."""

    name: str
    upper: float
    colour: str
    words: str


LEVELS: tuple[Level, ...] = (
    Level("low", 15, "#2e7d32", "nothing unusual"),
    Level("moderate", 35, "#f9a825", "worth watching"),
    Level("elevated", 60, "#ef6c00", "needs attention"),
    Level("high", 100.000001, "#c62828", "act now"),
)
UNKNOWN = Level("unknown", math.nan, "#90a4ae", "not enough recent reviews to score")


def risk_level(score: float | None) -> Level:
    """The level of a score; NaN or None (too few reviews) is ``UNKNOWN``."""
    if score is None or math.isnan(score):
        return UNKNOWN
    return next((level for level in LEVELS if score < level.upper), LEVELS[-1])
