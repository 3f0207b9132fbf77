"""Sub-themes within a clue category: cluster sentence embeddings, name clusters by their distinctive words.

k is chosen by silhouette over a small range (sklearn), clusters are named by class-based TF-IDF (the
BERTopic formula: term frequency in the cluster x log(1 + average words per cluster / term frequency overall)),
and quoted by the sentences nearest to the centroid. Embeddings come from the caller (an array aligned with the
sentence rows, or a function of a list of texts), so this module never loads a model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import cat_col, catpol_col
from ..errors import InputError
from ..taxonomy import CATEGORIES, POLARITIES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SUBTHEME_COLUMNS", "subthemes"]

SUBTHEME_COLUMNS: tuple[str, ...] = (
    "category", "polarity", "subtheme", "label", "words", "sentences", "share", "reviews", "silhouette", "quotes",
)  # fmt: skip
Embedder = Callable[[list[str]], Any]


def _embed(sentences: pd.DataFrame, embeddings: Any, rows: np.ndarray) -> np.ndarray:
    """Embeddings of ``rows``, L2-normalised so Euclidean k-means follows cosine similarity."""
    if callable(embeddings):
        texts = sentences["text"].iloc[rows].astype(str)
        unique, inverse = np.unique(texts.to_numpy(), return_inverse=True)
        vectors = np.asarray(embeddings(list(unique)), dtype=np.float64)[inverse]
    else:
        picked = embeddings[rows]
        vectors = np.asarray(picked.toarray() if hasattr(picked, "toarray") else picked, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def _choose_k(x: np.ndarray, ks: Sequence[int], seed: int, sample: int) -> tuple[Any, float]:
    """The KMeans fit with the best silhouette over ``ks`` (fit on at most ``sample`` rows)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(len(x), sample, replace=False) if len(x) > sample else np.arange(len(x))
    x_fit = x[fit_rows]
    distinct = len(np.unique(np.round(x_fit, 9), axis=0))
    best, best_score = None, -np.inf
    for k in ks:
        if not (2 <= k <= distinct and k < len(x_fit)):  # silhouette needs 2 <= k < n
            continue
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(x_fit)
        score = silhouette_score(x_fit, model.labels_, sample_size=min(len(x_fit), 5000), random_state=seed)
        if score > best_score:
            best, best_score = model, float(score)
    return best, best_score


def _ctfidf(texts: list[str], labels: np.ndarray, n_clusters: int, top: int) -> list[list[str]]:
    """Top ``top`` distinctive words per cluster by class-based TF-IDF."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    try:
        counts = CountVectorizer(stop_words="english").fit(texts)
    except ValueError:  # only stop words
        return [[] for _ in range(n_clusters)]
    words = counts.get_feature_names_out()
    per_doc = counts.transform(texts)
    n = len(labels)
    member = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(n_clusters, n))
    per_class = np.asarray((member @ per_doc).todense(), dtype=np.float64)
    tf = per_class / np.maximum(per_class.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per_class.sum(axis=1).mean() / np.maximum(per_class.sum(axis=0), 1))
    score = tf * idf
    return [[str(words[j]) for j in np.argsort(-row)[:top] if row[j] > 0] for row in score]


def subthemes(
    sentences: pd.DataFrame,
    embeddings: Any | Embedder,
    *,
    categories: Sequence[str] | None = None,
    polarity: str | None = None,
    k_range: Sequence[int] = range(2, 9),
    min_sentences: int = 20,
    top_words: int = 6,
    quotes: int = 3,
    sample: int = 20_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Sub-themes per category (``SUBTHEME_COLUMNS``), largest first.

    ``embeddings``: an (n_sentences, d) array (dense or scipy sparse) aligned with ``sentences`` rows, or a
    function turning a list of texts into such an array. ``polarity`` keeps only mentions of that polarity
    (e.g. "negative" for complaint sub-themes). Categories with fewer than ``min_sentences`` sentences, or with
    no k giving 2+ clusters, are left out. ``quotes``: distinct texts nearest the centroid, with review keys.
    """
    import pandas as pd

    if polarity is not None and polarity not in POLARITIES:
        raise InputError(f"unknown polarity {polarity!r}; use {', '.join(POLARITIES)}", where="polarity")
    chosen = list(categories or CATEGORIES)
    bad = [c for c in chosen if c not in CATEGORIES]
    if bad:
        raise InputError(f"unknown category {', '.join(bad)}", where="categories")
    if not callable(embeddings) and embeddings.shape[0] != len(sentences):
        raise InputError(f"{embeddings.shape[0]} embeddings for {len(sentences)} sentences", where="embeddings")
    out = []
    for category in chosen:
        mask = sentences[cat_col(category)].to_numpy(dtype=bool, na_value=False)
        if polarity is not None:
            mask = mask & (sentences[catpol_col(category)] == polarity).to_numpy(dtype=bool, na_value=False)
        rows = np.flatnonzero(mask)
        if len(rows) < min_sentences:
            continue
        x = _embed(sentences, embeddings, rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning on duplicate points
            model, silhouette = _choose_k(x, k_range, seed, sample)
        if model is None:
            continue
        labels = model.predict(x)
        out.append(_describe(sentences, rows, x, labels, model.cluster_centers_, silhouette, category, polarity,
                             top_words, quotes))  # fmt: skip
    if not out:
        return pd.DataFrame(columns=list(SUBTHEME_COLUMNS))
    return pd.concat(out, ignore_index=True)[list(SUBTHEME_COLUMNS)]


def _describe(
    sentences: pd.DataFrame,
    rows: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    silhouette: float,
    category: str,
    polarity: str | None,
    top_words: int,
    quotes: int,
) -> pd.DataFrame:
    import pandas as pd

    texts = sentences["text"].iloc[rows].astype(str).tolist()
    keys = sentences["review_key"].iloc[rows].astype(str).to_numpy()
    k = len(centers)
    words = _ctfidf(texts, labels, k, top_words)
    sizes = np.bincount(labels, minlength=k)
    distance = np.linalg.norm(x - centers[labels], axis=1)
    records = []
    for rank, cluster in enumerate(np.argsort(-sizes, kind="stable")):
        members = np.flatnonzero(labels == cluster)
        picked, seen = [], set()
        for i in members[np.argsort(distance[members], kind="stable")]:
            if texts[i] not in seen:
                seen.add(texts[i])
                picked.append({"text": texts[i], "review_key": keys[i]})
            if len(picked) == quotes:
                break
        records.append({
            "category": category, "polarity": polarity or "any", "subtheme": rank,
            "label": " · ".join(words[cluster][:3]), "words": words[cluster], "sentences": int(sizes[cluster]),
            "share": sizes[cluster] / len(rows), "reviews": len(set(keys[members])), "silhouette": silhouette,
            "quotes": picked,
        })  # fmt: skip
    return pd.DataFrame.from_records(records)
