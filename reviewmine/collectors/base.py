"""The contract between a source module and the collection runner.

A collector knows one site: how to build the request for a page (``request_for``), how to read a response into
reviews (``parse``, pure: no I/O, so it is tested on saved pages), and how to move to the next page
(``next_cursor``). Politeness, retries and storage live elsewhere (reviewmine.http, reviewmine.collect), like
scrapy's spiders vs its downloader middlewares and pipelines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import InputError
from ..http.messages import Request, Response  # re-exported: plug-in collectors may import them from here
from ..records import Review

__all__ = ["Collector", "ParseError", "ParsedPage", "Request", "Response"]


@dataclass
class ParsedPage:
    """The reviews on one page, and what the page says about the whole collection."""

    reviews: list[Review]
    expected_total: int | None = None  # reviews the source says it has (for coverage)
    total_pages: int | None = None
    next_token: str | None = None  # cursor / continuation token for the next page, when the page gives one


class ParseError(InputError):
    """A page did not have what the parser needs; the message names the source, URL and field."""

    def __init__(self, source: str, url: str, message: str, *, field: str | None = None) -> None:
        self.source, self.url, self.field = source, url, field
        detail = f"{message} (field {field})" if field else message
        super().__init__(detail, where=f"{source} {url}")


class Collector(ABC):
    """One review source. Subclasses set the class attributes and implement the four methods."""

    name: ClassVar[str]  # the SOURCE argument of `reviewmine collect`
    locator_format: ClassVar[str]  # e.g. "<domain>"
    example: ClassVar[str]  # an example locator
    description: ClassVar[str]
    default_base_url: ClassVar[str]
    recency_sorted: ClassVar[bool] = True  # newest first: a re-run may stop at the first known page
    min_delay: float = 1.0  # seconds between requests to one host; an instance may get its own (``min_delay=``)
    # True when ParsedPage.expected_total counts what the chain of pages lists (not, say, every rating of a product
    # of which a page shows ten): then an empty page mid-chain, or a walk that ends far short of it, is partial.
    announces_total: ClassVar[bool] = False

    def __init__(
        self,
        locator: str,
        *,
        brand: str,
        base_url: str | None = None,
        options: dict[str, Any] | None = None,
        min_delay: float | None = None,
    ) -> None:
        self.locator = self.validate_locator(locator)
        self.brand = brand
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.options = dict(options or {})
        if min_delay is not None:  # this collection's pace (a job file's `delay`); else the source's own
            self.min_delay = min_delay

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        """Return the normalised locator, or raise InputError saying what format is expected."""
        locator = locator.strip()
        if not locator:
            raise InputError(f"empty locator; expected {cls.locator_format}, e.g. {cls.example}", where=cls.name)
        return locator

    @abstractmethod
    def start_cursor(self) -> dict[str, Any]:
        """The pagination state of the first page."""

    @abstractmethod
    def request_for(self, cursor: dict[str, Any]) -> Request:
        """The request that fetches the page ``cursor`` points at."""

    @abstractmethod
    def parse(self, response: Response) -> ParsedPage:
        """Reviews on the page (pure). Raise ParseError when a required part is missing."""

    @abstractmethod
    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        """The state of the page after ``cursor``, or None when there are no more pages."""

    def next_section(self, cursor: dict[str, Any]) -> dict[str, Any] | None:
        """Where to continue when an incremental or ``--since`` stop ends the current section early.

        Sources that walk several independently sorted sections (App Store countries) return the first page
        of the next section; the default (None) means the stop ends the whole walk.
        """
        return None

    def parse_error(self, response: Response, message: str, *, field: str | None = None) -> ParseError:
        return ParseError(self.name, response.url, message, field=field)
