"""The report's Net Promoter Score block (analysis/nps.py), in its own module and template partial (_nps.html.j2)
so other sections grow beside it without touching it.

The block exists only where the brand has survey responses (0-10 scores) in the period or the period before;
otherwise ``ReportModel.nps`` is null and no format says anything about NPS. Quotes come from the comments of
the responses, escaped by the renderers like every review text, and carry the 0-10 score, never stars.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import catpol_col, ekman_col
from ._sections import driver_label
from ._values import num
from .model import NpsBlock, NpsDriver, Quote

if TYPE_CHECKING:
    import pandas as pd

    from ._periods import PeriodFrames
    from ._sections import ReviewInfo

__all__ = ["NpsBlock", "NpsDriver", "nps_block", "nps_markdown", "nps_summary"]

TOP_DRIVERS = 3


def _overall(reviews: pd.DataFrame | None, by: str | None = None) -> pd.DataFrame:
    from ..analysis.nps import compute_nps

    return compute_nps(reviews, period="all", by=by, min_responses=1)


def nps_block(frames: PeriodFrames, brand: str, info: ReviewInfo, resamples: int = 200) -> NpsBlock | None:
    """The NPS block of ``brand``, or None where it has no survey responses in the period or the one before."""
    from scipy import stats

    from ..analysis.nps import MIN_RESPONSES, compute_nps_drivers, nps_variance, survey_responses

    def mine(frame: pd.DataFrame | None) -> pd.DataFrame:
        return survey_responses(None if frame is None else frame[frame["brand"].astype(str) == brand])

    now, before = mine(frames.current.reviews), mine(frames.previous.reviews)
    if now.empty and before.empty:
        return None
    cur, prev = _counts(now), _counts(before)
    ok, prev_ok = cur["n"] >= MIN_RESPONSES, prev["n"] >= MIN_RESPONSES
    change = change_low = change_high = None
    note = None
    if ok and prev_ok:
        change = cur["nps"] - prev["nps"]
        variance = sum(float(nps_variance(np.array([c["p"]]), np.array([c["d"]]), np.array([c["n"]]))[0])
                       for c in (cur, prev))  # fmt: skip
        half = float(stats.norm.ppf(0.975) * 100 * np.sqrt(variance))
        change, change_low, change_high = num(change, 1), num(change - half, 1), num(change + half, 1)
    elif ok:
        note = f"fewer than {MIN_RESPONSES} responses in the period before ({prev['n']}): no change shown"
    segments = []
    table = _overall(now, "source")
    for _, r in table[table["segment_by"] == "source"].iterrows():
        enough = int(r["responses"]) >= MIN_RESPONSES
        segments.append({"source": str(r["segment"]), "responses": int(r["responses"]),
                         "nps": num(r["nps"], 1) if enough else None, "low": num(r["nps_low"], 1) if enough else None,
                         "high": num(r["nps_high"], 1) if enough else None})  # fmt: skip
    block = NpsBlock(
        responses=cur["n"], promoters=cur["p"], passives=cur["pa"], detractors=cur["d"],
        nps=num(cur["nps"], 1) if ok else None, low=num(cur["low"], 1) if ok else None,
        high=num(cur["high"], 1) if ok else None, status="ok" if ok else "too few responses",
        min_responses=MIN_RESPONSES, previous_responses=prev["n"],
        previous_nps=num(prev["nps"], 1) if prev_ok else None, change=change, change_low=change_low,
        change_high=change_high, change_note=note, segments=segments,
    )  # fmt: skip
    if now.empty:
        return block
    sentences = frames.current.sentences
    sentences = sentences[sentences["review_key"].isin(now["review_key"])]
    drivers = compute_nps_drivers(sentences, now, resamples=resamples)
    if len(drivers.models):
        block.drivers_responses = int(drivers.models["responses"].iloc[0])
        statuses = set(drivers.models["status"])
        block.drivers_status = "ok" if "ok" in statuses else sorted(statuses)[0]
    ok_rows = drivers.features[drivers.features["status"] == "ok"].sort_values("importance", ascending=False)
    groups = now.set_index("review_key")["score"]
    for rank, (_, r) in enumerate(ok_rows.iterrows()):
        quotes = _quotes(sentences, r, groups, info) if rank < TOP_DRIVERS else []
        block.drivers.append(NpsDriver(
            feature=str(r["feature"]), family=str(r["family"]), label=_label(r), mentions=int(r["mentions"]),
            importance=num(r["importance"]), importance_share=num(r["importance_share"]), impact=num(r["coef"], 1),
            impact_low=num(r["coef_low"], 1), impact_high=num(r["coef_high"], 1), nps_with=num(r["nps_with"], 1),
            nps_without=num(r["nps_without"], 1), quotes=quotes,
        ))  # fmt: skip
    return block


def _counts(responses: pd.DataFrame) -> dict[str, Any]:
    """Counts and NPS with its interval over all ``responses``."""
    table = _overall(responses)
    if table.empty:
        return {"n": 0, "p": 0, "pa": 0, "d": 0, "nps": np.nan, "low": np.nan, "high": np.nan}
    r = table.iloc[0]
    return {"n": int(r["responses"]), "p": int(r["promoters"]), "pa": int(r["passives"]), "d": int(r["detractors"]),
            "nps": float(r["nps"]), "low": float(r["nps_low"]), "high": float(r["nps_high"])}  # fmt: skip


def _label(r: pd.Series) -> str:
    if r["family"] == "category":
        return driver_label(str(r["category"]), str(r["sign"]))
    return f"{str(r['emotion']).capitalize()} in the comment"


def _quotes(sentences: pd.DataFrame, r: pd.Series, scores: pd.Series, info: ReviewInfo, k: int = 2) -> list[Quote]:
    """The ``k`` clearest comment sentences with the feature, from detractors when it lowers the NPS, promoters
    when it raises it; each says the response's 0-10 score instead of stars."""
    if r["family"] == "category":
        rows = sentences[sentences[catpol_col(str(r["category"]))] == r["sign"]]
    else:
        rows = sentences[sentences[ekman_col(str(r["emotion"]))].to_numpy(dtype=bool, na_value=False)]
    lowers = float(r["coef"]) < 0
    score = scores.reindex(rows["review_key"]).to_numpy(dtype=float)
    rows = rows[(score <= 6) if lowers else (score >= 9)]
    order = np.argsort(rows["score"].astype(float).to_numpy() * (1 if lowers else -1), kind="stable")
    picked = rows.iloc[order].drop_duplicates("review_key").head(k)
    out = []
    for key, text in zip(picked["review_key"], picked["text"], strict=True):
        value = float(scores[key])
        why = f"{'detractor' if value <= 6 else 'promoter'}, scored {value:g}/10"
        out.append(replace(info.quote(key, text, why), stars=None))
    return out


