"""Which URLs we fetch (http and https with a host, nothing else) and how hosts are keyed for politeness."""

from __future__ import annotations

import httpx

from ..errors import InputError

__all__ = ["host_key", "origin", "validate_url"]

_SCHEMES = ("http", "https")


def validate_url(url: str, *, where: str | None = None) -> str:
    """Return ``url`` when it is an absolute http(s) URL with a host; raise InputError saying why not."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise InputError(f"not a valid URL ({exc})", where=where or repr(url)) from None
    if parsed.scheme not in _SCHEMES:
        shown = parsed.scheme or "none"
        raise InputError(f"only http and https URLs are fetched (scheme: {shown})", where=where or url)
    if not parsed.host:
        raise InputError("the URL has no host", where=where or url)
    return str(parsed)


def host_key(url: str) -> str:
    """The politeness key: the host name, so every port and scheme of one server shares one pace."""
    return httpx.URL(url).host.lower()


def origin(url: str) -> str:
    """scheme://host:port, the scope of one robots.txt."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host.lower()}:{port}"
