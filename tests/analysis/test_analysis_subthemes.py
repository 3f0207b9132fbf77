"""Sub-themes: clusters of TF-IDF / random-projection embeddings named by class-based TF-IDF."""

from __future__ import annotations

import numpy as np
import pytest
from _analysis_data import spiked
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.random_projection import GaussianRandomProjection

from reviewmine.analysis import subthemes
from reviewmine.errors import InputError


@pytest.fixture(scope="module")
def sample():
    sentences = spiked().sentences
    # Synthetic text follows a sentence's main category only, so keep sentences with a single mention.
    single = sentences.filter(like="cat_").sum(axis=1) == 1
    sentences = sentences[single].sample(3000, random_state=0).reset_index(drop=True)
    vectorizer = TfidfVectorizer().fit(sentences["text"].astype(str))
    return sentences, vectorizer


def test_two_price_complaints_are_told_apart_and_named(sample):
    sentences, vectorizer = sample
    tfidf = vectorizer.transform(sentences["text"].astype(str))
    themes = subthemes(sentences, tfidf, categories=["price"], polarity="negative")
    assert len(themes) == 2 and set(themes["category"]) == {"price"} and set(themes["polarity"]) == {"negative"}
    assert themes["share"].sum() == pytest.approx(1)
    assert themes["sentences"].is_monotonic_decreasing
    named = {tuple(sorted(w[:4])) for w in themes["words"]}
    fee = [w for w in themes["words"] if {"hidden", "booking", "fee", "checkout"} & set(w[:4])]
    assert len(fee) == 1, named
    for words, quotes in zip(themes["words"], themes["quotes"], strict=True):
        assert quotes and all("terrible" in q["text"] for q in quotes)
        is_fee = bool({"hidden", "booking", "fee", "checkout"} & set(words[:4]))
        assert all(("fee" in q["text"]) == is_fee for q in quotes)
        assert all(q["review_key"].startswith("synthetic:") for q in quotes)


def test_random_projection_embeddings_and_a_callable(sample):
    sentences, vectorizer = sample
    projection = GaussianRandomProjection(n_components=16, random_state=0).fit(vectorizer.transform(["x"]))
    dense = projection.transform(vectorizer.transform(sentences["text"].astype(str)))
    themes = subthemes(sentences, dense, categories=["people", "price"], k_range=range(2, 5))
    assert set(themes["category"]) == {"people", "price"}
    assert np.allclose(themes.groupby("category", observed=True)["share"].sum(), 1)

    calls: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return projection.transform(vectorizer.transform(texts))

    by_callable = subthemes(sentences, embed, categories=["people"], k_range=range(2, 5))
    assert calls and max(calls) <= 6  # each distinct text is embedded once
    assert by_callable["silhouette"].iloc[0] > 0.3


def test_small_categories_are_skipped_and_bad_input_rejected(sample):
    sentences, vectorizer = sample
    tfidf = vectorizer.transform(sentences["text"].astype(str))
    assert subthemes(sentences.head(10), tfidf[:10]).empty
    with pytest.raises(InputError, match="embeddings"):
        subthemes(sentences, tfidf[:10])
    with pytest.raises(InputError, match="polarity"):
        subthemes(sentences, tfidf, polarity="angry")