def nps_summary(block: NpsBlock) -> dict[str, Any]:
    """The block in brief for a scheduled run's summary.json (no quotes): the numbers and the top drivers."""
    keys = ("responses", "promoters", "passives", "detractors", "nps", "low", "high", "status", "previous_responses",
            "previous_nps", "change", "change_low", "change_high")  # fmt: skip
    top = [{"feature": d.feature, "label": d.label, "impact": d.impact, "impact_low": d.impact_low,
            "impact_high": d.impact_high} for d in block.drivers[:TOP_DRIVERS]]  # fmt: skip
    return {key: getattr(block, key) for key in keys} | {"drivers": top}


def nps_markdown(block: NpsBlock | None) -> list[str]:
    """The block as Markdown lines (none when the brand has no survey data)."""
    from . import _format
    from .markdown import md_escape

    def quote(q: Quote) -> str:
        meta = " · ".join(p for p in (md_escape(q.why), md_escape(q.source or ""), _format.day(q.published_at)) if p)
        return f"> “{md_escape(q.text)}”  \n> <sub>{meta}</sub>\n"

    if block is None:
        return []
    out = ["## Net Promoter Score", ""]
    counts = (f"{block.responses} survey responses scored 0-10: {block.promoters} promoters (9-10), "
              f"{block.passives} passives, {block.detractors} detractors (0-6).")  # fmt: skip
    if block.nps is None:
        out += [f"{counts} Fewer than {block.min_responses} responses: counts only.", ""]
    else:
        out += [f"**NPS {_format.signed(block.nps)}** (95% range {_format.signed(block.low)} to "
                f"{_format.signed(block.high)}). {counts}", ""]  # fmt: skip
    if block.change is not None:
        out += [f"Vs period before: {_format.signed(block.change)} points (was {_format.signed(block.previous_nps)}; "
                f"95% range of the change {_format.signed(block.change_low)} to "
                f"{_format.signed(block.change_high)}).", ""]  # fmt: skip
    elif block.change_note:
        out += [f"Vs period before: {md_escape(block.change_note)}.", ""]
    if len(block.segments) > 1:
        out += ["| Source | Responses | NPS | 95% range |", "|---|---|---|---|"]
        out += [f"| {md_escape(s['source'])} | {s['responses']} | {_format.signed(s['nps'])} | "
                f"{_format.signed(s['low'])} to {_format.signed(s['high'])} |" for s in block.segments]  # fmt: skip
        out.append("")
    top = block.drivers[:TOP_DRIVERS]
    if top:
        out += ["| What the comment holds | Impact (NPS points) | 95% range | NPS with / without | Responses |",
                "|---|---|---|---|---|"]  # fmt: skip
        out += [f"| {md_escape(d.label)} | {_format.signed(d.impact)} | {_format.signed(d.impact_low)} to "
                f"{_format.signed(d.impact_high)} | {_format.signed(d.nps_with)} / {_format.signed(d.nps_without)} | "
                f"{d.mentions} |" for d in top]  # fmt: skip
        out.append("")
        for d in top:
            out += [f"**{md_escape(d.label)}**", ""] + [quote(q) for q in d.quotes]
    elif block.responses:
        out += [f"What drives it not estimated: {md_escape(block.drivers_status)} ({block.drivers_responses} "
                "responses with tagged comments; 100 needed).", ""]  # fmt: skip
    return out
