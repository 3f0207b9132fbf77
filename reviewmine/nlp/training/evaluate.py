"""Evaluation and threshold tuning of a Tagger on the held-out splits of `data.build_splits`.

Thresholds (and the review-level rule) are tuned only on the ``*_tune`` splits; metrics are computed only on
the report splits (SemEval-2014 dev carve, half of GoEmotions dev, 1,000 Amazon reviews, hand-labelled test),
so no reported number comes from rows the model was trained or tuned on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES
from ..inference import ekman_from_members
from ..model import EKMAN_HEAD, Tagger, logits_to_probabilities
from ..review_head import METHOD as REVIEW_HEAD
from ..review_head import fit_review_head, review_score, review_sentences
from .data import Example, Split

__all__ = ["TARGETS", "evaluate_splits", "predict", "review_scores", "tune_config", "tune_polarity_offset"]

# The targets (official test splits are not available: we measure on our held-out splits).
TARGETS: dict[str, float] = {
    "semeval14_category_micro_f1": 0.93,
    "semeval14_category_polarity_accuracy": 0.90,
    "goemotions_macro_f1": 0.51,
    "goemotions_ekman_macro_f1": 0.64,
    "amazon_review_accuracy": 0.94,
    "communication_f1": 0.80,
    # MAMS: every sentence has 2+ aspects of different polarities, many of them neutral mentions ("We sat on the
    # terrace") that a model trained on opinionated sentences calls positive (issue 20's target).
    "mams_category_polarity_accuracy": 0.75,
}
_SEMEVAL_CATEGORIES = ("product", "price", "place_process", "people")
_GRID = np.round(np.arange(0.02, 0.97, 0.01), 2)
# Tune positives at which a label's own threshold and its family's shared one weigh the same (_shrunk_thresholds).
_SHRINK_POSITIVES = 100
_OFFSET_TUNED_ON = ("semeval14_tune", "mams_tune")


def predict(
    model: Tagger, texts: Sequence[str], batch_size: int = 64, max_length: int | None = None
) -> dict[str, np.ndarray]:
    """Probabilities for every family, in input order (batches sorted by length to limit padding)."""
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            probs = logits_to_probabilities(model(**model.encode(batch, max_length=max_length)))
            for key, value in probs.items():
                parts.setdefault(key, []).append(value.float().cpu().numpy())
    out: dict[str, np.ndarray] = {}
    inverse = np.argsort(np.array(order)) if order else np.array([], dtype=int)
    for key, chunks in parts.items():
        out[key] = np.concatenate(chunks)[inverse]
    return out


def _ekman(model: Tagger, probs: dict[str, np.ndarray]) -> np.ndarray:
    """Ekman group probabilities by the model's ``ekman_rule``."""
    return probs["ekman"] if model.config.ekman_rule == EKMAN_HEAD else ekman_from_members(probs["emotion"])


def review_scores(model: Tagger, reviews: Sequence[str]) -> np.ndarray:
    """Review scores as the runtime computes them with the model's review rule: ``review_head``: tanh(mean sentence
    contribution / 2); ``mean_sentence_score``: mean of p(pos) - p(neg)."""
    by_rule, _ = _review_scores_both(model, reviews)
    return by_rule


