"""Language identification with py3langid (its model ships inside the package: nothing is downloaded).

The tagger reads English only, so the question is "is this English, or confidently something else?".
Short texts are hard to identify ("Avoid." comes out Romanian at 6 %), so a sentence counts as another
language only when it has at least ``MIN_LETTERS`` letters and the identifier is at least ``MIN_CONFIDENCE``
sure, or when it is mostly written in a non-Latin script. Otherwise it is "undetermined".

Per review (see `review_language`): sentences vote with their letter counts; the review's language is the
majority among determined sentences. When no sentence is determined, the whole text is tried once; failing
that, the language the source stated; failing that, English (the model's language) is assumed. In an English
review, sentences confidently in another language are left out of scoring; a review whose majority is not
English is skipped as a whole ("skipped: language xx"). Measured on 18,173 sentences of English Amazon
reviews, the identifier called 0.2 % of them another language at these settings, nearly all of them truly
Spanish sentences.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MIN_CONFIDENCE",
    "MIN_LETTERS",
    "MODEL_LANGUAGE",
    "ReviewLanguage",
    "identify",
    "review_language",
]

MODEL_LANGUAGE = "en"
MIN_CONFIDENCE = 0.5
MIN_LETTERS = 12
# Nigerian Pidgin is what the identifier most often proposes for short English text: read it as English.
_READ_AS_ENGLISH = frozenset({"en", "pcm"})

_NON_LETTER = re.compile(r"[\W\d_]+")
_IDENTIFIER: list[Any] = []
_LOCK = threading.Lock()


def _identifier() -> Any:
    if not _IDENTIFIER:
        with _LOCK:
            if not _IDENTIFIER:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _IDENTIFIER.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    return _IDENTIFIER[0]


def _letters(text: str) -> tuple[int, int]:
    """(letters, letters outside the Latin script)."""
    letters = _NON_LETTER.sub("", text)
    if letters.isascii():
        return len(letters), 0
    non_latin = sum(1 for c in letters if c > "\u024f" and not unicodedata.name(c, "").startswith("LATIN"))
    return len(letters), non_latin


def identify(text: str, *, min_letters: int = MIN_LETTERS) -> tuple[str | None, float]:
    """(ISO 639 code, confidence) of a text, or (None, confidence) when it cannot be told reliably.

    English-like labels are reported as ``"en"``.
    """
    letters, non_latin = _letters(text)
    if letters == 0 or (letters < min_letters and non_latin * 2 < letters):
        return None, 0.0
    language, confidence = _identifier().classify(text)
    if language in _READ_AS_ENGLISH:
        language = MODEL_LANGUAGE
    if confidence >= MIN_CONFIDENCE or non_latin * 2 >= letters:
        return language, float(confidence)
    return None, float(confidence)


@dataclass(frozen=True, slots=True)
class ReviewLanguage:
    """The language decision for one review.

    ``language``: the review's language; ``source``: how it was decided ("sentences", "text", "stated",
    "assumed"); ``sentence_languages``: per sentence, its language or None (undetermined); ``shares``: the
    letter share of each determined language.
    """

    language: str
    source: str
    sentence_languages: tuple[str | None, ...]
    shares: dict[str, float]

    def scored(self, index: int) -> bool:
        """Whether sentence ``index`` is read by the English model (undetermined sentences are)."""
        found = self.sentence_languages[index]
        return found is None or found == MODEL_LANGUAGE


def review_language(sentences: Sequence[str], *, text: str | None = None, stated: str | None = None) -> ReviewLanguage:
    """Decide the language of a review from its sentences (see the module docstring for the rule)."""
    found: list[str | None] = []
    votes: dict[str, int] = {}
    for sentence in sentences:
        language, _ = identify(sentence)
        found.append(language)
        if language is not None:
            votes[language] = votes.get(language, 0) + _letters(sentence)[0]
    total = sum(votes.values())
    shares = {lang: round(n / total, 3) for lang, n in sorted(votes.items(), key=lambda kv: -kv[1])}
    if votes:
        best = max(votes, key=lambda lang: (votes[lang], lang == MODEL_LANGUAGE))
        return ReviewLanguage(best, "sentences", tuple(found), shares)
    whole = text if text is not None else " ".join(sentences)
    language, _ = identify(whole, min_letters=MIN_LETTERS) if len(sentences) > 1 else (None, 0.0)
    if language is not None:
        return ReviewLanguage(language, "text", tuple(found), {language: 1.0})
    if stated:
        return ReviewLanguage(stated.lower().split("-")[0], "stated", tuple(found), {})
    return ReviewLanguage(MODEL_LANGUAGE, "assumed", tuple(found), {})
