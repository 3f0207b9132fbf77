"""Batched inference on a (random) saved tagger: order, long sentences, precision, model lookup, robustness."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from runtime_fixtures import random_model_dir, random_predictor

from reviewmine.errors import InputError
from reviewmine.nlp import classify_texts
from reviewmine.nlp.inference import (
    Predictor,
    cpu_supports_bf16,
    load_tagger,
    read_model_version,
    resolve_model_dir,
    resolve_precision,
)
from reviewmine.taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

SENTENCES = [
    "The waiter was rude.",
    "ok",
    "We waited forty minutes for a table and nobody apologised, which was the worst part of the evening.",
    "Great value!",
    "Cancelled my subscription.",
]


def test_predictions_keep_input_order_whatever_the_batching() -> None:
    predictor = random_predictor()
    _, _, together = predictor.predict(SENTENCES)
    for i, sentence in enumerate(SENTENCES):
        _, _, alone = predictor.predict([sentence])
        np.testing.assert_allclose(alone.category[0], together.category[i], atol=1e-4)
        np.testing.assert_allclose(alone.emotion[0], together.emotion[i], atol=1e-4)


def test_probability_shapes_and_ranges() -> None:
    predictor = random_predictor()
    texts, owners, probs = predictor.predict(SENTENCES)
    assert texts == SENTENCES and owners == list(range(len(SENTENCES)))
    n = len(SENTENCES)
    assert probs.category.shape == (n, len(CATEGORIES))
    assert probs.category_polarity.shape == (n, len(CATEGORIES), len(POLARITIES))
    assert probs.emotion.shape == (n, len(EMOTIONS)) and probs.loyalty.shape == (n, len(LOYALTY_SIGNALS))
    assert probs.ekman.shape == (n, len(EKMAN_GROUPS))
    np.testing.assert_allclose(probs.polarity.sum(1), 1.0, atol=1e-5)
    assert ((probs.score >= -1) & (probs.score <= 1)).all()
    decisions = predictor.decide(probs)
    assert ((decisions.category_polarity == -1) == ~decisions.category).all()


def test_long_sentences_are_cut_never_dropped() -> None:
    predictor = random_predictor()
    words = [f"word{i}" for i in range(700)]
    long = " ".join(words)
    texts, owners, probs = predictor.predict(["Short one.", long])
    assert owners[0] == 0 and set(owners[1:]) == {1} and len(texts) > 2
    assert " ".join(texts[1:]).split() == words  # every word is in exactly one piece, in order
    assert all(len(ids) <= predictor.max_length for ids in predictor.pieces(texts)[2])
    assert probs.category.shape[0] == len(texts)


def test_empty_input() -> None:
    predictor = random_predictor()
    texts, owners, probs = predictor.predict([])
    assert texts == [] and owners == [] and probs.category.shape == (0, len(CATEGORIES))


def test_precision_choice() -> None:
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if flags:
        assert cpu_supports_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)
    assert resolve_precision("auto") == ("bf16" if cpu_supports_bf16() else "fp32")
    assert resolve_precision("int8") == "int8"
    with pytest.raises(InputError):
        resolve_precision("fp8")


@pytest.mark.parametrize(("precision", "tolerance"), [("bf16", 0.05), ("int8", 0.15)])
def test_reduced_precision_stays_close_to_fp32(precision: str, tolerance: float) -> None:
    reference = random_predictor("fp32").predict(SENTENCES)[2]
    reduced = random_predictor(precision).predict(SENTENCES)[2]
    for family in ("category", "polarity", "emotion", "loyalty"):
        diff = np.abs(getattr(reference, family) - getattr(reduced, family)).max()
        assert diff < tolerance, (family, diff)


def test_model_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = random_model_dir()
    assert resolve_model_dir(str(model_dir)) == model_dir
    monkeypatch.setenv("REVIEWMINE_MODELS", str(model_dir.parent))
    assert resolve_model_dir(model_dir.name) == model_dir
    assert read_model_version(model_dir.name) == "test-random-1"
    with pytest.raises(InputError, match="model not found"):
        resolve_model_dir("no-such-model")
    with pytest.raises(InputError, match="model not found"):
        resolve_model_dir(str(model_dir / "missing"))


def test_loads_offline_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = random_model_dir()

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted while loading the model")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    tagger = load_tagger(model_dir)
    result = Predictor(tagger, precision="fp32").predict(["Loaded without a network."])
    assert result[2].category.shape == (1, len(CATEGORIES))


# -- robustness through the public API ---------------------------------------------------------------------


def _classify(texts: list[str]) -> list[dict]:
    return classify_texts(texts, model=random_model_dir(), precision="fp32")


def test_classify_texts_shape_and_order() -> None:
    texts = ["The waiter was rude. Never again!", "Great value.", "The soup was cold."]
    results = _classify(texts)
    assert [r["text"] for r in results] == texts
    first = results[0]
    assert first["status"] == "ok" and first["language"] == "en" and -1 <= first["score"] <= 1
    assert first["label"] in {"positive", "negative", "neutral"}
    assert [s["text"] for s in first["sentences"]] == ["The waiter was rude.", "Never again!"]
    probabilities = first["sentences"][0]["probabilities"]
    assert set(probabilities) == {"polarity", "category", "category_polarity", "emotion", "ekman", "loyalty"}
    assert list(probabilities["emotion"]) == list(EMOTIONS)
    json.dumps(results)  # plain JSON types only
    with pytest.raises(TypeError):
        classify_texts("a bare string")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   \n  ", "😡😡😡", "!!!", "<p>&nbsp;</p>"])
def test_texts_without_words_are_skipped(text: str) -> None:
    (result,) = _classify([text])
    assert result["status"] == "skipped: no text" and result["score"] is None and result["sentences"] == []


def test_html_entities_and_tags_are_cleaned() -> None:
    (result,) = _classify(["<p>Fish &amp;amp; chips were great&#33;</p><br>The staff &lt;3"])
    assert [s["text"] for s in result["sentences"]] == ["Fish & chips were great!", "The staff <3"]


def test_all_caps_reads_like_lower_case() -> None:
    upper, lower = _classify(["THE WAITER WAS RUDE.", "the waiter was rude."])
    assert upper["sentences"][0]["probabilities"] == lower["sentences"][0]["probabilities"]


def test_very_long_review_keeps_every_sentence() -> None:
    sentence = "The room was clean but the breakfast was cold and the staff seemed tired"
    text = ". ".join([sentence] * 300) + "."
    (result,) = _classify([text])
    assert result["status"] == "ok" and len(result["sentences"]) == 300


def test_non_english_review_is_skipped_not_scored() -> None:
    (result,) = _classify(["Das Essen war kalt und der Kellner war unfreundlich. Nie wieder!"])
    assert result["status"] == "skipped: language de" and result["language"] == "de"
    assert result["score"] is None and result["sentences"] == []


def test_mixed_language_review_scores_only_english_sentences() -> None:
    text = "The pizza was great and the staff were lovely. Der Kellner war aber sehr unfreundlich."
    (result,) = _classify([text])
    assert result["status"] == "ok" and result["language"] == "en" and result["skipped_sentences"] == 1
    assert [s["text"] for s in result["sentences"]] == ["The pizza was great and the staff were lovely."]


def test_each_distinct_sentence_is_run_once_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = random_predictor()
    sentences = ["Love it!", "The parcel was late.", "Love it!", "Love it!", "Fast delivery.", "The parcel was late."]
    seen: list[int] = []
    run = predictor._predict_distinct
    monkeypatch.setattr(predictor, "_predict_distinct", lambda ids: seen.append(len(ids)) or run(ids))
    _, _, probs = predictor.predict(sentences)
    assert seen == [3]  # three distinct sentences reach the model
    _, _, alone = predictor.predict(["Love it!", "The parcel was late.", "Fast delivery."])
    for got, want in ((probs.category, alone.category), (probs.ekman, alone.ekman), (probs.review, alone.review)):
        np.testing.assert_allclose(got[[0, 1, 4]], want, atol=1e-5)
        np.testing.assert_array_equal(got[[0, 2, 3]], got[[0, 0, 0]])
    assert probs.score.shape == (6,)
