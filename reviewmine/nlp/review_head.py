"""The review-level polarity head: a logistic regression on the mean of a review's sentence vectors.

Averaging sentence scores (p(positive) - p(negative)) throws away what the sentence vectors know: on the Amazon
report split, with reviewmine-tagger-3's encoder, the mean sentence score labels 87.8% of reviews right, a linear
head on the mean sentence vector 91.0%, close to running the whole review through the encoder (91.7%) at no extra
encoder cost. The head is linear,
so the runtime gets it exactly by averaging each sentence's contribution ``w . v + b`` (the model's ``review``
output) over the review; score = 2 sigmoid(mean) - 1 = tanh(mean / 2), in [-1, 1].

It is fitted after training on the Amazon training reviews (never the tune or report rows); the regularisation
strength is picked on ``amazon_tune``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..taxonomy import POLARITIES
from .review_rules import REVIEW_HEAD as METHOD

if TYPE_CHECKING:  # torch stays unimported until a model runs (the runtime imports `review_score` only)
    from .model import Tagger
    from .training.data import Example

__all__ = ["METHOD", "fit_review_head", "review_score", "review_sentences", "review_vectors"]

_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
log = logging.getLogger(__name__)


def review_score(mean_contribution: np.ndarray | float) -> np.ndarray | float:
    """Score in [-1, 1] from the mean of a review's sentence contributions (a logit)."""
    return np.tanh(np.asarray(mean_contribution) / 2.0)


def review_sentences(reviews: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Every review's sentences, cleaned and split as the runtime does, and the index of the review each is from."""
    from .segment import clean_text, split_sentences

    owners: list[int] = []
    sentences: list[str] = []
    for i, text in enumerate(reviews):
        cleaned = clean_text(text)
        for sentence in split_sentences(cleaned) or [cleaned or text]:
            owners.append(i)
            sentences.append(sentence)
    return np.array(owners, dtype=np.int64), sentences


def review_vectors(model: Tagger, reviews: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Mean sentence vector of each review, sentences as the runtime splits them (bf16 autocast)."""
    import torch

    owners, sentences = review_sentences(reviews)
    vectors = np.zeros((len(sentences), model.config.hidden_size), np.float32)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    model.eval()
    with torch.inference_mode(), torch.autocast(model.device.type, dtype=torch.bfloat16):
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            _, pooled = model.pooled(**model.encode([sentences[i] for i in chunk]))
            vectors[chunk] = pooled.float().cpu().numpy()
    sums = np.zeros((len(reviews), vectors.shape[1]), np.float64)
    np.add.at(sums, owners, vectors)
    counts = np.bincount(owners, minlength=len(reviews))
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


def fit_review_head(model: Tagger, train: Sequence[Example], tune: Sequence[Example]) -> dict[str, float]:
    """Fit ``model.review_head`` on ``train`` reviews, C chosen on ``tune``; returns what was chosen."""
    import torch
    from sklearn.linear_model import LogisticRegression

    positive = POLARITIES.index("positive")
    x_train = review_vectors(model, [r.text for r in train])
    x_tune = review_vectors(model, [r.text for r in tune])
    y_train = np.array([r.polarity == positive for r in train])
    y_tune = np.array([r.polarity == positive for r in tune])
    best: tuple[float, float, LogisticRegression] | None = None
    for c in _C_GRID:
        fitted = LogisticRegression(C=c, max_iter=5000).fit(x_train, y_train)
        accuracy = float(fitted.score(x_tune, y_tune))
        log.info("review head C=%s: tune accuracy %.4f", c, accuracy)
        if best is None or accuracy > best[1]:
            best = (c, accuracy, fitted)
    assert best is not None
    c, accuracy, fitted = best
    with torch.no_grad():
        model.review_head.weight.copy_(torch.from_numpy(fitted.coef_.astype(np.float32)))
        model.review_head.bias.copy_(torch.from_numpy(fitted.intercept_.astype(np.float32)))
    return {"C": c, "tune_accuracy": round(accuracy, 4), "train_reviews": len(train)}
