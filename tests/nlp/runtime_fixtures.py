"""Shared by the runtime and analyze tests: a randomly initialised tagger saved once per test session.

The heads are random (seeded), so these tests check the machinery (batching, order, storage, robustness),
not the quality of the tags; the golden-set test checks the trained default model.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO / "models" / "reviewmine-tagger"


@functools.cache
def random_model_dir(version: str = "test-random-1") -> Path:
    """A saved random tagger with this model_version (one folder per version, removed at exit)."""
    from reviewmine.nlp.model import Tagger, TaggerConfig

    folder = Path(tempfile.mkdtemp(prefix="reviewmine-tagger-"))
    atexit.register(shutil.rmtree, folder, True)
    Tagger.from_encoder(config=TaggerConfig(model_version=version)).save(folder)
    return folder


@functools.cache
def random_predictor(precision: str = "fp32", batch_size: int = 8):  # type: ignore[no-untyped-def]
    from reviewmine.nlp.inference import Predictor, load_tagger

    return Predictor(load_tagger(random_model_dir()), precision=precision, batch_size=batch_size)
