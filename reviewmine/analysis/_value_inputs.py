"""The user's inputs to the value figures (CLV, currency, customers per review) and the tagger's measured quality.

Money figures exist only when the user gives a customer lifetime value: reviewmine never guesses one. The loyalty
tags they stand on are not perfect, so the tagger's per-label precision and recall, measured on hand-labelled
rows (``metrics.json`` beside the model), correct the counts and widen the intervals (docs/methods.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ._currencies import CURRENCIES

__all__ = ["AT_RISK_SIGNALS", "TagQuality", "ValueInputs", "tag_quality_for", "value_inputs"]

AT_RISK_SIGNALS = ("churn", "warn")
"""A review is "at risk" when it says the customer will leave or warns others (either or both)."""
_NAMES = ("--clv", "--currency", "--customers-per-review")


@dataclass(frozen=True)
class ValueInputs:
    """Average customer lifetime value in ``currency`` (None: no money figures) and how many customers one review
    stands for (1: every figure is "per reviewer")."""

    clv: float | None = None
    currency: str | None = None
    customers_per_review: float = 1.0

    @property
    def money(self) -> bool:
        return self.clv is not None

    def assumptions(self) -> list[str]:
        """The inputs as sentences a reader sees next to the figures."""
        per = self.customers_per_review
        out = []
        if self.money:
            out.append(f"Average customer lifetime value (CLV): {self.currency} {self.clv:,.2f} (the user's figure).")
        if per == 1:
            out.append("One review stands for one customer: figures are per reviewer, not the whole customer base.")
        else:
            out.append(f"One review stands for {per:,g} customers (the user's figure).")
        return out


def _number(value: Any, name: str) -> float:
    """A positive finite number from a CLI string or a job-file value; UsageError naming the input otherwise."""
    if isinstance(value, bool):
        raise UsageError(f"expected a positive number, got {value!r}", where=name)
    try:
        number = float(str(value).replace("_", "").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{value!r} is not a number", where=name) from None
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"must be a positive number, got {value!r}", where=name)
    return number


def value_inputs(
    clv: Any = None, currency: Any = None, customers_per_review: Any = None, *, names: Sequence[str] = _NAMES
) -> ValueInputs:
    """Validated inputs; ``names`` are how the user wrote each input (options or job-file keys) for the messages.

    A non-numeric, zero, negative or infinite CLV or customers-per-review, an unknown ISO 4217 currency code, or
    a CLV without a currency (or the reverse) raises UsageError (exit 2) naming that input.
    """
    clv_name, currency_name, per_name = names
    per = 1.0 if customers_per_review is None else _number(customers_per_review, per_name)
    if clv is None and currency is None:
        return ValueInputs(customers_per_review=per)
    if clv is None:
        raise UsageError(f"a currency needs a customer lifetime value: add {clv_name}", where=currency_name)
    amount = _number(clv, clv_name)
    if currency is None:
        raise UsageError(f"needs a currency: add {currency_name} (an ISO 4217 code such as EUR)", where=clv_name)
    code = str(currency).strip().upper()
    if code not in CURRENCIES:
        raise UsageError(f"unknown currency code {currency!r} (ISO 4217, e.g. EUR, USD, GBP)", where=currency_name)
    return ValueInputs(amount, code, per)


@dataclass(frozen=True)
class TagQuality:
    """Per loyalty label: true positives, false positives and false negatives of the tagger on hand-labelled rows
    (``counts``), and where they come from (``source``, shown in the report)."""

    counts: dict[str, tuple[int, int, int]]
    source: str = ""
    model_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any], source: str = "") -> TagQuality | None:
        """From a model's metrics.json (``hand_test.loyalty.per_label``: precision, recall, support); None when
        it has no such figures."""
        try:
            labels = metrics["hand_test"]["loyalty"]["per_label"]
        except (KeyError, TypeError):
            return None
        counts = {}
        for label, row in labels.items():
            try:
                precision, recall, support = float(row["precision"]), float(row["recall"]), int(row["support"])
            except (KeyError, TypeError, ValueError):
                continue
            tp = round(recall * support)
            fp = round(tp / precision) - tp if precision > 0 else 0
            counts[str(label)] = (tp, max(fp, 0), support - tp)
        if not all(s in counts for s in AT_RISK_SIGNALS):
            return None
        return cls(counts, source, metrics.get("model_version"))

    def pooled(self, signals: Sequence[str] = AT_RISK_SIGNALS) -> tuple[int, int, int]:
        """The signals taken as one label: their counts added (micro-averaged precision and recall)."""
        tp, fp, fn = (sum(self.counts[s][i] for s in signals) for i in range(3))
        return tp, fp, fn

    def precision_recall(self, signals: Sequence[str] = AT_RISK_SIGNALS) -> tuple[float, float]:
        tp, fp, fn = self.pooled(signals)
        return tp / max(tp + fp, 1), tp / max(tp + fn, 1)

    def factor_draws(self, resamples: int, rng: np.random.Generator,
                     signals: Sequence[str] = AT_RISK_SIGNALS) -> np.ndarray:  # fmt: skip
        """(resamples + 1,) factors true / tagged = precision / recall: the measured one first, then draws with
        precision ~ Beta(tp + ½, fp + ½) and recall ~ Beta(tp + ½, fn + ½) (Jeffreys posteriors)."""
        tp, fp, fn = self.pooled(signals)
        precision, recall = self.precision_recall(signals)
        out = np.empty(resamples + 1)
        out[0] = precision / recall if recall > 0 else np.nan
        out[1:] = rng.beta(tp + 0.5, fp + 0.5, resamples) / rng.beta(tp + 0.5, fn + 0.5, resamples)
        return out


def tag_quality_for(model_versions: Sequence[str], model: str | None = None) -> TagQuality | None:
    """The measured quality of the tagger that wrote tags of ``model_versions``: the metrics.json of ``model``
    (a name or folder) or of the default model, when its model_version is among them; else None (for instance
    the demo's true labels, or a model without measurements)."""
    from ..errors import InputError
    from ..nlp.inference import resolve_model_dir

    try:
        folder = resolve_model_dir(model)
    except InputError:
        return None
    path = Path(folder) / "metrics.json"
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(metrics, dict) or metrics.get("model_version") not in set(model_versions):
        return None
    return TagQuality.from_metrics(metrics, source=f"{folder.name}/metrics.json, hand-labelled test rows")
