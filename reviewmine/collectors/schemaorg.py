"""Any web page that marks up its reviews with schema.org: the generic default source, one page per locator.

JSON-LD is read first; microdata only when the JSON-LD holds no Review (pages that carry both usually repeat the
same reviews). A page without any Review fails loudly rather than yielding nothing, since it usually means the
reviews are loaded by script or the markup changed.

``--base-url`` replaces the locator URL's scheme and host (a path in the base URL is put in front), so a mirror
or a local test server can stand in for the site while reviews keep the real page URL.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputError
from ..records import Review, payload_hash
from ._jsonld import find_reviews, jsonld_blocks, node_types, review_fields
from ._microdata import HTML_KEY, microdata_items
from ._util import Fail, parse_html
from .base import Collector, ParsedPage, Request, Response

__all__ = ["SchemaOrgCollector"]

ALLOWED_SCHEMES = ("http", "https")
BLANK_NODE_PREFIX = "_:"


class SchemaOrgCollector(Collector):
    """schema.org ``Review`` items (JSON-LD, including ``@graph`` and nested items, or microdata) on one page."""

    name: ClassVar[str] = "schemaorg"
    locator_format: ClassVar[str] = "<http(s) URL of a page with schema.org reviews>"
    example: ClassVar[str] = "https://www.allrecipes.com/recipe/229293/four-cheese-margherita-pizza/"
    description: ClassVar[str] = (
        "Reviews marked up with schema.org (JSON-LD or microdata) on any page; one page, not paginated."
    )
    default_base_url: ClassVar[str] = ""  # the locator URL itself
    recency_sorted: ClassVar[bool] = False
    min_delay: float = 1.0

    @classmethod
    def validate_locator(cls, locator: str) -> str:
        locator = super().validate_locator(locator)
        parts = urlsplit(locator)
        if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
            raise InputError(
                f"{locator!r} is not an http(s) URL; expected {cls.locator_format}, e.g. {cls.example}",
                where=cls.name,
            )
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))

    def page_url(self) -> str:
        """The URL to fetch: the locator, or the locator's path on the base URL when one is set."""
        if not self.base_url:
            return self.locator
        base = urlsplit(self.base_url)
        page = urlsplit(self.locator)
        return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + page.path, page.query, ""))

    def start_cursor(self) -> dict[str, Any]:
        return {"page": 1}

    def request_for(self, cursor: dict[str, Any]) -> Request:
        return Request(self.page_url())

    def next_cursor(self, cursor: dict[str, Any], page: ParsedPage) -> dict[str, Any] | None:
        return None

    def parse(self, response: Response) -> ParsedPage:
        fail = partial(self.parse_error, response)
        root = parse_html(response, fail)
        blocks = list(jsonld_blocks(root))
        found = find_reviews([data for _, data, error in blocks if error is None])
        fmt = "json-ld"
        if not found.reviews:
            micro = find_reviews(microdata_items(root))
            micro.aggregates = micro.aggregates + found.aggregates
            found, fmt = micro, "microdata"
        if not found.reviews:
            self._fail_empty(fail, blocks, found.expected_total())
        reviews = [self._review(node, owner, fmt, index, fail) for index, (node, owner) in enumerate(found.reviews)]
        return ParsedPage(reviews=reviews, expected_total=found.expected_total(), total_pages=1)

    @staticmethod
    def _fail_empty(fail: Fail, blocks: list[tuple[int, Any, str | None]], stated: int | None) -> None:
        for index, _, error in blocks:
            if error is not None:
                raise fail(
                    f"JSON-LD block {index} is malformed ({error}) and no Review was found elsewhere",
                    field=f"ld+json[{index}]",
                )
        if stated:
            raise fail(
                f"the page states {stated} reviews (AggregateRating) but has no Review items; "
                "they may be loaded by script",
                field="Review",
            )
        raise fail("no schema.org Review in JSON-LD or microdata", field="Review")

    def _review(self, node: dict[str, Any], owner: dict[str, Any] | None, fmt: str, index: int, fail: Fail) -> Review:
        raw = node.get(HTML_KEY)
        fields = review_fields(node, fail, f"Review[{index}]", unescape=fmt == "json-ld")
        body_field = fields.pop("body_field")
        node_id = node.get("@id") if isinstance(node.get("@id"), str) else None
        if node_id and node_id.startswith(BLANK_NODE_PREFIX):
            node_id = None
        extra: dict[str, Any] = {"format": fmt}
        if body_field and body_field != "reviewBody":
            extra["body_field"] = body_field
        if owner is not None:
            types = sorted(node_types(owner))
            if types:
                extra["item_type"] = types[0] if len(types) == 1 else types
            if isinstance(owner.get("name"), str):
                extra["item_name"] = owner["name"].strip()
        url = fields.pop("url")
        return Review(
            source=self.name,
            brand=self.brand,
            target=self.locator,
            source_review_id=node_id or url,
            url=url or self.locator,
            raw_hash=payload_hash(raw if isinstance(raw, str) else node),
            extra=extra,
            **fields,
        )
