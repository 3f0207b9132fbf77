"""Text cleaning, sentence segmentation and language identification (no model needed)."""

from __future__ import annotations

import pytest

from reviewmine.nlp.language import MODEL_LANGUAGE, identify, review_language
from reviewmine.nlp.segment import clean_text, has_words, review_text, split_sentences


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Fish &amp; chips were great&#33;", "Fish & chips were great!"),
        ("Fish &amp;amp; chips", "Fish & chips"),  # escaped twice by the source
        ("The <b>staff</b> were <i>lovely</i>.", "The staff were lovely."),
        ("Good.<br/>Cheap.<p>Fast</p>", "Good.\nCheap.\nFast"),
        ("<script>alert(1)</script>Nice<style>p{}</style>", "Nice"),
        ("Slow <!-- internal note --> delivery<script>x()</script>, again.", "Slow delivery, again."),
        ("<html><body><li>Cold<li>Late</body>", "Cold\nLate"),
        ("I <3 this &lt;3 and 2 < 3", "I <3 this <3 and 2 < 3"),
        ("zero\u200bwidth\u00a0and   spaces\r\n\r\n\nnext", "zerowidth and spaces\nnext"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, clean: str) -> None:
    assert clean_text(raw) == clean


def test_review_text_puts_the_title_on_its_own_line() -> None:
    assert review_text("Never again", "The food was cold.") == "Never again\nThe food was cold."
    assert review_text(None, " body ") == "body"
    assert review_text("", "") == ""


def test_split_sentences() -> None:
    text = "Dr. Smith was great. The U.S. version costs $4.50! Would recommend :)"
    assert split_sentences(text) == ["Dr. Smith was great.", "The U.S. version costs $4.50!", "Would recommend :)"]


def test_line_breaks_end_sentences_and_wordless_fragments_attach() -> None:
    assert split_sentences("WHAT A RIPOFF!!\n.\nbroken on arrival") == ["WHAT A RIPOFF!!.", "broken on arrival"]
    assert split_sentences("👍 Great stuff. Love it!!! ❤️") == ["👍 Great stuff.", "Love it!!! ❤️"]
    assert split_sentences("GREAT PRODUCT!!!WILL BUY AGAIN") == ["GREAT PRODUCT!!!", "WILL BUY AGAIN"]


@pytest.mark.parametrize("text", ["", "   ", "😡😡😡", "!!! ... ???", "👍\n👍"])
def test_text_without_words_has_no_sentences(text: str) -> None:
    assert split_sentences(clean_text(text)) == []
    assert not has_words(text)


def test_pysbd_backend_agrees_on_plain_text() -> None:
    text = "The waiter was rude. The soup was cold. We will not be back."
    assert split_sentences(text, segmenter="pysbd") == split_sentences(text)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The waiter was rude and the soup was cold.", "en"),
        ("THE WAITER WAS RUDE AND THE SOUP WAS COLD.", "en"),
        ("Das Essen war kalt und der Kellner war unfreundlich.", "de"),
        ("Le serveur était impoli et la soupe était froide.", "fr"),
        ("El envío tardó dos semanas y nadie contestó.", "es"),
        ("とても良いサービスでした", "ja"),
        ("Очень плохо, не рекомендую", "ru"),
    ],
)
def test_identify(text: str, language: str) -> None:
    assert identify(text)[0] == language


@pytest.mark.parametrize("text", ["Avoid.", "ok", "Sehr gut!", "5 stars", "A+++", ""])
def test_short_texts_are_undetermined(text: str) -> None:
    assert identify(text)[0] is None


def test_review_language_majority_and_per_sentence() -> None:
    mixed = ["The pizza was great and the staff were lovely.", "Der Kellner war aber sehr unfreundlich."]
    decided = review_language(mixed)
    assert decided.language == MODEL_LANGUAGE and decided.source == "sentences"
    assert decided.scored(0) and not decided.scored(1)
    german = ["Das Essen war kalt und der Kellner war unfreundlich.", "Nie wieder!"]
    assert review_language(german).language == "de"


def test_review_language_fallbacks() -> None:
    assert review_language(["Avoid."]).source == "assumed"
    assert review_language(["Avoid."]).language == MODEL_LANGUAGE
    stated = review_language(["Sehr gut!"], stated="de-DE")
    assert (stated.language, stated.source) == ("de", "stated")
    short = review_language(["Sehr gut.", "Gerne wieder.", "Danke!"])
    assert short.language == "de" and short.source == "text"