def _review_scores_both(model: Tagger, reviews: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(scores by the model's rule, mean sentence scores) from one pass over the reviews' sentences."""
    owners, sentences = review_sentences(reviews)
    probs = predict(model, sentences)
    counts = np.maximum(np.bincount(owners, minlength=len(reviews)), 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(owners, weights=values, minlength=len(reviews)) / counts

    pol = probs["polarity"]
    sentence_mean = mean(pol[:, POLARITIES.index("positive")] - pol[:, POLARITIES.index("negative")])
    if model.config.review_rule.get("method") == REVIEW_HEAD:
        return np.asarray(review_score(mean(probs["review"]))), sentence_mean
    return sentence_mean, sentence_mean


def _f1(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """F1 of each label (column; a 1-D input is one label): 2 tp / (predicted + true), 0 when both are empty."""
    tp = (pred & (truth == 1)).sum(axis=0)
    return 2 * tp / np.maximum(1, pred.sum(axis=0) + truth.sum(axis=0))


def _best_threshold(truth: np.ndarray, prob: np.ndarray) -> float:
    """The grid threshold with the best F1 (ties: closest to 0.5); 0.5 when there are no positives."""
    if truth.sum() == 0:
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in _GRID:
        f1 = float(_f1(truth, prob >= t))
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(t - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(t), f1
    return best


def _shrunk_thresholds(truth: np.ndarray, prob: np.ndarray, k: float = _SHRINK_POSITIVES) -> list[float]:
    """Each label's best threshold pulled toward the family's one best (macro-F1) threshold, by its tune positives:
    t = (n t_label + k t_family) / (n + k).

    A label with a few dozen tune positives (grief, pride, relief) gets a threshold fitted to a handful of rows and
    loses F1 on new ones. On GoEmotions dev, tagger-9, 30 random halves (tune on one, measure on the other), this
    gains 28-label macro-F1 +0.011 ± 0.007 (93% of halves) and Ekman +0.006 ± 0.010 over per-label thresholds.
    """
    family = float(_GRID[int(np.argmax([_f1(truth, prob >= t).mean() for t in _GRID]))])
    counts = truth.sum(axis=0)
    own = [_best_threshold(truth[:, j], prob[:, j]) for j in range(truth.shape[1])]
    return [round(float((n * t + k * family) / (n + k)), 2) for n, t in zip(counts, own, strict=True)]


def _stack(rows: Sequence[Example], family: str) -> np.ndarray:
    return np.array([getattr(r, family) for r in rows])


def tune_config(model: Tagger, splits: Split) -> None:
    """Set per-label thresholds and the review rule in ``model.config`` from the tune splits only."""
    cfg = model.config
    absa = splits.get("semeval14_tune", []) + [r for r in splits.get("hand_tune", [])]
    if absa:
        probs = predict(model, [r.text for r in absa])["category"]
        truth = _stack(absa, "category")
        for j, category in enumerate(cfg.categories):
            known = truth[:, j] >= 0
            if known.any():
                cfg.thresholds["category"][category] = _best_threshold(truth[known, j], probs[known, j])
    tune_polarity_offset(model, splits)
    emo_rows = [r for r in splits.get("goemotions_tune", []) + splits.get("hand_tune", []) if r.emotion]
    if emo_rows:
        probs = predict(model, [r.text for r in emo_rows])
        emotion, truth = probs["emotion"], _stack(emo_rows, "emotion")
        cfg.thresholds["emotion"] = dict(zip(cfg.emotions, _shrunk_thresholds(truth, emotion), strict=True))
        ekman_prob, ekman_truth = _ekman(model, probs), ekman_from_members(truth)
        cfg.thresholds["ekman"] = dict(zip(EKMAN_GROUPS, _shrunk_thresholds(ekman_truth, ekman_prob), strict=True))
    loy_rows = [r for r in splits.get("hand_tune", []) if r.loyalty is not None]
    if loy_rows:
        loyalty = predict(model, [r.text for r in loy_rows])["loyalty"]
        truth = _stack(loy_rows, "loyalty")
        for j, signal in enumerate(cfg.loyalty):
            cfg.thresholds["loyalty"][signal] = _best_threshold(truth[:, j], loyalty[:, j])
    amazon = splits.get("amazon_tune", [])
    amazon_train = [r for r in splits.get("train", []) if r.source == "amazon"]
    if amazon and amazon_train:
        chosen = fit_review_head(model, amazon_train, amazon)
        cfg.review_rule = {
            "method": REVIEW_HEAD,
            "sentence_contribution": "review_head(mean-pooled sentence vector), a logit",
            "score": "tanh(mean of the review's sentence contributions / 2), in [-1, 1]",
            "fitted_on": "amazon train reviews",
        } | chosen
    if amazon:
        scores = review_scores(model, [r.text for r in amazon])
        positive = np.array([r.polarity == POLARITIES.index("positive") for r in amazon])
        grid = np.round(np.arange(-0.5, 0.51, 0.02), 2)
        accuracy = [float(((scores > t) == positive).mean()) for t in grid]
        best = float(grid[int(np.argmax(accuracy))])
        cfg.review_rule.update({"positive_above": best, "negative_below": best, "tuned_on": "amazon_tune"})


def tune_polarity_offset(model: Tagger, splits: Split, names: Sequence[str] = _OFFSET_TUNED_ON) -> None:
    """Shift the neutral logit of every category polarity by the offset that maximises the mean, over the named
    tune splits, of their mention-polarity accuracy (ties: the offset closest to 0), folded into the head's bias.

    A prior-shift correction: SemEval-2014 hardly has neutral mentions, MAMS has many ("We sat on the terrace"),
    and what a model learned from their mix is calibrated for neither; weighting each set equally keeps one from
    winning by its size. Recorded in ``config.polarity_offset``."""
    parts = [(name, splits[name]) for name in names if splits.get(name)]
    if not parts:
        return
    scored = []
    for _, rows in parts:
        logits = np.log(np.clip(predict(model, [r.text for r in rows])["category_polarity"], 1e-9, None))
        gold, _, known = _mention_polarity(rows, {"category_polarity": logits})
        scored.append((logits, gold, known))
    neutral = POLARITIES.index("neutral")

    def accuracy(offset: float) -> float:
        total = 0.0
        for logits, gold, known in scored:
            shifted = logits.copy()
            shifted[..., neutral] += offset
            total += float((shifted.argmax(-1)[known] == gold[known]).mean()) if known.any() else 0.0
        return total / len(scored)

    grid = sorted(np.round(np.arange(-2.0, 2.01, 0.1), 2), key=abs)  # ties go to the smallest shift
    best = max(grid, key=accuracy)
    with torch.no_grad():
        model.category_polarity_bias[:, neutral] += float(best)
    earlier = float(model.config.polarity_offset.get("neutral", 0.0))
    model.config.polarity_offset = {
        "neutral": round(earlier + float(best), 2),
        "tuned_on": [name for name, _ in parts],
        "mean_accuracy": {"before": round(accuracy(0.0), 4), "after": round(accuracy(float(best)), 4)},
    }


def _prf(truth: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Per-label precision/recall/F1/support plus macro and micro F1."""
    per: dict[str, dict[str, float]] = {}
    tp_all = fp_all = fn_all = 0.0
    for j, label in enumerate(labels):
        t, p = truth[:, j] == 1, pred[:, j]
        tp, fp, fn = float((t & p).sum()), float((~t & p).sum()), float((t & ~p).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
        per[label]["support"] = int(t.sum())
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0
    macro = float(np.mean([v["f1"] for v in per.values()])) if per else 0.0
    return {"per_label": per, "macro_f1": round(macro, 4), "micro_f1": round(micro, 4)}


def _thresholds(model: Tagger, family: str) -> np.ndarray:
    return model.config.threshold_tensor(family).numpy()


def _eval_semeval(model: Tagger, rows: Sequence[Example]) -> dict[str, Any]:
    probs = predict(model, [r.text for r in rows])
    cols = [CATEGORIES.index(c) for c in _SEMEVAL_CATEGORIES]
    truth = _stack(rows, "category")[:, cols]
    pred = probs["category"][:, cols] >= _thresholds(model, "category")[cols]
    detection = _prf(truth, pred, _SEMEVAL_CATEGORIES)
    gold_pol, pred_pol, known = _mention_polarity(rows, probs)
    sentence = np.array([r.polarity for r in rows])
    has_sentence = sentence >= 0
    return {
        "rows": len(rows),
        "category_detection": detection,
        "category_polarity_accuracy": round(float((pred_pol[known] == gold_pol[known]).mean()), 4),
        "category_polarity_mentions": int(known.sum()),
        "conflict_mentions_dropped": int((gold_pol == -2).sum()),
        "sentence_polarity_accuracy": round(
            float((probs["polarity"].argmax(-1)[has_sentence] == sentence[has_sentence]).mean()), 4
        ),
    }


def _mention_polarity(rows: Sequence[Example], probs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(gold, predicted, known) polarity per row and category: known marks gold mentions with a single polarity
    ("conflict" mentions and unmentioned categories are dropped)."""
    gold = _stack(rows, "category_polarity")
    return gold, probs["category_polarity"].argmax(-1), gold >= 0


def _eval_mams(model: Tagger, rows: Sequence[Example]) -> dict[str, Any]:
    """Polarity of each gold category mention (taxonomy categories, single-polarity mentions), and per gold
    polarity the share called right: the neutral row is the neutral-mention recall."""
    gold, pred, known = _mention_polarity(rows, predict(model, [r.text for r in rows]))
    per = {
        name: round(float((pred[gold == i] == i).mean()), 4) if (gold == i).any() else None
        for i, name in enumerate(POLARITIES)
    }
    return {
        "rows": len(rows),
        "category_polarity_accuracy": round(float((pred[known] == gold[known]).mean()), 4),
        "category_polarity_mentions": int(known.sum()),
        "recall_by_gold_polarity": per,
    }


def _eval_goemotions(model: Tagger, rows: Sequence[Example]) -> dict[str, Any]:
    probs = predict(model, [r.text for r in rows])
    truth = _stack(rows, "emotion")
    fine = _prf(truth, probs["emotion"] >= _thresholds(model, "emotion"), EMOTIONS)
    ekman = _prf(ekman_from_members(truth), _ekman(model, probs) >= _thresholds(model, "ekman"), EKMAN_GROUPS)
    return {"rows": len(rows), "emotions": fine, "ekman": ekman}


def _eval_amazon(model: Tagger, rows: Sequence[Example]) -> dict[str, Any]:
    texts = [r.text for r in rows]
    positive = np.array([r.polarity == POLARITIES.index("positive") for r in rows])
    threshold = float(model.config.review_rule.get("positive_above", 0.0))
    scores, sentence_scores = _review_scores_both(model, texts)
    by_rule, sentence_mean = scores > threshold, sentence_scores > 0.0
    whole = predict(model, texts, batch_size=16, max_length=256)["polarity"]
    whole_pred = whole[:, POLARITIES.index("positive")] > whole[:, POLARITIES.index("negative")]
    return {
        "rows": len(rows),
        "accuracy_review_rule": round(float((by_rule == positive).mean()), 4),
        "review_rule": model.config.review_rule.get("method"),
        "accuracy_sentence_mean": round(float((sentence_mean == positive).mean()), 4),
        "accuracy_whole_text_256": round(float((whole_pred == positive).mean()), 4),
        "review_threshold": threshold,
    }


def _eval_hand(model: Tagger, rows: Sequence[Example]) -> dict[str, Any]:
    probs = predict(model, [r.text for r in rows])
    categories = _prf(_stack(rows, "category"), probs["category"] >= _thresholds(model, "category"), CATEGORIES)
    out: dict[str, Any] = {"rows": len(rows), "categories": categories}
    domains = sorted({r.domain for r in rows})
    out["domains"] = domains
    loy_rows = np.array([r.loyalty is not None for r in rows])
    if loy_rows.any():
        truth = np.array([r.loyalty for r in rows if r.loyalty is not None])
        pred = probs["loyalty"][loy_rows] >= _thresholds(model, "loyalty")
        out["loyalty"] = _prf(truth, pred, LOYALTY_SIGNALS)
    sentence = np.array([r.polarity for r in rows])
    if (sentence >= 0).any():
        out["sentence_polarity_accuracy"] = round(
            float((probs["polarity"].argmax(-1)[sentence >= 0] == sentence[sentence >= 0]).mean()), 4
        )
    return out


def evaluate_splits(model: Tagger, splits: Split) -> dict[str, Any]:
    """Metrics on the report splits with the thresholds currently in ``model.config``."""
    metrics: dict[str, Any] = {}
    summary: dict[str, float | None] = dict.fromkeys(TARGETS)
    if splits.get("semeval14_dev"):
        semeval = metrics["semeval14_dev"] = _eval_semeval(model, splits["semeval14_dev"])
        summary["semeval14_category_micro_f1"] = semeval["category_detection"]["micro_f1"]
        summary["semeval14_category_polarity_accuracy"] = semeval["category_polarity_accuracy"]
    if splits.get("goemotions_report"):
        go = metrics["goemotions_report"] = _eval_goemotions(model, splits["goemotions_report"])
        summary["goemotions_macro_f1"] = go["emotions"]["macro_f1"]
        summary["goemotions_ekman_macro_f1"] = go["ekman"]["macro_f1"]
    if splits.get("amazon_report"):
        amazon = metrics["amazon_report"] = _eval_amazon(model, splits["amazon_report"])
        summary["amazon_review_accuracy"] = amazon["accuracy_review_rule"]
    if splits.get("mams_report"):
        mams = metrics["mams_report"] = _eval_mams(model, splits["mams_report"])
        summary["mams_category_polarity_accuracy"] = mams["category_polarity_accuracy"]
    if splits.get("hand_test"):
        hand = metrics["hand_test"] = _eval_hand(model, splits["hand_test"])
        summary["communication_f1"] = hand["categories"]["per_label"]["communication"]["f1"]
    metrics["summary"] = summary
    metrics["targets"] = TARGETS
    metrics["measured_on"] = {
        "semeval14_dev": "fixed-seed 15% of SemEval-2014 restaurants train (not trained or tuned on)",
        "goemotions_report": "fixed-seed half of GoEmotions dev (the other half tunes thresholds)",
        "amazon_report": "fixed-seed 1,000 of the 8k Amazon polarity subset (500 others tune the rule)",
        "hand_test": "hand-labelled rows with split=test (training/examples)",
        "mams_report": "MAMS-ACSA validation file (400 sentences; never trained on, never in the unlabelled pool)",
        "note": "official test splits are not available here; these are held-out dev numbers",
    }
    metrics["model_version"] = model.config.model_version
    return metrics
