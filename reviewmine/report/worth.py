"""The report's "What it is worth" section: loyalty rates against the period before, the customers (and, given a
CLV, the value) at risk with its interval and assumptions, and what to fix ranked by value (analysis/value.py).

Without a CLV from the user the section has rates and customer counts only: every money field is null and no
currency is named anywhere. The NPS block (analysis/nps.py) is a separate part of the report.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..taxonomy import CATEGORY_NAMES
from ._values import num
from .model import FixItem, Worth, WorthRate

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.value import TagQuality, Value, ValueInputs
    from ._periods import PeriodFrames

__all__ = ["FixItem", "Worth", "WorthRate", "worth_section", "worth_summary"]

SIGNAL_LABELS = {
    "at_risk": "Will leave or warn others", "churn": "Will leave", "warn": "Warn others",
    "loyal": "Will recommend or come back", "recommend": "Recommend", "return": "Will come back",
}  # fmt: skip
_BAND = ("", "_low", "_high")
DRIVER_TARGETS = ("at_risk", "loyal")


def _band(row: pd.Series, name: str, digits: int = 2) -> dict[str, float | None]:
    return {"value": num(row[name], digits), "low": num(row[f"{name}_low"], digits),
            "high": num(row[f"{name}_high"], digits)}  # fmt: skip


def _stacked(frames: PeriodFrames) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The period and the one before as one frame each, every row dated to its slice's start: two periods per
    brand for `compute_value` (freq D), so the period before is the brand's usual level."""
    import pandas as pd

    parts = [(frames.previous, frames.start - (frames.end - frames.start)), (frames.current, frames.start)]
    sentences = pd.concat([s.sentences.assign(published_at=day) for s, day in parts], ignore_index=True)
    reviews = None
    if frames.current.reviews is not None and frames.previous.reviews is not None:
        reviews = pd.concat([s.reviews.assign(published_at=day) for s, day in parts], ignore_index=True)
    return sentences, reviews


def worth_section(frames: PeriodFrames, brand: str, inputs: ValueInputs | None, quality: TagQuality | None,
                  resamples: int = 200) -> Worth:  # fmt: skip
    """The section of ``brand`` over the report's period (competitors in ``frames`` are the best-competitor
    references)."""
    import pandas as pd

    from ..analysis.value import ValueInputs, compute_value, loyalty_drivers

    inputs = inputs or ValueInputs()
    sentences, reviews = _stacked(frames)
    value = compute_value(sentences, reviews, inputs=inputs, quality=quality, freq="D", baseline_periods=1,
                          resamples=max(resamples, 200))  # fmt: skip
    now = pd.Timestamp(frames.start).floor("D")

    def mine(table: pd.DataFrame, start: pd.Timestamp = now) -> pd.DataFrame:
        return table[(table["brand"].astype(str) == brand) & (table["period_start"] == start)]

    drivers = loyalty_drivers(frames.current.sentences, frames.current.reviews, targets=DRIVER_TARGETS,
                              resamples=resamples)  # fmt: skip
    before = mine(value.at_risk, (now - (frames.end - frames.start)).floor("D"))
    worth = _worth(value, mine(value.rates), mine(value.at_risk), mine(value.categories), drivers.features, brand)
    if len(before) and worth.at_risk.get("customers"):
        row = before.iloc[0]
        worth.at_risk["previous"] = {"reviews": int(row["reviews"]), "at_risk_reviews": int(row["at_risk_reviews"]),
                                     "customers": _band(row, "customers", 1),
                                     "value": _band(row, "value", 0) if worth.money else None}  # fmt: skip
    return worth


