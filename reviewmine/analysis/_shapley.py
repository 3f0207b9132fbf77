"""Shapley decomposition of R² over every subset of up to ~12 predictors, batched over bootstrap replicates.

R² of every subset comes from covariance matrices alone: subsets are grown one predictor at a time (the added
predictor is always the largest, so each subset has one parent), updating the inverse of the parent's
covariance block by its Schur complement. Each level is a few batched numpy operations over all replicates and
subsets, so 2^10 regressions x 200 bootstrap replicates take milliseconds.
"""

from __future__ import annotations

from functools import lru_cache
from math import factorial

import numpy as np

__all__ = ["all_subset_r2", "shapley_r2"]

_COLLINEAR = 1e-10


@lru_cache(maxsize=16)
def _levels(p: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The subset tree, level by level: for each subset of size k+1, its parent's index among the subsets of
    size k, the predictor added, the parent's members (subsets, k) and the subset's bit mask."""
    levels = []
    members = np.zeros((1, 0), dtype=np.int64)
    masks = np.zeros(1, dtype=np.int64)
    for k in range(p):
        last = members[:, -1] if k else np.full(len(masks), -1)
        parent = np.concatenate([np.full(p - 1 - m, i) for i, m in enumerate(last)]).astype(np.int64)
        added = np.concatenate([np.arange(m + 1, p) for m in last]).astype(np.int64)
        parent_members = members[parent]
        masks = masks[parent] | (1 << added)
        members = np.concatenate([parent_members, added[:, None]], axis=1)
        levels.append((parent, added, parent_members, masks))
    for arrays in levels:  # shared between calls: keep them read-only
        for array in arrays:
            array.flags.writeable = False
    return levels


def all_subset_r2(cov_x: np.ndarray, cov_xy: np.ndarray, var_y: np.ndarray) -> np.ndarray:
    """R² of the regression of y on every subset of the p predictors.

    ``cov_x`` (B, p, p), ``cov_xy`` (B, p), ``var_y`` (B,) are covariances per replicate. Returns (B, 2**p),
    column ``mask`` holding the R² of the predictors whose bits are set. A predictor that adds nothing new
    (collinear with the subset) contributes 0. Arrays are laid out (row, column, subset, replicate) so every
    operation runs over large contiguous slabs rather than many tiny matrices.
    """
    n_rep, p = cov_xy.shape
    cx = np.ascontiguousarray(np.moveaxis(cov_x, 0, -1))  # (p, p, B)
    cy = np.ascontiguousarray(cov_xy.T)  # (p, B)
    r2 = np.zeros((1 << p, n_rep))
    inv = np.zeros((0, 0, 1, n_rep))  # inverse covariance block of each subset: (k, k, subsets, B)
    level_r2 = np.zeros((1, n_rep))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, (parent, added, s_members, masks) in enumerate(_levels(p)):
            c_sj = cx[s_members.T, added]  # (k, m, B)
            p_inv = inv[:, :, parent]  # (k, k, m, B)
            u = (p_inv * c_sj[None]).sum(axis=1)  # inverse block times c_sj: (k, m, B)
            c_jj = cx[added, added]  # (m, B)
            schur = c_jj - (c_sj * u).sum(axis=0)
            partial = cy[added] - (u * cy[s_members.T]).sum(axis=0)
            ok = schur > _COLLINEAR * np.maximum(c_jj, _COLLINEAR)
            inv_schur = np.where(ok, 1 / np.where(ok, schur, 1), 0.0)
            level_r2 = level_r2[parent] + np.where(ok, partial**2 * inv_schur, 0.0) / var_y
            scaled = u * inv_schur
            child = np.empty((k + 1, k + 1, len(parent), n_rep))
            child[:k, :k] = p_inv + u[:, None] * scaled[None]
            child[:k, k] = child[k, :k] = -scaled
            child[k, k] = inv_schur
            inv = child
            r2[masks] = level_r2
    return np.clip(np.nan_to_num(r2.T), 0, 1)


@lru_cache(maxsize=16)
def _marginal_terms(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per predictor j: the masks of subsets without j and the Shapley weight |S|!(p-|S|-1)!/p! of each."""
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    terms = []
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        terms.append((without, weight[sizes[without]]))
    return tuple(terms)


def shapley_r2(r2: np.ndarray) -> np.ndarray:
    """Shapley values (B, p) of each predictor's share of R², from `all_subset_r2` output (B, 2**p).

    Predictor j gets the weighted average of its R² gain when added to each subset without it; the values add
    up to the full model's R².
    """
    p = r2.shape[1].bit_length() - 1
    out = np.empty((r2.shape[0], p))
    for j, (without, weight) in enumerate(_marginal_terms(p)):
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight
    return out
