"""From review text to tags: clean, split, identify the language, tag sentences, aggregate per review; and the
``reviewmine analyze`` pipeline that does it for every stored review lacking a result for a model version.

Per review: ``score`` follows the model's ``review_rule``: ``review_head`` (tanh of half the mean of the
sentences' review-head contributions, see `review_head`) or, for older models, ``mean_sentence_score`` (the
mean of p(positive) - p(negative)); it is labelled with the rule's thresholds; a category's polarity is the
majority of its mentions' polarities ("mixed" when positive and negative mentions tie); the main emotions are
the (at most 3) emotions found in most sentences, "neutral" only when nothing else is; loyalty signals are
those found in any sentence. Star ratings are never read here: the gap between stars and text is itself a
signal for the reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import STATUS_SKIPPED_LANGUAGE
from ..errors import InputError
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES
from .language import MODEL_LANGUAGE, review_language
from .review_head import METHOD as REVIEW_HEAD
from .review_head import review_score
from .segment import clean_text, review_text, split_sentences

if TYPE_CHECKING:
    from ..store.db import Store
    from ..store.sentences import AnalysisRow, PendingReview, SentenceRow
    from .inference import Decisions, Predictor, Probabilities

__all__ = [
    "AnalyzeReport", "AnalyzeRun", "TaggedBatch", "TaggedReview", "TaggedText", "analyze_store", "pending_chunks",
    "tag_texts", "tagged_reviews",
]  # fmt: skip

MAIN_EMOTIONS = 3
STATUS_OK = "ok"
STATUS_NO_TEXT = "skipped: no text"
_EKMAN = tuple(EKMAN_GROUPS)
_BIT = {n: np.left_shift(np.int64(1), np.arange(n, dtype=np.int64)) for n in {5, 4, 7, 28}}


@dataclass(slots=True)
class TaggedText:
    """One text's outcome; its sentences are rows ``start:stop`` of the batch arrays."""

    status: str
    language: str | None
    language_source: str | None
    sentences: list[str] = field(default_factory=list)
    start: int = 0
    stop: int = 0
    skipped_sentences: int = 0
    language_shares: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class TaggedBatch:
    """Tagged texts plus the probabilities and decisions of all their sentences."""

    texts: list[TaggedText]
    probs: Probabilities
    decisions: Decisions
    model_version: str
    precision: str
    review_rule: dict[str, Any]

    def summary(self, item: TaggedText) -> tuple[float | None, str | None, dict[str, Any]]:
        """(score, label, result) of one text; the result is what `analyses.result` stores."""
        result: dict[str, Any] = {
            "sentences": item.stop - item.start,
            "skipped_sentences": item.skipped_sentences,
            "language_source": item.language_source,
        }
        if item.language_shares:
            result["language_shares"] = item.language_shares
        if item.status != STATUS_OK or item.stop == item.start:
            return None, None, result
        rows = slice(item.start, item.stop)
        score = _review_score(self.probs, rows, self.review_rule)
        result["categories"] = self._categories(rows)
        result["emotions"] = self._emotions(rows)
        result["ekman"] = [g for g, n in zip(_EKMAN, self.decisions.ekman[rows].sum(0), strict=True) if n]
        result["loyalty"] = [
            {"signal": s, "sentences": int(n), "probability": round(float(p), 4)}
            for s, n, p in zip(
                LOYALTY_SIGNALS, self.decisions.loyalty[rows].sum(0), self.probs.loyalty[rows].max(0), strict=True
            )
            if n
        ]
        return round(score, 4), _label(score, self.review_rule), result

    def _categories(self, rows: slice) -> dict[str, Any]:
        found: dict[str, Any] = {}
        pos, neg = POLARITIES.index("positive"), POLARITIES.index("negative")
        for c, category in enumerate(CATEGORIES):
            mentioned = self.decisions.category[rows, c]
            if not mentioned.any():
                continue
            counts = np.bincount(self.decisions.category_polarity[rows, c][mentioned], minlength=len(POLARITIES))
            probs = self.probs.category_polarity[rows, c][mentioned]
            found[category] = {
                "polarity": _majority(counts),
                "sentences": int(mentioned.sum()),
                "score": round(float((probs[:, pos] - probs[:, neg]).mean()), 4),
            }
        return found

    def _emotions(self, rows: slice) -> list[dict[str, Any]]:
        counts = self.decisions.emotion[rows].sum(0)
        top = self.probs.emotion[rows].max(0)
        neutral = EMOTIONS.index("neutral")
        candidates = [i for i in np.flatnonzero(counts) if i != neutral] or list(np.flatnonzero(counts))
        candidates.sort(key=lambda i: (-counts[i], -top[i]))
        return [
            {"emotion": EMOTIONS[i], "sentences": int(counts[i]), "probability": round(float(top[i]), 4)}
            for i in candidates[:MAIN_EMOTIONS]
        ]

    def sentence_rows(self, item: TaggedText, key: str) -> list[SentenceRow]:
        """The rows `store.sentences.save_analyses` writes for one text."""
        if item.stop == item.start:
            return []
        rows = slice(item.start, item.stop)
        d = self.decisions
        catpol = np.where(d.category_polarity[rows] >= 0, d.category_polarity[rows].astype(np.int64) + 1, 0)
        catpol_codes = (catpol << (2 * np.arange(len(CATEGORIES), dtype=np.int64))).sum(1)
        columns = (
            d.polarity[rows].tolist(),
            self.probs.score[rows].astype(float).round(4).tolist(),
            (d.category[rows] @ _BIT[len(CATEGORIES)]).tolist(),
            catpol_codes.tolist(),
            (d.emotion[rows] @ _BIT[len(EMOTIONS)]).tolist(),
            (d.ekman[rows] @ _BIT[len(_EKMAN)]).tolist(),
            (d.loyalty[rows] @ _BIT[len(LOYALTY_SIGNALS)]).tolist(),
        )
        return [(key, i, text, *values) for i, (text, *values) in enumerate(zip(item.sentences, *columns, strict=True))]