def _worth(value: Value, rates: pd.DataFrame, at_risk: pd.DataFrame, categories: pd.DataFrame,
           features: pd.DataFrame, brand: str) -> Worth:  # fmt: skip
    inputs, money = value.inputs, value.inputs.money
    items = [WorthRate(str(r["signal"]), SIGNAL_LABELS.get(str(r["signal"]), str(r["signal"])), int(r["count"]),
                       int(r["reviews"]), num(r["rate"]), num(r["rate_low"]), num(r["rate_high"]),
                       num(r["previous_rate"]), int(r["previous_reviews"]))
             for _, r in rates.iterrows()]  # fmt: skip
    order = {s: i for i, s in enumerate(SIGNAL_LABELS)}
    items.sort(key=lambda item: order.get(item.signal, 99))
    risk: dict[str, Any] = {"reviews": 0, "at_risk_reviews": 0, "tag_factor": None}
    if len(at_risk):
        row = at_risk.iloc[0]
        risk = {"reviews": int(row["reviews"]), "at_risk_reviews": int(row["at_risk_reviews"]),
                "tag_factor": num(row["tag_factor"], 3), "customers": _band(row, "customers", 1),
                "value": _band(row, "value", 0) if money else None}  # fmt: skip
    ok = categories[(categories["status"] == "ok") & categories["rank"].notna()].sort_values("rank")
    fix = [FixItem(
        rank=int(r["rank"]), category=str(r["category"]), name=CATEGORY_NAMES.get(str(r["category"]), r["category"]),
        complaint_reviews=int(r["complaint_reviews"]), complaint_share=num(r["complaint_share"]),
        usual_share=num(r["usual_share"]), best_competitor=None if r["best_competitor"] is None
        else str(r["best_competitor"]), best_share=num(r["best_share"]), effect=num(r["effect"]),
        effect_low=num(r["effect_low"]), effect_high=num(r["effect_high"]),
        at_risk_complaining=int(r["at_risk_complaining"]),
        customers_complaining=_band(r, "customers_complaining", 1),
        value_complaining=_band(r, "value_complaining", 0) if money else None,
        fewer_vs_usual=_band(r, "fewer_vs_usual", 1), value_vs_usual=_band(r, "value_vs_usual", 0) if money else None,
        fewer_vs_best=_band(r, "fewer_vs_best", 1), value_vs_best=_band(r, "value_vs_best", 0) if money else None,
    ) for _, r in ok.iterrows()]  # fmt: skip
    quality = value.quality
    tag = None
    if quality is not None:
        precision, recall = quality.precision_recall()
        tag = {"precision": round(precision, 3), "recall": round(recall, 3), "factor": risk.get("tag_factor"),
               "source": quality.source, "model_version": quality.model_version}  # fmt: skip
    status = "ok" if risk["reviews"] else "no reviews in the period"
    notes = []
    if risk["reviews"] and not fix:
        fitted = (categories["status"] == "ok").any()
        why = categories["status"].iloc[0] if len(categories) else "no tagged reviews"
        base = value.settings["min_base"]
        notes.append(
            f"No category could be ranked: no usual level ({base} tagged reviews in the period before needed) and "
            "no competitor compared." if fitted else
            f"No category could be ranked: {why} ({value.settings['min_reviews']} tagged reviews and "
            f"{value.settings['min_mentions']} complaints about it needed).")  # fmt: skip
    return Worth(
        money=money, currency=inputs.currency if money else None, clv=inputs.clv if money else None,
        customers_per_review=inputs.customers_per_review, reviews=risk["reviews"], rates=items, at_risk=risk,
        fix=fix, drivers=_drivers(features, brand), assumptions=_assumptions(inputs, tag), tag_quality=tag,
        status=status, notes=notes,
    )  # fmt: skip


def _drivers(features: pd.DataFrame, brand: str, top: int = 5) -> list[dict[str, Any]]:
    """The loyalty drivers of the brand: per outcome, the features that explain most of it among those whose 95%
    interval excludes zero, with the change in the outcome's probability (on 0..1) and its interval."""
    from ._sections import driver_label

    mine = features[(features["brand"].astype(str) == brand) & (features["status"] == "ok")]
    clear = (mine["coef_low"] > 0) | (mine["coef_high"] < 0)  # the interval leaves out "no association"
    out = []
    for target in DRIVER_TARGETS:
        rows = mine[(mine["target"] == target) & clear].sort_values("importance", ascending=False).head(top)
        out += [{"target": target, "outcome": SIGNAL_LABELS[target], "feature": str(r["feature"]),
                 "label": driver_label(str(r["category"]), str(r["sign"])), "mentions": int(r["mentions"]),
                 "importance_share": num(r["importance_share"]), "effect": num(r["coef"]),
                 "effect_low": num(r["coef_low"]), "effect_high": num(r["coef_high"])}
                for _, r in rows.iterrows()]  # fmt: skip
    return out


def _assumptions(inputs: ValueInputs, tag: dict[str, Any] | None) -> list[str]:
    out = [
        "At risk: a review saying the customer will leave or warning others (either counts once).",
        *inputs.assumptions(),
    ]
    if tag is None:
        out.append("Loyalty tags taken as they are: no measured precision/recall for this model, so the interval "
                   "covers sampling only.")  # fmt: skip
    else:
        out.append(f"Counts corrected for the tagger's measured precision {tag['precision']:.0%} and recall "
                   f"{tag['recall']:.0%} (x{tag['factor']}; {tag['source']}); the interval includes their "
                   "uncertainty and assumes they hold in every group of reviews.")  # fmt: skip
    out.append("Per category: associated with, not caused by. 'Usual level' is the brand's complaint share in the "
               "period before; the best competitor is the compared brand with the lowest share. Categories overlap: "
               "do not add their figures.")  # fmt: skip
    return out


def worth_summary(worth: Worth | None, top: int = 3) -> dict[str, Any] | None:
    """The section in brief for summary.json: the value at risk with its interval, its inputs and the top fixes."""
    if worth is None:
        return None
    data = asdict(worth)
    rates = {r["signal"]: {"rate": r["rate"], "previous_rate": r["previous_rate"]} for r in data["rates"]}
    fix = [{k: item[k] for k in ("rank", "category", "name", "fewer_vs_usual", "value_vs_usual", "fewer_vs_best",
                                 "value_vs_best")} for item in data["fix"][:top]]  # fmt: skip
    return {"money": worth.money, "currency": worth.currency, "clv": worth.clv,
            "customers_per_review": worth.customers_per_review, "at_risk": data["at_risk"], "rates": rates,
            "fix_first": fix, "tag_quality": data["tag_quality"]}  # fmt: skip
