"""The NLP stage: sentence tagging (model, training, evaluation) and the analyze pipeline.

Public API::

    from reviewmine.nlp import classify_texts, load_tagger
    classify_texts(["The waiter was rude.", "Great value!"])   # one dict per text, every tag and probability

torch and transformers load on first use, not on import; they come with the ``nlp`` extra
(``pip install 'reviewmine[nlp]'``). Training lives in `reviewmine.nlp.training` (the ``train`` extra).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .inference import DEFAULT_MODEL, load_tagger

__all__ = ["DEFAULT_MODEL", "classify_texts", "load_tagger", "predictor"]

_CACHE: dict[tuple[str, str | None, str, int, str, bool], Any] = {}
_LOCK = threading.Lock()


def predictor(
    model: str | os.PathLike[str] | None = None,
    *,
    encoder: str | None = None,
    precision: str = "auto",
    batch_size: int = 32,
    device: str = "cpu",
    compile: bool = False,
) -> Any:
    """A ready `inference.Predictor` for a model, loaded once per process and reused."""
    from .inference import Predictor, load_tagger, resolve_model_dir

    key = (str(resolve_model_dir(model).resolve()), encoder, precision, batch_size, device, compile)
    with _LOCK:
        if key not in _CACHE:
            tagger = load_tagger(key[0], encoder=encoder)
            runner = Predictor(tagger, precision=precision, batch_size=batch_size, device=device)
            if compile:
                runner.compile()
            _CACHE[key] = runner
        return _CACHE[key]


def classify_texts(
    texts: Sequence[str],
    *,
    model: str | os.PathLike[str] | None = None,
    precision: str = "auto",
    batch_size: int = 32,
) -> list[dict[str, Any]]:
    """Tag each text (a review or a sentence) and return one dict per text, in the same order.

    Each dict has ``status`` ("ok", "skipped: language xx", "skipped: no text"), ``language``, ``score`` in
    [-1, 1], ``label``, ``categories`` (with polarity), ``emotions``, ``ekman``, ``loyalty`` and ``sentences``:
    per sentence its decisions and every probability.
    """
    from .analyze import classify_batch

    if isinstance(texts, str):
        raise TypeError("classify_texts takes a list of strings; wrap a single text in a list")
    return classify_batch(predictor(model, precision=precision, batch_size=batch_size), list(texts))


def __getattr__(name: str) -> Any:
    """``DEFAULT_MODEL`` and ``load_tagger`` without importing `inference` (numpy) when the package loads: the CLI
    imports `reviewmine.nlp.training.settings` at start-up."""
    if name in ("DEFAULT_MODEL", "load_tagger"):
        from . import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