def _majority(counts: np.ndarray) -> str:
    pos, neg = counts[POLARITIES.index("positive")], counts[POLARITIES.index("negative")]
    if pos and pos == neg and pos >= counts.max():
        return "mixed"
    return POLARITIES[int(counts.argmax())]


def _review_score(probs: Probabilities, rows: slice, rule: dict[str, Any]) -> float:
    method = rule.get("method", "mean_sentence_score")
    if method == REVIEW_HEAD:
        return float(review_score(probs.review[rows].mean()))
    if method == "mean_sentence_score":
        return float(probs.score[rows].mean())
    raise InputError(f"unknown review_rule method {method!r}: upgrade reviewmine", where="model config")


def _label(score: float, rule: dict[str, Any]) -> str:
    if score > float(rule.get("positive_above", 0.0)):
        return "positive"
    if score < float(rule.get("negative_below", 0.0)):
        return "negative"
    return "neutral"


def tag_texts(predictor: Predictor, texts: Sequence[str], stated: Sequence[str | None] | None = None) -> TaggedBatch:
    """Tag cleaned texts (see `segment.clean_text` / `review_text`): one batched model pass for all of them."""
    items: list[TaggedText] = []
    to_score: list[str] = []
    owner: list[int] = []
    for n, text in enumerate(texts):
        sentences = split_sentences(text)
        if not sentences:
            items.append(TaggedText(STATUS_NO_TEXT, None, None))
            continue
        decided = review_language(sentences, text=text, stated=stated[n] if stated else None)
        item = TaggedText(STATUS_OK, decided.language, decided.source, language_shares=decided.shares)
        if decided.language != MODEL_LANGUAGE:
            item.status = f"{STATUS_SKIPPED_LANGUAGE} {decided.language}"
        else:
            kept = [s for i, s in enumerate(sentences) if decided.scored(i)]
            item.skipped_sentences = len(sentences) - len(kept)
            to_score.extend(kept)
            owner.extend([n] * len(kept))
        items.append(item)
    pieces, piece_owner, probs = predictor.predict(to_score)
    text_of_piece = [owner[i] for i in piece_owner]
    for row, (n, piece) in enumerate(zip(text_of_piece, pieces, strict=True)):
        item = items[n]
        if not item.sentences:
            item.start = row
        item.sentences.append(piece)
        item.stop = row + 1
    return TaggedBatch(
        items,
        probs,
        predictor.decide(probs),
        predictor.model_version,
        predictor.precision,
        dict(predictor.config.review_rule),
    )


