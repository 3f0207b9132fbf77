"""Where a store lives: an SQLite file, or a PostgreSQL database named by a URL, and how to show it.

``--db``, ``$REVIEWMINE_DB`` and ``reviewmine.open()`` take either. A URL is shown everywhere (db info, run
summaries, error messages) with its password masked; the raw text is never echoed, not even when it fails to parse.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..errors import UsageError

__all__ = ["DEFAULT_DB", "POSTGRES_DRIVER", "display_name", "is_database_url", "mask_password", "resolve_db"]

DEFAULT_DB = "reviewmine.db"
POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_PASSWORD = re.compile(r"(://[^/@:]*:)[^@]*@")
_EXPECTED = "expected postgresql://user:password@host:port/dbname, or an SQLite file path"


def is_database_url(value: object) -> bool:
    """True for ``scheme://...`` text (a database URL), False for a path."""
    return isinstance(value, str) and _SCHEME.match(value) is not None


def mask_password(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@`` in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def resolve_db(value: str | os.PathLike[str] | None = None) -> Path | URL:
    """The database to open: ``value``, else ``$REVIEWMINE_DB``, else ``./reviewmine.db``.

    A PostgreSQL URL (``postgresql://``, ``postgres://`` or ``postgresql+psycopg://``) comes back as a SQLAlchemy
    URL for psycopg 3 (its ``str()`` masks the password); ``sqlite:///PATH`` and anything else as a path.
    """
    raw = value or os.environ.get("REVIEWMINE_DB") or DEFAULT_DB
    if not is_database_url(raw):
        return Path(raw)
    text = str(raw)
    scheme = _SCHEME.match(text).group(1).lower()  # type: ignore[union-attr]
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return Path(text.split("://", 1)[1].removeprefix("/") or DEFAULT_DB)
    if scheme not in _POSTGRES_SCHEMES:
        raise UsageError(f"unsupported database URL scheme {scheme}://; {_EXPECTED}", where="--db")
    try:
        url = make_url(text)
    except Exception:  # the parser's message quotes the whole URL, password included
        raise UsageError(f"not a valid database URL: {mask_password(text)}; {_EXPECTED}", where="--db") from None
    if not url.database:
        raise UsageError(f"the URL {display_name(url)} names no database; {_EXPECTED}", where="--db")
    return url.set(drivername=POSTGRES_DRIVER)


def display_name(url: URL) -> str:
    """``postgresql://user:***@host:port/dbname``: the URL as users typed it, password masked."""
    return url.set(drivername=url.drivername.split("+")[0]).render_as_string(hide_password=True)
