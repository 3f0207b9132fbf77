"""Risk events: brand x category x week tests against the trailing baseline, false discoveries controlled by
Benjamini-Hochberg over every test in the call, each event with its most representative sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._prepare import NEG, SCOPES, Prepared, period_start, to_timestamps
from ._risk_settings import RiskSettings
from ._weekly import baseline_rate, lag, rolling_sum
from .stats import bh_qvalues, count_excess_pvalue, share_shift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EVENT_COLUMNS", "EVENT_KINDS", "find_events"]

EVENT_KINDS: dict[str, str] = {  # kind -> unit of its size
    "negative_share": "share points",  # size: rise of the share of reviews with a negative mention
    "negative_volume": "ratio",  # size: reviews with a negative mention / expected
    "volume": "ratio",  # size: reviews (mentioning the category) / expected
}
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "brand", "category", "kind", "period_start", "period_end", "size", "unit", "value", "baseline",
    "reviews", "p_value", "q_value", "examples",
)  # fmt: skip
_SNIPPET = 240


@dataclass
class _Tests:
    """One kind of test over many brand x scope x week cells, and which of them are large enough to report."""

    kind: str
    cells: tuple[np.ndarray, np.ndarray, np.ndarray]  # brand, scope, week indices
    size: np.ndarray
    value: np.ndarray
    baseline: np.ndarray
    reviews: np.ndarray
    pvalue: np.ndarray
    large: np.ndarray


def _tests(counts: dict[str, np.ndarray], eligible: np.ndarray, settings: RiskSettings) -> list[_Tests]:
    """Every test of every kind on the eligible cells."""
    n, neg = counts["n"], counts["neg"]
    base = settings.baseline_weeks
    base_n, base_neg = lag(rolling_sum(n, base), 1), lag(rolling_sum(neg, base), 1)
    cells = np.nonzero(eligible & (n >= settings.min_reviews) & (base_n >= settings.min_baseline))
    diff, _, p = share_shift(neg[cells], n[cells], base_neg[cells], base_n[cells])
    out = [
        _Tests("negative_share", cells, diff, neg[cells] / n[cells], base_neg[cells] / base_n[cells], n[cells], p,
               diff >= settings.min_shift)
    ]  # fmt: skip
    for kind, x in (("negative_volume", neg), ("volume", counts["volume"])):
        mean, var = baseline_rate(x, base)
        # Every cell with a baseline enters the family; the count minimum only filters events afterwards.
        cells = np.nonzero(eligible & ~np.isnan(mean))
        count, mu = x[cells], mean[cells]
        p = count_excess_pvalue(count, mu, var[cells] * (1 + 1 / base))
        large = (count >= settings.min_count) & (count / mu >= settings.min_ratio)
        out.append(_Tests(kind, cells, count / mu, count, mu, count, p, large))
    return out


def find_events(
    data: Prepared,
    week_days: np.ndarray,
    first_week: np.ndarray,
    counts: dict[str, np.ndarray],
    settings: RiskSettings,
    now: int,
) -> pd.DataFrame:
    """Events (``EVENT_COLUMNS``) in weeks up to ``now`` with a full baseline of the brand's own history."""
    import pandas as pd

    counts = {k: v[..., : now + 1] for k, v in counts.items()}
    n_w = counts["n"].shape[-1]
    eligible = np.arange(n_w)[None, None, :] >= (first_week + settings.baseline_weeks)[:, None, None]
    tests = _tests(counts, eligible, settings)
    q = bh_qvalues(np.concatenate([t.pvalue for t in tests]))
    parts, start = [], 0
    for test in tests:
        q_t = q[start : start + len(test.pvalue)]
        start += len(test.pvalue)
        hit = test.large & (q_t <= settings.fdr)
        b, s, w = (axis[hit] for axis in test.cells)
        parts.append(pd.DataFrame({
            "b": b, "s": s, "w": w, "kind": test.kind, "size": test.size[hit], "value": test.value[hit],
            "baseline": test.baseline[hit], "reviews": test.reviews[hit].astype(np.int64),
            "p_value": test.pvalue[hit], "q_value": q_t[hit],
        }))  # fmt: skip
    found = pd.concat(parts, ignore_index=True).sort_values(["q_value", "p_value"], kind="stable")
    found = found.reset_index(drop=True)
    b, s, w = (found[c].to_numpy(dtype=np.int64) for c in ("b", "s", "w"))
    starts = week_days[w] if len(w) else np.zeros(0, dtype=np.int64)
    events = pd.DataFrame({
        "event_id": np.arange(len(found), dtype=np.int64),
        "brand": pd.Categorical.from_codes(b, categories=data.brands),
        "category": pd.Categorical.from_codes(s, categories=list(SCOPES)),
        "kind": pd.Categorical(found["kind"], categories=list(EVENT_KINDS)),
        "period_start": to_timestamps(starts),
        "period_end": to_timestamps(starts + 7),
        "size": found["size"].to_numpy(dtype=float),
        "unit": found["kind"].map(EVENT_KINDS).astype(str).to_numpy(),
        "value": found["value"].to_numpy(dtype=float),
        "baseline": found["baseline"].to_numpy(dtype=float),
        "reviews": found["reviews"].to_numpy(dtype=np.int64),
        "p_value": found["p_value"].to_numpy(dtype=float),
        "q_value": found["q_value"].to_numpy(dtype=float),
    })  # fmt: skip
    events["examples"] = _examples(data, week_days, b, s, w, settings.examples)
    return events[list(EVENT_COLUMNS)]


