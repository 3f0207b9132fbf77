"""How the "What it is worth" section reads: Markdown lines, the numbers' wording for the HTML partial
(templates/_worth.html.j2) and its chart (what to fix, by the value or customers associated with it).

Money is written as "EUR 12,300" (the ISO code, never a guessed symbol); without a CLV nothing here mentions money.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _format

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .model import ReportModel
    from .worth import FixItem, Worth

__all__ = ["amount", "band_text", "worth_chart", "worth_markdown"]

_DASH = "–"


def amount(value: float | None, currency: str | None = None, digits: int | None = None) -> str:
    """``EUR 12,300`` (money, whole units) or ``12.5`` (customers: one decimal below 10, unless ``digits``)."""
    if value is None:
        return _DASH
    if currency:
        return f"{currency} {value:,.0f}".replace("-", "−")
    places = digits if digits is not None else 1 if abs(value) < 10 else 0
    return f"{value:,.{places}f}".replace("-", "−")


def band_text(band: dict[str, float | None] | None, currency: str | None = None) -> str:
    """``EUR 12,300 (95%: 8,100 to 17,000)``."""
    if not band or band.get("value") is None:
        return _DASH
    low, high = band.get("low"), band.get("high")
    if low is None or high is None:
        return amount(band["value"], currency)
    places = 0 if currency or abs(band["value"]) >= 10 else 1  # the bounds as precise as the figure
    return f"{amount(band['value'], currency)} (95%: {amount(low, None, places)} to {amount(high, None, places)})"


def points(value: float | None) -> str:
    """A change in probability on 0..1 as signed percentage points."""
    return _DASH if value is None else f"{value * 100:+.1f} pts".replace("-", "−")


def fix_gain(item: FixItem, worth: Worth) -> tuple[str, str]:
    """The two counterfactual figures of a fix item as text: vs the usual level, vs the best competitor."""
    if worth.money:
        return band_text(item.value_vs_usual, worth.currency), band_text(item.value_vs_best, worth.currency)
    return band_text(item.fewer_vs_usual), band_text(item.fewer_vs_best)


def at_risk_text(worth: Worth) -> str:
    """The headline figure: value at risk (or customers at risk without a CLV), with its interval."""
    risk = worth.at_risk
    if not risk.get("customers"):
        return _DASH
    if worth.money:
        return band_text(risk["value"], worth.currency)
    return band_text(risk["customers"])


def worth_markdown(worth: Worth | None) -> list[str]:
    """The section as Markdown lines (none without a section)."""
    from .markdown import _table, md_escape

    if worth is None:
        return []
    who = "customers" if worth.customers_per_review != 1 else "reviewers"
    out = ["## What it is worth", ""]
    if not worth.reviews:
        return [*out, "No reviews in the period.", ""]
    risk = worth.at_risk
    head = "Value at risk" if worth.money else f"{who.capitalize()} at risk"
    out += [f"**{head}: {at_risk_text(worth)}**: {risk['at_risk_reviews']} of {risk['reviews']} reviews say the "
            "customer will leave or warn others" + (f"; {band_text(risk['customers'])} {who}" if worth.money else "")
            + ".", ""]  # fmt: skip
    out += _table(["Loyalty signal", "Share of reviews", "95% range", "Period before"], [
        [r.label, _format.pct(r.rate, 1), f"{_format.pct(r.rate_low, 1)} to {_format.pct(r.rate_high, 1)}",
         _format.pct(r.previous_rate, 1)] for r in worth.rates
    ])  # fmt: skip
    if worth.fix:
        unit = f"value ({worth.currency})" if worth.money else f"fewer {who} at risk"
        out += [f"**What to fix first**, by the {unit} associated with complaints falling to a reference level:", ""]
        out += _table(["#", "Complaints about", "Share now", "Usual", "Best competitor", "At-risk effect",
                       "If back to usual", "If at best competitor"], [
            [str(i.rank), md_escape(i.name), _format.pct(i.complaint_share), _format.pct(i.usual_share),
             f"{md_escape(i.best_competitor or _DASH)} {_format.pct(i.best_share)}",
             f"{points(i.effect)} ({points(i.effect_low)} to {points(i.effect_high)})", *fix_gain(i, worth)]
            for i in worth.fix
        ])  # fmt: skip
    if worth.drivers:
        out += _table(["Loyalty driver", "Outcome", "Change in probability", "95% range", "Mentions"], [
            [md_escape(d["label"]), d["outcome"], points(d["effect"]),
             f"{points(d['effect_low'])} to {points(d['effect_high'])}", str(d["mentions"])]
            for d in worth.drivers
        ])  # fmt: skip
    out += [f"- {md_escape(n)}" for n in worth.notes]
    out += [f"- {md_escape(a)}" for a in worth.assumptions] + [""]
    return out


def worth_chart(model: ReportModel) -> dict[str, str]:
    """The section's chart as SVG by name ("worth"), when there is something to rank."""
    from .charts import figure_svg

    worth = model.worth
    if worth is None or not worth.fix:
        return {}
    what = "value" if worth.money else "at-risk customers"
    return {"worth": figure_svg(_fix_figure(worth), "worth", f"What to fix first for {model.brand}, by {what}")}


def _fix_figure(worth: Worth) -> Figure:
    """Horizontal bars per category: the gain if complaints fell to the usual level and to the best competitor's,
    with 95% whiskers; the first-ranked category on top."""
    import numpy as np

    from ..plots import BRAND_COLOURS, COLOURS, _figure, _style

    items = worth.fix[::-1]
    key = "value" if worth.money else "fewer"
    series: list[tuple[str, str, list[dict[str, Any]]]] = [
        ("Complaints back to usual", BRAND_COLOURS[0], [getattr(i, f"{key}_vs_usual") or {} for i in items]),
        ("Complaints at best competitor's", COLOURS["volume"], [getattr(i, f"{key}_vs_best") or {} for i in items]),
    ]
    with _style():
        fig = _figure(6.5, 0.55 * len(items) + 1.2)
        ax = fig.subplots()
        y = np.arange(len(items))
        for n, (label, colour, bands) in enumerate(series):
            mid = np.array([np.nan if b.get("value") is None else b["value"] for b in bands], dtype=float)
            low = np.array([np.nan if b.get("low") is None else b["low"] for b in bands], dtype=float)
            high = np.array([np.nan if b.get("high") is None else b["high"] for b in bands], dtype=float)
            pos = y + (0.2 if n == 0 else -0.2)
            ax.barh(pos, np.nan_to_num(mid), height=0.38, color=colour, label=label)
            err = np.vstack([np.clip(mid - low, 0, None), np.clip(high - mid, 0, None)])
            if np.isfinite(err).any():
                ax.errorbar(np.nan_to_num(mid), pos, xerr=np.nan_to_num(err), fmt="none", ecolor=COLOURS["ink"],
                            capsize=2, lw=0.8)  # fmt: skip
        ax.set_yticks(y, [i.name for i in items])
        ax.grid(axis="y", visible=False)
        unit = f"{worth.currency}" if worth.money else "customers"
        ax.set_xlabel(f"Fewer at risk, associated ({unit}; whiskers: 95% interval)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(items) < 4 else -0.15), fontsize=8,
                  ncols=2)  # fmt: skip
        ax.set_title("What to fix first: at-risk " + ("value" if worth.money else "customers") + " by category")
    return fig
