"""Emotion and Ekman thresholds (evaluate._shrunk_thresholds): a label with few tune positives borrows the
family's shared threshold, a label with many keeps close to its own."""

from __future__ import annotations

import numpy as np

from reviewmine.nlp.training.evaluate import _best_threshold, _shrunk_thresholds


def _family(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four frequent labels (1,000 positives each, best near 0.5) and a rare one (5 positives, best near 0.87)."""
    truth = np.zeros((4000, 5), dtype=np.int64)
    for j in range(4):
        truth[j * 1000 : (j + 1) * 1000, j] = 1
    truth[:5, 4] = 1
    prob = rng.uniform(0.0, 0.5, size=truth.shape)
    prob[truth == 1] = rng.uniform(0.3, 1.0, size=int(truth.sum()))
    prob[:, 4] = rng.uniform(0.0, 0.85, size=4000)
    prob[:5, 4] = rng.uniform(0.9, 1.0, size=5)
    return truth, prob


def test_rare_label_moves_toward_the_family_threshold_and_frequent_one_keeps_its_own() -> None:
    truth, prob = _family(np.random.default_rng(0))
    own = [_best_threshold(truth[:, j], prob[:, j]) for j in range(5)]
    shrunk = _shrunk_thresholds(truth, prob)
    assert all(abs(shrunk[j] - own[j]) <= 0.02 for j in range(4))
    # 5 positives against k = 100: the rare label's own fit counts about 5%
    assert own[4] > 0.8
    assert abs(shrunk[4] - own[0]) < 0.05


def test_without_shrinkage_the_thresholds_are_each_labels_own() -> None:
    truth, prob = _family(np.random.default_rng(1))
    own = [round(_best_threshold(truth[:, j], prob[:, j]), 2) for j in range(5)]
    assert _shrunk_thresholds(truth, prob, k=0) == own


def test_thresholds_stay_on_the_two_decimal_grid() -> None:
    truth, prob = _family(np.random.default_rng(2))
    assert all(t == round(t, 2) and 0.0 < t < 1.0 for t in _shrunk_thresholds(truth, prob))
