"""The settings of the risk scores and events, apart from both so ``risk`` and ``_events`` import them downward."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

__all__ = ["RiskSettings"]


@dataclass(frozen=True)
class RiskSettings:
    """Windows in weeks, minimum samples, event thresholds and score weights (see docs/methods.md)."""

    window_weeks: int = 4
    baseline_weeks: int = 12
    min_reviews: int = 20
    min_baseline: int = 50
    min_count: int = 10
    min_shift: float = 0.05
    min_ratio: float = 1.5
    fdr: float = 0.05
    scale: float = 0.10
    examples: int = 3
    weights: dict[str, float] = field(
        default_factory=lambda: {"shift": 0.40, "velocity": 0.15, "volume": 0.15, "severity": 0.30}
    )

    def __post_init__(self) -> None:
        if self.window_weeks < 1 or self.baseline_weeks < 2:
            raise InputError("window_weeks must be >= 1 and baseline_weeks >= 2", where="risk settings")
        if set(self.weights) != {"shift", "velocity", "volume", "severity"} or min(self.weights.values()) < 0:
            raise InputError("weights need shift, velocity, volume, severity >= 0", where="risk settings")
        if not np.isclose(sum(self.weights.values()), 1.0):
            raise InputError("weights must add up to 1", where="risk settings")