def _examples(
    data: Prepared, week_days: np.ndarray, b: np.ndarray, s: np.ndarray, w: np.ndarray, k: int
) -> list[list[dict[str, Any]]]:
    """Per event: the ``k`` most negative sentences (distinct reviews) of the category in that brand-week, and
    the most typical negative one (score closest to their median)."""
    if not len(b) or not data.n_sentences:
        return [[] for _ in range(len(b))]
    n_w = len(week_days)
    week_r = (period_start(data.r_day, "W") - week_days[0]) // 7
    review_key = np.where(data.r_has_day, data.r_brand * n_w + week_r, -1)
    s_key = review_key[data.s_review]
    event_key = b * n_w + w
    rows = np.flatnonzero(np.isin(s_key, np.unique(event_key)))
    order = np.lexsort((data.s_score[rows], s_key[rows]))  # by event key, then score ascending
    rows = rows[order]
    keys = s_key[rows]
    texts = data.sentences["text"] if "text" in data.sentences.columns else None
    out = []
    for key, scope in zip(event_key, s, strict=True):
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        cand = rows[lo:hi]
        if scope:
            cand = cand[data.s_cat[cand, scope - 1]]
        negative = cand[data.s_scope_pol(int(scope))[cand] == NEG]
        pool = negative if len(negative) else cand
        picked: list[tuple[int, str]] = []
        seen: set[int] = set()
        for row in pool:  # already sorted by score, most negative first
            if len(picked) == k:
                break
            if data.s_review[row] not in seen:
                seen.add(int(data.s_review[row]))
                picked.append((int(row), "most negative"))
        rest = pool[~np.isin(data.s_review[pool], list(seen))]
        if len(rest) and not np.isnan(data.s_score[rest]).all():
            median = np.nanmedian(data.s_score[pool])
            picked.append((int(rest[np.nanargmin(np.abs(data.s_score[rest] - median))]), "typical"))
        out.append([_example(data, texts, row, why) for row, why in picked])
    return out


def _example(data: Prepared, texts: pd.Series | None, row: int, why: str) -> dict[str, Any]:
    import pandas as pd

    review = data.s_review[row]
    value = None if texts is None else texts.iloc[row]
    text = None if value is None or pd.isna(value) else str(value)
    if text and len(text) > _SNIPPET:
        text = text[: _SNIPPET - 1].rstrip() + "…"
    score = float(data.s_score[row])
    return {
        "review_key": str(data.review_keys[review]),
        "url": None if data.r_url is None else data.r_url[review],
        "text": text,
        "score": None if np.isnan(score) else round(score, 3),
        "why": why,
    }
