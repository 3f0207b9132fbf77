"""A ready-to-explore demo database: the demo reviews collected over loopback, with sentence tags written in.

Notebooks, report tests and docs need realistic tagged data without waiting for (or depending on) the trained
model. `build_demo_db` serves the demo site on 127.0.0.1, runs the real collectors into a fresh store (so the
runs table and coverage are real), then writes sentence tags: the generator's true labels (``labels="truth"``,
model version ``demo-truth``) or the trained tagger's (``labels="model"``, via `reviewmine analyze`).

The demo keeps no true emotions, so the truth labels derive them from each sentence's polarity, sub-theme and
loyalty signal by the fixed rule in ``_EMOTION_RULE`` (documented in docs/report.md); sentence scores are drawn
around ±0.75 by polarity. Emotion charts built on truth labels show that rule, not a model.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES
from .survey import SURVEY_FILE, import_survey, write_survey_csv

if TYPE_CHECKING:
    from ..store.db import Store
    from ..store.sentences import AnalysisRow, SentenceRow
    from .model import DemoData, DemoReview, Sentence

__all__ = ["TRUTH_VERSION", "DemoDb", "build_demo_db"]

TRUTH_VERSION = "demo-truth"
LABELS = ("truth", "model")

# Emotions of a true-labelled sentence: by (polarity, sub-theme), else by (polarity, loyalty), else by polarity.
_EMOTION_RULE: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("negative", "rude"): ("anger", "annoyance"),
    ("negative", "careless"): ("annoyance",),
    ("negative", "unhelpful"): ("annoyance",),
    ("negative", "delivery_late"): ("annoyance", "disappointment"),
    ("negative", "queue"): ("annoyance",),
    ("negative", "app_crash"): ("annoyance",),
    ("negative", "fees"): ("annoyance",),
    ("negative", "wrong_item"): ("annoyance",),
    ("negative", "cancelled"): ("annoyance", "nervousness"),
    ("negative", "no_updates"): ("confusion", "annoyance"),
    ("negative", "unreachable"): ("annoyance", "nervousness"),
    ("negative", "misleading"): ("confusion", "disappointment"),
    ("negative", "broken_promise"): ("disappointment", "anger"),
    ("negative", "restaurant_dirty"): ("disgust",),
    ("negative", "burnt"): ("disgust", "disappointment"),
    ("negative", "undercooked"): ("disgust", "disappointment"),
    ("negative", "warn"): ("anger", "disapproval"),
    ("negative", None): ("disappointment",),
    ("positive", "driver"): ("gratitude",),
    ("positive", "friendly"): ("gratitude", "admiration"),
    ("positive", "competent"): ("admiration",),
    ("positive", "support"): ("gratitude",),
    ("positive", "responsive"): ("gratitude",),
    ("positive", "delivery_fast"): ("approval", "joy"),
    ("positive", "app_easy"): ("approval",),
    ("positive", "ordering"): ("approval",),
    ("positive", "updates"): ("approval",),
    ("positive", "accurate"): ("approval",),
    ("positive", "deals"): ("joy",),
    ("positive", "recommend"): ("admiration", "love"),
    ("positive", "return"): ("optimism",),
    ("positive", None): ("admiration",),
    ("neutral", None): ("neutral",),
}
_LABELS = {"cat": CATEGORIES, "emo": EMOTIONS, "ekman": tuple(EKMAN_GROUPS), "loy": LOYALTY_SIGNALS}
_BITS = {name: {label: 1 << i for i, label in enumerate(labels)} for name, labels in _LABELS.items()}


@dataclass
class DemoDb:
    """What `build_demo_db` wrote: the database path, the generated data (with its truth) and the model version."""

    path: Path
    data: DemoData
    model_version: str
    reviews: int
    sentences: int


def build_demo_db(
    path: str | os.PathLike[str],
    *,
    labels: str = "truth",
    seed: int = 7,
    scale: float = 1.0,
    model: str | None = None,
    survey: bool = True,
) -> DemoDb:
    """Create a demo database at ``path`` (which must not exist yet) with tagged sentences for every review.

    ``labels="truth"`` writes the generator's own labels (no model needed, a few seconds); ``"model"`` runs the
    trained tagger (``model``: a folder or name, default reviewmine-tagger) as `reviewmine analyze` does. With
    ``survey`` Crustline's NPS survey (survey.py) is imported too, as `reviewmine import --source survey
    --rating-scale 0-10` does, and its comments tagged like the reviews.
    """
    from ..collect import collect
    from ..collectors.registry import get_source
    from ..http import HttpClient, HttpSettings
    from ..store.db import Store
    from .generate import generate_demo
    from .site import DemoSite

    if labels not in LABELS:
        raise InputError(f"unknown labels {labels!r}; use {' or '.join(LABELS)}", where="labels")
    target = Path(path)
    if target.exists():
        raise InputError("already exists; build the demo database into a new file", where=str(target))
    data = generate_demo(seed, scale=scale)
    with Store(target) as store:
        with DemoSite(data) as site, HttpClient(HttpSettings(min_delay=0, max_retries=0)) as http:
            for item in site.targets:
                collector = get_source(item.source)(item.locator, brand=item.brand, base_url=site.base_url)
                result = collect(store, collector, http, full=True)
                if not result.ok:
                    raise InputError("; ".join(result.errors) or "collection failed", where=item.url)
        if survey:
            with tempfile.TemporaryDirectory(prefix="reviewmine-demo-") as folder:
                import_survey(store, write_survey_csv(data, Path(folder) / SURVEY_FILE))
        if labels == "truth":
            version, n_sentences = TRUTH_VERSION, _write_truth(store, data)
        else:
            version, n_sentences = _run_model(store, model)
        n_reviews = store.review_count()
    return DemoDb(target, data, version, n_reviews, n_sentences)


def _run_model(store: Store, model: str | None) -> tuple[str, int]:
    from ..nlp import predictor as make_predictor
    from ..nlp.analyze import analyze_store
    from ..store.sentences import sentence_count

    report = analyze_store(store, make_predictor(model))
    return report.model_version, sentence_count(store, report.model_version)


def _truth_index(data: DemoData) -> dict[tuple[str, str, str], DemoReview]:
    """Demo reviews (and survey responses) by what identifies them once stored: the source id, or (product page,
    body) for schema.org pages, whose reviews have no id."""
    index: dict[tuple[str, str, str], DemoReview] = {}
    for review in (*data.reviews, *data.survey):
        ident = review.id if review.source != "schemaorg" else f"{review.target}|{' '.join(review.body.split())}"
        index[(review.brand, review.source, ident)] = review
    return index


def _write_truth(store: Store, data: DemoData) -> int:
    """Write an analysis and sentence rows from the true labels for every stored review; returns sentences."""
    from ..records import utcnow
    from ..store.queries import reviews_frame
    from ..store.sentences import pending_reviews, save_analyses

    index = _truth_index(data)
    rng = random.Random(data.seed)
    rows: list[AnalysisRow] = []
    sentences: list[SentenceRow] = []
    hashes = {review.review_key: review.content_hash for review in pending_reviews(store, TRUTH_VERSION)}
    frame = reviews_frame(store).sort_values("review_key")
    columns = ["review_key", "brand", "source", "source_review_id", "target", "body"]
    for key, brand, source, source_id, locator, body in frame[columns].itertuples(index=False):
        content_hash = hashes[key]
        if source == "schemaorg":
            path = "/" + str(locator).split("/", 3)[-1]
            ident = f"{path}|{' '.join(str(body).split())}"
        else:
            ident = str(source_id)
        truth = index.get((brand, source, ident))
        if truth is None:
            raise InputError("a collected review has no counterpart in the demo data", where=key)
        tagged = [_sentence_row(key, i, s, rng) for i, s in enumerate(truth.sentences)]
        sentences += tagged
        rows.append(_analysis_row(key, content_hash, truth, tagged))
    with store.write() as conn:
        save_analyses(conn, TRUTH_VERSION, utcnow(), rows, sentences)
    return len(sentences)


def _emotions(sentence: Sentence) -> tuple[str, ...]:
    rule = _EMOTION_RULE
    return (
        rule.get((sentence.polarity, sentence.theme))
        or rule.get((sentence.polarity, sentence.loyalty))
        or rule[(sentence.polarity, None)]
    )


def _mask(kind: str, labels: Sequence[str]) -> int:
    return sum(_BITS[kind][label] for label in set(labels))


def _sentence_row(key: str, idx: int, sentence: Sentence, rng: random.Random) -> SentenceRow:
    pol = POLARITIES.index(sentence.polarity)
    strength = 0.55 + 0.4 * rng.random() + (0.05 if sentence.loyalty in ("warn", "churn") else 0.0)
    score = {"positive": strength, "negative": -strength}.get(sentence.polarity, (rng.random() - 0.5) * 0.2)
    emotions = _emotions(sentence)
    groups = [group for group, members in EKMAN_GROUPS.items() if set(members) & set(emotions)]
    catpol = sum((pol + 1) << (2 * CATEGORIES.index(c)) for c in sentence.categories)
    loyalty = [sentence.loyalty] if sentence.loyalty else []
    return (key, idx, sentence.text, pol, round(score, 4), _mask("cat", sentence.categories), catpol,
            _mask("emo", emotions), _mask("ekman", groups), _mask("loy", loyalty))  # fmt: skip


def _analysis_row(key: str, content_hash: str, truth: DemoReview, tagged: list[SentenceRow]) -> AnalysisRow:
    """The review-level result, shaped like `reviewmine analyze`'s (see nlp.analyze.TaggedBatch.summary); a
    survey response without a comment is "skipped: no text", as there."""
    from ..nlp.analyze import STATUS_NO_TEXT
    from ..store.sentences import AnalysisRow

    if not truth.body.strip():
        return AnalysisRow(key, content_hash, STATUS_NO_TEXT, None, None, None, {"sentences": 0})

    score = sum(row[4] for row in tagged) / len(tagged) if tagged else None
    label = None if score is None else ("positive" if score > 0.2 else "negative" if score < -0.2 else "neutral")
    categories: dict[str, Any] = {}
    for c in CATEGORIES:
        pols = [s.polarity for s in truth.sentences if c in s.categories]
        if pols:
            pos, neg = pols.count("positive"), pols.count("negative")
            polarity = "mixed" if pos and pos == neg else max(POLARITIES, key=pols.count)
            categories[c] = {"polarity": polarity, "sentences": len(pols)}
    counts: dict[str, int] = {}
    for sentence in truth.sentences:
        for emotion in _emotions(sentence):
            counts[emotion] = counts.get(emotion, 0) + 1
    top = sorted((e for e in counts if e != "neutral"), key=lambda e: -counts[e])[:3] or list(counts)[:1]
    result = {
        "sentences": len(tagged),
        "labels": "truth",
        "categories": categories,
        "emotions": [{"emotion": e, "sentences": counts[e]} for e in top],
        "loyalty": [{"signal": s, "sentences": sum(x.loyalty == s for x in truth.sentences)}
                    for s in LOYALTY_SIGNALS if any(x.loyalty == s for x in truth.sentences)],
    }  # fmt: skip
    return AnalysisRow(key, content_hash, "ok", truth.language, score, label, result)