def classify_batch(predictor: Predictor, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Every tag and probability of each raw text (HTML and entities are cleaned first), in input order."""
    batch = tag_texts(predictor, [clean_text(t) for t in texts])
    return [_as_dict(batch, item, text) for item, text in zip(batch.texts, texts, strict=True)]


def _as_dict(batch: TaggedBatch, item: TaggedText, text: str) -> dict[str, Any]:
    score, label, result = batch.summary(item)
    out: dict[str, Any] = {
        "text": text, "status": item.status, "language": item.language, "score": score, "label": label,
        "categories": result.get("categories", {}), "emotions": result.get("emotions", []),
        "ekman": result.get("ekman", []), "loyalty": result.get("loyalty", []),
        "skipped_sentences": item.skipped_sentences, "model_version": batch.model_version, "sentences": [],
    }  # fmt: skip
    ekman = batch.probs.ekman
    for row, sentence in zip(range(item.start, item.stop), item.sentences, strict=True):
        out["sentences"].append(_sentence_dict(batch.probs, batch.decisions, ekman, row, sentence))
    return out


def _labels(names: Sequence[str], flags: np.ndarray) -> list[str]:
    return [name for name, flag in zip(names, flags, strict=True) if flag]


def _probs(names: Sequence[str], values: np.ndarray) -> dict[str, float]:
    return {name: round(float(v), 4) for name, v in zip(names, values, strict=True)}


def _sentence_dict(p: Probabilities, d: Decisions, ekman: np.ndarray, row: int, text: str) -> dict[str, Any]:
    mentioned = _labels(CATEGORIES, d.category[row])
    return {
        "text": text,
        "polarity": POLARITIES[d.polarity[row]],
        "score": round(float(p.score[row]), 4),
        "categories": {c: POLARITIES[d.category_polarity[row, CATEGORIES.index(c)]] for c in mentioned},
        "emotions": _labels(EMOTIONS, d.emotion[row]),
        "ekman": _labels(_EKMAN, d.ekman[row]),
        "loyalty": _labels(LOYALTY_SIGNALS, d.loyalty[row]),
        "probabilities": {
            "polarity": _probs(POLARITIES, p.polarity[row]),
            "category": _probs(CATEGORIES, p.category[row]),
            "category_polarity": {c: _probs(POLARITIES, p.category_polarity[row, i]) for i, c in enumerate(CATEGORIES)},
            "emotion": _probs(EMOTIONS, p.emotion[row]),
            "ekman": _probs(_EKMAN, ekman[row]),
            "loyalty": _probs(LOYALTY_SIGNALS, p.loyalty[row]),
        },
    }


# -- the store pipeline: shared by the local and the Ray engine -------------------------------------------

TaggedReview = tuple["AnalysisRow", list["SentenceRow"]]


def tagged_reviews(batch: TaggedBatch, keys: Sequence[str], content_hashes: Sequence[str]) -> list[TaggedReview]:
    """The store rows of each tagged text (its analysis and its sentences), in input order.

    Both engines turn tags into rows here, so a Ray actor's rows are the local engine's rows.
    """
    from ..store.sentences import AnalysisRow

    rows: list[TaggedReview] = []
    for key, content_hash, item in zip(keys, content_hashes, batch.texts, strict=True):
        score, label, result = batch.summary(item)
        result["precision"] = batch.precision
        analysis = AnalysisRow(key, content_hash, item.status, item.language, score, label, result)
        rows.append((analysis, batch.sentence_rows(item, key)))
    return rows


def pending_chunks(
    store: Store, pending: Sequence[PendingReview], chunk_size: int
) -> Iterator[tuple[list[PendingReview], dict[str, dict[str, Any]], int]]:
    """(pending reviews still stored, their title/body/language/content_hash by key, reviews looked at) per chunk.

    Reviews deleted since `pending_reviews` listed them are left out (but counted as looked at, for progress).
    """
    from ..store.sentences import load_texts

    step = max(chunk_size, 1)
    for start in range(0, len(pending), step):
        chunk = pending[start : start + step]
        with store.read() as conn:
            found = load_texts(conn, store, [p.review_key for p in chunk])
        yield [p for p in chunk if p.review_key in found], found, len(chunk)


@dataclass(slots=True)
class AnalyzeReport:
    """What one `analyze_store` call did."""

    run_id: int
    model_version: str
    precision: str = ""  # "" when nothing was pending, so no model was loaded
    pending: int = 0
    analyzed: int = 0
    new: int = 0
    updated: int = 0
    skipped_language: int = 0
    skipped_empty: int = 0
    sentences: int = 0
    seconds: float = 0.0  # the whole run, loading the model included
    load_seconds: float = 0.0  # loading the model (when analyze_store was given a loader)
    engine: str = "local"  # or "ray" (ray_engine.analyze_store_ray)
    actors: int = 0  # Ray actors that tagged

    @property
    def per_second(self) -> float:
        """Reviews tagged per second, not counting the model's loading."""
        tagging = self.seconds - self.load_seconds
        return self.analyzed / tagging if tagging > 0 else 0.0

    def message(self) -> str:
        return (
            f"analyzed {self.analyzed:,} of {self.pending:,} reviews ({self.new:,} new, {self.updated:,} changed) "
            f"with {self.model_version}{f' [{self.precision}]' if self.precision else ''}: "
            f"{self.sentences:,} sentences, "
            f"{self.skipped_language:,} skipped for language, {self.skipped_empty:,} without text"
        )


class AnalyzeRun:
    """The write side of one analyze run, whichever engine tags: the runs row, the counters, a transaction per chunk.

    `save` commits one chunk through `store.sentences.save_analyses` (which replaces a review's analysis and
    sentences for the model version, so saving a review again leaves one analysis) and updates the run's row in
    the same transaction; a review already saved in this run (a retried Ray task) is not saved or counted twice.
    As a context manager the run ends "ok", "interrupted" (Ctrl-C, SIGTERM: what was committed stays and the next
    run resumes with the rest) or "failed".
    """

    def __init__(
        self,
        store: Store,
        version: str,
        pending: int,
        *,
        brand: str | Sequence[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store, self.version, self.progress = store, version, progress
        self.run_id = store.start_run("analyze", brand=brand if isinstance(brand, str) else None, locator=version)
        self.report = AnalyzeReport(self.run_id, version, pending=pending)
        self._started = time.perf_counter()
        self._seen = self._commits = 0
        self._saved: set[str] = set()
        if progress:
            progress(0, pending)

    def loaded(self, precision: str) -> None:
        """The model is loaded (or the engine is ready): the time so far is loading, not tagging."""
        self.report.load_seconds = time.perf_counter() - self._started
        self.report.precision = precision

    def save(self, tagged: Sequence[TaggedReview], analyzed_before: Sequence[bool], *, seen: int | None = None) -> None:
        """Commit one chunk; ``seen`` (default: its length) is how far the progress moves."""
        from ..records import utcnow
        from ..store.sentences import save_analyses

        report = self.report
        rows: list[AnalysisRow] = []
        sentence_rows: list[SentenceRow] = []
        for (analysis, sentences), before in zip(tagged, analyzed_before, strict=True):
            if analysis.review_key in self._saved:
                continue
            self._saved.add(analysis.review_key)
            rows.append(analysis)
            sentence_rows.extend(sentences)
            report.updated += before
            report.new += not before
            report.skipped_language += analysis.status.startswith(STATUS_SKIPPED_LANGUAGE)
            report.skipped_empty += analysis.status == STATUS_NO_TEXT
        report.analyzed += len(rows)
        report.sentences += len(sentence_rows)
        self._commits += 1
        with self.store.write() as conn:
            save_analyses(conn, self.version, utcnow(), rows, sentence_rows)
            self.store.update_run(conn, self.run_id, pages=self._commits, fetched=report.analyzed, new=report.new,
                                  updated=report.updated, message=report.message())  # fmt: skip
        report.seconds = time.perf_counter() - self._started
        self._seen = min(self._seen + (len(tagged) if seen is None else seen), report.pending)
        if self.progress:
            self.progress(self._seen, report.pending)

    def __enter__(self) -> AnalyzeRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self.report.seconds = time.perf_counter() - self._started
        message = self.report.message()
        if kind is None:
            self.store.finish_run(self.run_id, "ok", message=message)
        elif issubclass(kind, KeyboardInterrupt):
            self.store.finish_run(self.run_id, "interrupted", message=message)
        elif issubclass(kind, Exception):
            self.store.finish_run(self.run_id, "failed", message=message, errors=[f"{kind.__name__}: {exc}"])


def analyze_store(
    store: Store,
    predictor: Predictor | Callable[[], Predictor],
    *,
    model_version: str | None = None,
    brand: str | Sequence[str] | None = None,
    since: datetime | None = None,
    chunk_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> AnalyzeReport:
    """Analyse the reviews lacking a current result for the predictor's model version, committing per chunk.

    Each chunk of ``chunk_size`` reviews is one transaction, so an interrupted run keeps what it committed and
    the next run resumes with the rest. Larger chunks keep both cores busier (3,000 reviews on the 2-core machine:
    about 240 reviews/s in chunks of 256, 260 in 512, 268 in 1,024); 512 is about 2 s of work.
    ``progress(done, total)`` is called after each commit. The run is recorded (kind "analyze", locator = model
    version) as ok, interrupted or failed. `ray_engine.analyze_store_ray` is the same run on a Ray cluster.

    ``predictor`` may be a function that loads one, with the ``model_version`` it will have
    (`inference.read_model_version` reads it without torch): it is then called only when something is pending,
    so a scheduled run with nothing new finishes in a second instead of loading torch and the model.
    """
    from ..store.sentences import pending_reviews
    from .inference import Predictor

    if isinstance(predictor, Predictor):
        version = predictor.model_version
    elif model_version is None:
        raise TypeError("analyze_store: give model_version with a predictor-loading function")
    else:
        version = model_version
    pending = pending_reviews(store, version, brand=brand, since=since)
    with AnalyzeRun(store, version, len(pending), brand=brand, progress=progress) as run:
        if not pending:
            return run.report
        runner = predictor if isinstance(predictor, Predictor) else _loaded(predictor(), version)
        run.loaded(runner.precision)
        for chunk, found, seen in pending_chunks(store, pending, chunk_size):
            keys = [p.review_key for p in chunk]
            texts = [review_text(found[key]["title"], found[key]["body"]) for key in keys]
            batch = tag_texts(runner, texts, [found[key]["language"] for key in keys])
            tagged = tagged_reviews(batch, keys, [found[key]["content_hash"] for key in keys])
            run.save(tagged, [p.analyzed_before for p in chunk], seen=seen)
    return run.report


def _loaded(predictor: Predictor, version: str) -> Predictor:
    if predictor.model_version != version:
        raise InputError(f"the model loaded is {predictor.model_version}, not {version}", where="--model")
    return predictor
