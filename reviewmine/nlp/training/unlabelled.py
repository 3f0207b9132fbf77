"""Unlabelled in-domain review text for a teacher to label (distillation beyond the labelled rows).

Teacher labels on unlabelled in-domain text are the main lever distillation offers (Tang et al. 2019,
"Distilling task-specific knowledge from BERT into simple neural networks"; TinyBERT's augmentation). The pool:
the sentences of the Amazon reviews we train on, of the app-store reviews (Maalej et al. 2016, used for nothing
else), and the aspect datasets' sentences that training leaves out for their labels (MAMS, SemEval-2015, ACOS).
Never text of an evaluation split: a sentence that also appears (normalised) in any tune/report/test split is
dropped.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from .data import Example, Split, norm_text

__all__ = ["UNLABELLED", "pool_rows", "text_key", "unlabelled_pool"]

UNLABELLED = "unlabelled"  # Example.source of the pool's rows
_APP_REVIEWS = Path("data") / "app-reviews-maalej" / "maalej2016.csv"
_FROM_TRAIN = ("amazon", "mams", "semeval2015_restaurants", "semeval2015_laptops", "acos")
_MIN_CHARS = 12  # "Great!" teaches little and real reviews repeat it thousands of times


def text_key(text: str) -> str:
    """A row's key in a teacher-targets file: 16 hex digits of the text's sha1 (the texts stay out of it)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _app_reviews(shared: Path) -> Iterable[str]:
    path = shared / _APP_REVIEWS
    if not path.is_file():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            title, body = (record.get("title") or "").strip(), (record.get("review") or "").strip()
            if body:
                yield f"{title}. {body}" if title and title not in {"-", "N/A"} else body


def unlabelled_pool(shared: Path, splits: Split, limit: int = 0) -> list[str]:
    """Distinct sentences of the pool, in a fixed order; ``limit`` > 0 keeps the first ``limit``."""
    from ..segment import clean_text, split_sentences

    held_out = {norm_text(r.text) for name, rows in splits.items() if name != "train" for r in rows}
    documents = [r.text for r in splits["train"] if r.source in _FROM_TRAIN]
    documents += list(_app_reviews(shared))
    seen: set[str] = set()
    out: list[str] = []
    for document in documents:
        for sentence in split_sentences(clean_text(document)):
            sentence = sentence.strip()
            if len(sentence) < _MIN_CHARS or sentence in seen or norm_text(sentence) in held_out:
                continue
            seen.add(sentence)
            out.append(sentence)
            if limit and len(out) >= limit:
                return out
    return out


def pool_rows(texts: Sequence[str], known: Iterable[str] = ()) -> list[Example]:
    """The pool as training rows with no labels of their own (every family comes from the teacher); texts that
    are already training rows (``known``) are left out so no text is seen twice."""
    skip = set(known)
    return [Example(text=t, source=UNLABELLED) for t in texts if t not in skip]
