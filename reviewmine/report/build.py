"""Assemble the report model for one brand (and competitors) over a period from the aggregator's outputs.

The period is ``[as_of - period, as_of)``; ``as_of`` defaults to midnight after the newest review of the
brands, so a report on an old database still shows its last 90 days. Risk uses the whole history (its
baseline reaches back 16 weeks before the window); KPIs, drivers, emotions and loyalty use the period and are
compared with the period just before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import STATUS_SKIPPED_LANGUAGE, emo_col
from ..errors import InputError
from ._headline import headline
from ._nps import nps_block
from ._periods import PeriodFrames, period_frames, period_metrics
from ._sections import ReviewInfo, driver_label, drivers_section, risk_section
from ._trend import choose_bucket, trend_rows
from ._values import iso, num, stars
from .inputs import as_inputs
from .levels import risk_level
from .model import MIN_CHANGE_BASE, Comparison, Coverage, EmotionItem, Kpi, LoyaltyItem, ReportModel
from .worth import worth_section

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis import Metrics
    from ..analysis.value import ValueInputs

__all__ = ["EMOTION_CALLOUTS", "build_report"]

# The emotions taxonomy.md asks reports to call out, pairs counted together (a sentence with either).
EMOTION_CALLOUTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("disappointment", "Disappointment", ("disappointment",)),
    ("annoyance_anger", "Annoyance / anger", ("annoyance", "anger")),
    ("confusion", "Confusion", ("confusion",)),
    ("fear_nervousness", "Fear / nervousness", ("fear", "nervousness")),
    ("gratitude", "Gratitude", ("gratitude",)),
    ("admiration", "Admiration", ("admiration",)),
)
_SIGNAL_LABELS = {"recommend": "Recommend", "warn": "Warn others", "return": "Will come back", "churn": "Will leave"}


def build_report(
    source: Any,
    brand: str,
    vs: Sequence[str] = (),
    period: str = "90d",
    *,
    as_of: str | datetime | None = None,
    model: str | None = None,
    resamples: int = 200,
    top_events: int = 5,
    value: ValueInputs | None = None,
) -> Any:
    """The `ReportModel` of ``brand`` (vs competitors ``vs``) over ``period`` (a span like 90d, 12w, 6m).

    ``source`` is a `Workspace` (``reviewmine.open(db)``) or the frames (see `report.inputs.as_inputs`);
    ``model`` picks a model version of the sentence tags; ``value`` (`analysis.value.value_inputs`: CLV,
    currency, customers per review) turns the loyalty figures into money. Raises InputError for an unknown brand
    or period.
    """
    from .. import analysis
    from ..analysis.value import tag_quality_for
    from ..timeparse import parse_span, parse_when

    brands = list(dict.fromkeys([brand, *vs]))
    try:
        span = parse_span(period)
        end_at = parse_when(as_of) if as_of is not None else None
    except ValueError as exc:
        raise InputError(str(exc), where="--as-of" if as_of is not None else "--period") from None
    inputs = as_inputs(source, brands, model)
    tagged = set(inputs.sentences["brand"].astype(str).unique())
    if brand not in tagged:
        raise InputError(f"no tagged reviews of {brand!r} (run `reviewmine analyze` first?)", where="--brand")
    missing = [name for name in brands if name not in tagged]  # a competitor without data is left out, said so
    brands = [name for name in brands if name in tagged]
    frames = period_frames(inputs, brands, span, end_at)
    prepared = analysis.prepare(inputs.sentences, inputs.reviews)
    risk = analysis.compute_risk(prepared, as_of=frames.end - timedelta(seconds=1))
    now, before = period_metrics(frames.current), period_metrics(frames.previous)
    drivers = analysis.compute_drivers(frames.current.sentences, frames.current.reviews, targets=("rating",),
                                       resamples=resamples)  # fmt: skip
    info = ReviewInfo(inputs.sentences, inputs.reviews)
    risk_part = risk_section(
        risk.scores, risk.events, brand, frames.start, frames.end, info, top_events, risk.settings.weights
    )
    drivers_part = drivers_section(drivers.features, drivers.models, drivers.quadrant, brand,
                                   frames.current.sentences, info)  # fmt: skip
    kpis = _kpis(now, before, frames, brand)
    coverage = _coverage(inputs, frames, brand)
    bucket = choose_bucket(coverage.reviews_tagged, span.total_seconds() / 86400)  # the reviews the points stand on
    model_obj = ReportModel(
        brand=brand,
        competitors=brands[1:],
        generated_at=iso(datetime.now(UTC)) or "",
        period=_period(frames, span, period),
        headline=headline(brand, risk_part, kpis),
        kpis=kpis,
        risk=risk_part,
        trend=trend_rows(inputs.sentences, inputs.reviews, brand, bucket, frames.start, frames.end),
        trend_bucket=bucket,
        drivers=drivers_part,
        emotions=_emotions(frames, brand),
        ekman=_ekman(now.emotions, before.emotions, brand),
        loyalty=_loyalty(now.loyalty, before.loyalty, brand),
        comparison=[_comparison(name, name == brand, risk.scores, now, frames, drivers.features) for name in brands],
        coverage=coverage,
        nps=nps_block(frames, brand, info, resamples),
        worth=worth_section(frames, brand, value, tag_quality_for(_versions(inputs), model), resamples),
    )
    model_obj.caveats = _caveats(model_obj) + [
        f"No tagged reviews of competitor {name} yet, so it is not compared." for name in missing
    ]
    return model_obj


def _versions(inputs: Any) -> list[str]:
    """The model versions of the tags the report stands on (whose measured quality the value figures use)."""
    column = inputs.sentences.get("model_version")
    return [] if column is None else [str(v) for v in column.dropna().unique()]


def _period(frames: PeriodFrames, span: timedelta, label: str) -> dict[str, Any]:
    return {"start": iso(frames.start), "end": iso(frames.end), "days": span.days, "label": label,
            "previous_start": iso(frames.start - span)}  # fmt: skip


def _row(table: pd.DataFrame, brand: str, **where: str) -> pd.Series | None:
    mask = table["brand"].astype(str) == brand
    for column, value in where.items():
        mask &= table[column].astype(str) == value
    rows = table[mask]
    return rows.iloc[0] if len(rows) else None


def _kpi(key: str, label: str, unit: str, good: str, now: Any, before: Any, low: Any = None, high: Any = None) -> Kpi:
    value, previous = num(now), num(before)
    change = None if value is None or previous is None else round(value - previous, 4)
    return Kpi(key, label, value, num(low), num(high), previous, change, unit, good)


def _kpis(now: Metrics, before: Metrics, frames: PeriodFrames, brand: str) -> list[Kpi]:
    cur, prev = _row(now.sentiment, brand, category="all"), _row(before.sentiment, brand, category="all")

    def get(row: pd.Series | None, column: str) -> Any:
        return None if row is None else row[column]

    neg_now, neg_low, neg_high = frames.current.negative_reviews(brand)
    neg_before = frames.previous.negative_reviews(brand)[0]
    base = get(prev, "reviews")
    kpis = [
        _kpi("reviews", "Reviews", "count", "neither", get(cur, "reviews"), get(prev, "reviews")),
        _kpi("rating", "Average rating", "stars", "up", stars(get(cur, "rating_mean")), stars(get(prev, "rating_mean")),
             stars(get(cur, "rating_low")), stars(get(cur, "rating_high"))),
        _kpi("net_sentiment", "Net sentiment", "net", "up", get(cur, "net_sentiment"), get(prev, "net_sentiment"),
             get(cur, "net_low"), get(cur, "net_high")),
        _kpi("negative_reviews", "Negative reviews", "share", "down", neg_now, neg_before, neg_low, neg_high),
    ]  # fmt: skip
    return [_on_base(kpi, 0 if base is None else int(base)) for kpi in kpis]


def _on_base(kpi: Kpi, base: int) -> Kpi:
    """Judge the KPI's change by its base, the reviews in the period before: below `MIN_CHANGE_BASE` a change
    (and above all a percentage) would mostly show the smallness of the base, so the values are compared."""
    kpi.previous_reviews = base
    if kpi.change is None:
        kpi.change_note = "no reviews in the period before" if base == 0 else "no value in the period before"
    elif base < MIN_CHANGE_BASE:
        kpi.change_note = (f"only {base} review{'' if base == 1 else 's'} in the period before, fewer than the "
                           f"{MIN_CHANGE_BASE} a change is shown from: compare the values")  # fmt: skip
    elif kpi.unit == "count" and kpi.previous:
        kpi.change_pct = num(100 * kpi.change / kpi.previous, 1)
    return kpi


def _emotions(frames: PeriodFrames, brand: str) -> list[EmotionItem]:
    from ..analysis.stats import wilson_interval

    def counts(sentences: pd.DataFrame, emotions: tuple[str, ...]) -> tuple[int, int]:
        mine = sentences[sentences["brand"].astype(str) == brand]
        hit = np.zeros(len(mine), dtype=bool)
        for emotion in emotions:
            hit |= mine[emo_col(emotion)].to_numpy(dtype=bool, na_value=False)
        return int(hit.sum()), len(mine)

    items = []
    for key, label, emotions in EMOTION_CALLOUTS:
        count, total = counts(frames.current.sentences, emotions)
        prev_count, prev_total = counts(frames.previous.sentences, emotions)
        low, high = wilson_interval(np.array([count]), np.array([total]))
        items.append(EmotionItem(
            key, label, list(emotions), count, total, num(count / total) if total else None, num(low[0]),
            num(high[0]), num(prev_count / prev_total) if prev_total else None,
        ))  # fmt: skip
    return items


def _ekman(now: pd.DataFrame, before: pd.DataFrame, brand: str) -> list[dict[str, Any]]:
    """The Ekman mix of the brand's sentences in the period, with the previous period's shares."""

    def rows(table: pd.DataFrame) -> pd.DataFrame:
        mask = (table["brand"].astype(str) == brand) & (table["category"].astype(str) == "all")
        return table[mask & (table["level"] == "ekman")].set_index("label")

    cur, prev = rows(now), rows(before)
    return [{"label": str(label), "count": int(r["count"]), "sentences": int(r["sentences"]),
             "share": num(r["share"]), "share_low": num(r["share_low"]), "share_high": num(r["share_high"]),
             "previous_share": num(prev["share"].get(label)) if len(prev) else None}
            for label, r in cur.iterrows()]  # fmt: skip


def _loyalty(now: pd.DataFrame, before: pd.DataFrame, brand: str) -> list[LoyaltyItem]:
    items = []
    for signal, label in _SIGNAL_LABELS.items():
        cur, prev = _row(now, brand, category="all", signal=signal), _row(before, brand, category="all", signal=signal)
        items.append(LoyaltyItem(
            signal, label, int(cur["count"]) if cur is not None else 0, int(cur["reviews"]) if cur is not None else 0,
            num(cur["rate"]) if cur is not None else None, num(cur["rate_low"]) if cur is not None else None,
            num(cur["rate_high"]) if cur is not None else None, num(prev["rate"]) if prev is not None else None,
        ))  # fmt: skip
    return items


def _comparison(
    brand: str, main: bool, scores: pd.DataFrame, now: Metrics, frames: PeriodFrames, features: pd.DataFrame
) -> Comparison:
    risk = _row(scores, brand, category="all")
    cur = _row(now.sentiment, brand, category="all")
    rec, churn = (_row(now.loyalty, brand, category="all", signal=s) for s in ("recommend", "churn"))
    ok = features[(features["brand"].astype(str) == brand) & (features["status"] == "ok")]
    top = ok.sort_values("importance_share", ascending=False).head(1)
    score = num(risk["score"], 1) if risk is not None else None
    return Comparison(
        brand=brand, main=main, reviews=int(cur["reviews"]) if cur is not None else 0, risk_score=score,
        risk_level=risk_level(score).name, net_sentiment=num(cur["net_sentiment"]) if cur is not None else None,
        rating_stars=stars(cur["rating_mean"]) if cur is not None else None,
        negative_share=num(frames.current.negative_reviews(brand)[0]),
        recommend_rate=num(rec["rate"]) if rec is not None else None,
        churn_rate=num(churn["rate"]) if churn is not None else None,
        top_driver=driver_label(str(top["category"].iloc[0]), str(top["sign"].iloc[0])) if len(top) else None,
        top_driver_stars=num(top["coef_stars"].iloc[0], 2) if len(top) else None,
    )  # fmt: skip


def _coverage(inputs: Any, frames: PeriodFrames, brand: str) -> Coverage:
    from ..analysis import compute_coverage

    table = compute_coverage(inputs.runs, inputs.reviews)
    sources = [
        {"brand": str(r["brand"]), "source": str(r["source"]), "locators": int(r["locators"]), "runs": int(r["runs"]),
         "last_run_at": iso(r["last_run_at"]), "last_status": _text(r["last_status"]),
         "expected": num(r["expected"], 0), "fetched_last": num(r["fetched_last"], 0), "stored": int(r["stored"]),
         "coverage": num(r["coverage"])}
        for _, r in table.iterrows()
    ]  # fmt: skip
    sentences = inputs.sentences[inputs.sentences["brand"].astype(str) == brand]
    published = sentences["published_at"]
    if inputs.reviews is not None:
        published = inputs.reviews.loc[inputs.reviews["brand"].astype(str) == brand, "published_at"]
    current = frames.current
    in_period = current.sentences[current.sentences["brand"].astype(str) == brand]
    reviews_in_period = in_period["review_key"].nunique()
    if current.reviews is not None:
        reviews_in_period = int((current.reviews["brand"].astype(str) == brand).sum())
    return Coverage(
        other_languages=_other_languages(inputs.analyses, brand, frames),
        sources=sources,
        reviews_in_period=int(reviews_in_period),
        reviews_tagged=int(in_period["review_key"].nunique()),
        sentences_in_period=len(in_period),
        first_review=iso(published.min()) if len(published) else None,
        last_review=iso(published.max()) if len(published) else None,
        model_versions=sorted({str(v) for v in inputs.sentences["model_version"].dropna().unique()})
        if "model_version" in inputs.sentences
        else [],
    )


def _other_languages(analyses: pd.DataFrame | None, brand: str, frames: PeriodFrames) -> dict[str, int] | None:
    """Reviews of the brand in the period skipped for their language, per language code, most first (None when
    the report was given no analysis results, so cannot tell)."""
    import pandas as pd

    if analyses is None:
        return None
    missing = [column for column in ("published_at", "status") if column not in analyses.columns]
    if missing:
        raise InputError(f"missing columns {', '.join(missing)} in the analyses frame", where="report input")
    when = pd.to_datetime(analyses["published_at"], utc=True)
    status = analyses["status"].astype(str)
    skipped = ((analyses["brand"].astype(str) == brand) & (when >= frames.start) & (when < frames.end)
               & status.str.startswith(STATUS_SKIPPED_LANGUAGE))  # fmt: skip
    codes = status[skipped].str.removeprefix(STATUS_SKIPPED_LANGUAGE).str.strip()  # "skipped: language fr" -> fr
    if "language" in analyses.columns:
        stored = analyses.loc[skipped, "language"]
        codes = stored.where(stored.notna(), codes)
    counts = codes.astype(str).value_counts()
    return {code: int(n) for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)


def _caveats(report: ReportModel) -> list[str]:
    notes = []
    if not report.risk.enough_data:
        notes.append("Too few reviews in the last weeks to score the risk (20 in the window and 50 before it needed).")
    if report.drivers.status != "ok":
        notes.append(f"Rating drivers not estimated: {report.drivers.status} (100 rated reviews in the period needed).")
    if "demo-truth" in report.coverage.model_versions:
        notes.append("Tags are the demo data's true labels, not model output; its emotions follow a fixed rule.")
    notes.append("Stars assume a 1-5 scale; other scales are mapped onto it. Intervals are 95%.")
    notes.append("Drivers are associations in reviews, not proof of cause.")
    mine = [s for s in report.coverage.sources if s["brand"] == report.brand]
    missing = [s["source"] for s in mine if s["coverage"] is not None and s["coverage"] < 0.9]
    if missing:
        notes.append(f"Fewer than 90% of the reviews the source lists were collected for: {', '.join(missing)}.")
    return notes
