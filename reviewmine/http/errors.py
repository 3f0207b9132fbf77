"""Why a fetch failed, in words a user can act on; the CLI prints ``error: <url>: <message>`` and exits 1."""

from __future__ import annotations

from ..errors import ReviewmineError

__all__ = ["BlockedError", "DisallowedError", "FetchError", "HttpStatusError", "RedirectError", "TooLargeError"]


class FetchError(ReviewmineError):
    """A page could not be fetched (after the retries the settings allow)."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        self.reason = message
        super().__init__(f"{url}: {message}")


class BlockedError(FetchError):
    """The site refused us (401/403, a bot-protection or captcha page): retrying would not help."""


class DisallowedError(FetchError):
    """robots.txt does not allow the URL (or could not be read), so it was never requested."""


class HttpStatusError(FetchError):
    """The final answer was an HTTP error that retrying does not fix (404, 410, 400...)."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        self.status = status
        super().__init__(message, url=url)


class TooLargeError(FetchError):
    """The body was larger than the configured maximum; reading stopped at the limit."""


class RedirectError(FetchError):
    """A redirect loop, too many redirects, or a redirect to a URL we do not fetch."""
