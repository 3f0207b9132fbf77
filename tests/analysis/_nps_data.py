"""Synthetic survey responses with a planted effect, as frames and as a real store filled through the CLI.

Planted: a comment complaining about delivery (a negative place_process mention, 25% of responses) comes from a
detractor 75% of the time and a promoter 10% (otherwise 20% / 50%), so its NPS impact is (10 − 75) − (50 − 20)
= −95 points; anger comes with half the detractors' comments and 5% of the others'; praise for people (30%)
is independent of the score.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.columns import SENTENCE_COLUMNS, cat_col, catpol_col, ekman_col
from reviewmine.records import utcnow
from reviewmine.store.db import Store
from reviewmine.store.sentences import AnalysisRow, load_texts, save_analyses
from reviewmine.taxonomy import CATEGORIES, EKMAN_GROUPS, POLARITIES

PLANTED = -95.0
HOSTILE = '<script>alert("nps")</script> | *late* [x](javascript:alert(1))'
VERSION = "nps-test"


def responses(n: int, seed: int, start: str = "2025-01-01", days: int = 180) -> pd.DataFrame:
    """One row per response: id, score (0-10), published_at, source, plan, and the comment's tags."""
    rng = np.random.default_rng(seed)
    delivery = rng.random(n) < 0.25
    u = rng.random(n)
    p_pro, p_det = np.where(delivery, 0.10, 0.50), np.where(delivery, 0.75, 0.20)
    group = np.where(u < p_pro, "promoter", np.where(u < p_pro + p_det, "detractor", "passive"))
    score = np.select([group == "promoter", group == "passive"], [rng.integers(9, 11, n), rng.integers(7, 9, n)],
                      rng.integers(0, 7, n))  # fmt: skip
    when = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    return pd.DataFrame({
        "id": [f"r{seed}-{i}" for i in range(n)], "score": score, "published_at": when,
        "source": np.where(rng.random(n) < 0.5, "email", "app"), "plan": np.where(rng.random(n) < 0.4, "free", "pro"),
        "delivery": delivery, "anger": rng.random(n) < np.where(group == "detractor", 0.5, 0.05),
        "people": rng.random(n) < 0.3,
    })  # fmt: skip


def _comment(row: pd.Series, hostile: bool = False) -> str:
    if row["delivery"]:
        return HOSTILE if hostile else "The delivery came a week late."
    return "Friendly staff." if row["people"] else "It works."


def frames(rows: pd.DataFrame, brand: str = "Acme", scale: tuple[float, float] = (0, 10)) -> tuple[pd.DataFrame, ...]:
    """(sentences, reviews) as the store would return them: one tagged sentence per comment."""
    keys = "survey:" + rows["id"]
    reviews = pd.DataFrame({
        "review_key": keys, "brand": brand, "source": rows["source"], "published_at": rows["published_at"],
        "rating": rows["score"].astype(float), "rating_min": float(scale[0]), "rating_max": float(scale[1]),
        "rating_normalised": (rows["score"] - scale[0]) / (scale[1] - scale[0]), "url": None,
        "extra": [json.dumps({"plan": p}) for p in rows["plan"]],
    })  # fmt: skip
    sentences = pd.DataFrame({
        "review_key": keys, "brand": brand, "source": rows["source"], "published_at": rows["published_at"],
        "rating_normalised": reviews["rating_normalised"], "model_version": VERSION, "sentence_idx": 0,
        "text": [_comment(r) for _, r in rows.iterrows()],
        "polarity": np.where(rows["delivery"], "negative", np.where(rows["people"], "positive", "neutral")),
        "score": np.where(rows["delivery"], -0.9, np.where(rows["people"], 0.8, 0.0)),
    })  # fmt: skip
    for c in CATEGORIES:
        polarity = pd.Series(pd.NA, index=rows.index, dtype=object)
        if c == "place_process":
            polarity[rows["delivery"]] = "negative"
        if c == "people":
            polarity[rows["people"] & ~rows["delivery"]] = "positive"
        sentences[catpol_col(c)], sentences[cat_col(c)] = polarity, polarity.notna()
    for column in SENTENCE_COLUMNS:
        if column not in sentences.columns:
            sentences[column] = False
    sentences[ekman_col("anger")] = rows["anger"].to_numpy()
    return sentences[list(SENTENCE_COLUMNS)], reviews


# -- a real store, filled through `reviewmine import` --------------------------------------------------------


def import_survey(db: str, rows: pd.DataFrame, tmp: Path, *, brand: str = "Acme", stars: bool = False,
                  hostile: bool = False) -> None:  # fmt: skip
    """Write ``rows`` as a survey CSV, import it with the CLI (``--rating-scale 0-10``, or 1-5 with the scores
    squeezed onto stars when ``stars``) as source "survey", then store one tagged sentence per comment."""
    path = tmp / f"survey-{brand}-{'stars' if stars else 'nps'}.csv"
    scores = (1 + rows["score"] * 4 // 10) if stars else rows["score"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment", "score", "date", "plan"])
        for (_, r), score in zip(rows.iterrows(), scores, strict=True):
            writer.writerow([r["id"], _comment(r, hostile), int(score), r["published_at"].strftime("%Y-%m-%d"),
                             r["plan"]])  # fmt: skip
    scale = "1-5" if stars else "0-10"
    result = CliRunner().invoke(app, ["import", str(path), "-b", brand, "-s", "survey", "--rating-scale", scale,
                                      "--extra", "plan", "-q", "--db", db])  # fmt: skip
    assert result.exit_code == 0, result.output
    _tag(db, rows)


def _tag(db: str, rows: pd.DataFrame) -> None:
    """One sentence per comment with the planted tags, as `reviewmine analyze` would store them."""
    cats, ekman = list(CATEGORIES), list(EKMAN_GROUPS)
    keys = ["survey:" + i for i in rows["id"]]
    with Store(db) as store, store.write() as conn:
        found = load_texts(conn, store, keys)
        analyses, tags = [], []
        for key, (_, r) in zip(keys, rows.iterrows(), strict=True):
            categories = polarity = 0
            pol = "neutral"
            if r["delivery"]:
                i = cats.index("place_process")
                categories, polarity, pol = 1 << i, (POLARITIES.index("negative") + 1) << (2 * i), "negative"
            elif r["people"]:
                i = cats.index("people")
                categories, polarity, pol = 1 << i, (POLARITIES.index("positive") + 1) << (2 * i), "positive"
            emotions_group = 1 << ekman.index("anger") if r["anger"] else 1 << ekman.index("neutral")
            text = found[key]["body"]
            score = {"negative": -0.9, "positive": 0.8}.get(pol, 0.0)
            analyses.append(AnalysisRow(key, found[key]["content_hash"], "ok", "en", score, pol, {}))
            tags.append((key, 0, text, POLARITIES.index(pol), score, categories, polarity, 0, emotions_group, 0))
        save_analyses(conn, VERSION, utcnow(), analyses, tags)


AS_OF = datetime(2025, 7, 1, tzinfo=UTC)
"""Reports end here: 90 days back is 2 Apr 2025, the period before starts 2 Jan 2025."""


def report_rows(seed: int = 7) -> pd.DataFrame:
    """360 responses in the 90 days before `AS_OF` and 120 in the 90 days before those."""
    return pd.concat([responses(360, seed, "2025-04-03", 88), responses(120, seed + 1, "2025-01-03", 88)],
                     ignore_index=True)  # fmt: skip
