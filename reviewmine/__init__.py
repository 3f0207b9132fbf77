"""reviewmine: what customers say about a brand in public reviews.

Notebook use::

    import reviewmine
    db = reviewmine.open("reviews.db")
    db.reviews(brand="Acme", since="90d")      # a pandas DataFrame

Heavy libraries (pandas, torch, transformers) load only when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = ["Review", "Workspace", "__version__", "open"]

if TYPE_CHECKING:
    from .records import Review
    from .workspace import Workspace


def open(path: Any = None) -> Workspace:
    """Open (creating if needed) a reviewmine database: a SQLite file (default ``./reviewmine.db`` or
    ``$REVIEWMINE_DB``) or a ``postgresql://user:pass@host/dbname`` URL; see `reviewmine.workspace.Workspace`."""
    from .workspace import open_workspace

    return open_workspace(path)


def __getattr__(name: str) -> Any:
    if name == "Review":
        from .records import Review

        return Review
    if name == "Workspace":
        from .workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'reviewmine' has no attribute {name!r}")
