"""Cleaning review text and splitting it into sentences.

Segmentation uses `sentencex` (Wikimedia's rule-based segmenter, compiled): measured on 2,000 Amazon reviews
on the project machine it splits ~120,000 reviews/s against ~360/s for pysbd, which alone would have used the
whole 300 reviews/s budget of the tagging stage (see benchmarks/bench_nlp_speed.py, which measures both; pysbd
comes with the dev extra only).
A line break always ends a sentence: reviews use them for lists and for sentences without a full stop.
Fragments with no letter or digit (a stray ".", "!!!", an emoji) are attached to the previous sentence.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

__all__ = ["SEGMENTERS", "clean_text", "has_words", "review_text", "split_sentences"]

_TAG_HINT = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>|<!--")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr|p|li)\b[^>]*>", re.IGNORECASE)
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_WORD_CHAR = re.compile(r"[^\W_]")
_TRAILING_PUNCT = frozenset(".!?…,;:)]")


def clean_text(text: str | None) -> str:
    """Text as a reader sees it: entities unescaped, tags stripped, invisible characters and runs of spaces gone.

    Line breaks are kept (one per break) because they end sentences.
    """
    if not text:
        return ""
    for _ in range(2):  # sources sometimes escape twice ("&amp;amp;")
        if "&" not in text:
            break
        text = html.unescape(text)
    if "<" in text and _TAG_HINT.search(text):
        text = _strip_tags(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def _strip_tags(text: str) -> str:
    """Remove markup with lxml's HTML parser (not a regex), turning block-level breaks into line breaks."""
    from lxml import etree

    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    # As UTF-8 bytes: a lone surrogate (JSON can escape one) becomes "?" instead of emptying the whole text.
    root = etree.fromstring(_BLOCK_TAG.sub("\n", text).encode("utf-8", "replace"), parser)
    if root is None:  # nothing but comments or processing instructions
        return ""
    etree.strip_elements(root, "script", "style", with_tail=False)
    return "".join(root.itertext())


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (emoji- or punctuation-only text has none)."""
    return bool(_WORD_CHAR.search(text))


def review_text(title: str | None, body: str | None) -> str:
    """The text analysed for a review: the title (if any) as its own line, then the body."""
    parts = [clean_text(title), clean_text(body)]
    return "\n".join(part for part in parts if part)


def _sentencex(text: str) -> list[str]:
    import sentencex

    return list(sentencex.segment("en", text))


_PYSBD: list[object] = []


def _pysbd(text: str) -> list[str]:
    if not _PYSBD:
        import pysbd

        _PYSBD.append(pysbd.Segmenter(language="en", clean=False))
    return list(_PYSBD[0].segment(text))  # type: ignore[attr-defined]


SEGMENTERS: dict[str, Callable[[str], list[str]]] = {"sentencex": _sentencex, "pysbd": _pysbd}


def split_sentences(text: str, *, segmenter: str = "sentencex") -> list[str]:
    """The sentences of a cleaned text, in order.

    Word-less fragments ("!!!", an emoji) join the previous sentence (or the next one at the start), so a text
    with no letter or digit at all has no sentence: there is nothing for the model to read.
    """
    split = SEGMENTERS[segmenter]
    sentences: list[str] = []
    pending = ""
    for line in text.split("\n"):
        for piece in split(line) if line.strip() else ():
            piece = piece.strip()
            if not piece:
                continue
            if has_words(piece):
                sentences.append(f"{pending} {piece}".strip())
                pending = ""
            elif sentences:
                sep = "" if piece[0] in _TRAILING_PUNCT else " "
                sentences[-1] = f"{sentences[-1]}{sep}{piece}"
            else:
                pending = f"{pending} {piece}".strip()
    return sentences
