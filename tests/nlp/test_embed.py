"""Sub-theme clustering embeds sentences with the packaged all-MiniLM-L6-v2, offline."""

from __future__ import annotations

import numpy as np

from reviewmine.nlp.embed import sentence_embeddings


def test_embeddings_are_normalised_ordered_and_semantic() -> None:
    texts = ["The pizza arrived stone cold.", "The waiter was rude to us.", "Our food was cold when it came."]
    vectors = sentence_embeddings(texts)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    similarity = vectors @ vectors.T
    assert similarity[0, 2] > similarity[0, 1] + 0.1  # cold food is nearer cold food than rude staff
    assert np.allclose(sentence_embeddings(texts[::-1])[::-1], vectors, atol=1e-5)  # order kept
