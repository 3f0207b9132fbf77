"""schema.org reviews in JSON-LD (and microdata turned into the same shape): find them, map them to fields.

Sites nest reviews anywhere: in ``@graph``, in lists, inside a Product, Recipe, LocalBusiness or Organization, or
as separate nodes pointing at the item by ``@id``. So the tree is walked, and each Review is kept together with
the item it reviews (the nearest enclosing typed node, or its ``itemReviewed``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._util import Fail, Fields, iso_language

__all__ = [
    "AGGREGATE_TYPE",
    "REVIEW_TYPES",
    "FoundReviews",
    "find_reviews",
    "jsonld_blocks",
    "node_types",
    "review_fields",
]

LD_JSON_TYPE = "application/ld+json"
REVIEW_TYPES = frozenset({"Review", "UserReview", "CriticReview", "EmployerReview", "Recommendation"})
AGGREGATE_TYPE = "AggregateRating"
# Review properties, in order of preference.
BODY_KEYS = ("reviewBody", "description", "text")
TITLE_KEYS = ("name", "headline")
PUBLISHED_KEYS = ("datePublished", "dateCreated")
UPDATED_KEYS = ("dateModified",)
RATING_KEY = "reviewRating"
RATING_VALUE, BEST_RATING, WORST_RATING = "ratingValue", "bestRating", "worstRating"
DEFAULT_BEST, DEFAULT_WORST = 5.0, 1.0
COUNT_KEYS = ("reviewCount", "ratingCount")

_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def jsonld_blocks(root: Any) -> Iterator[tuple[int, Any, str | None]]:
    """Each ``<script type="application/ld+json">`` as (index, data, error); a block that is not JSON has data
    None and the decoder's message as error (other blocks on the page may still hold the reviews)."""
    index = 0
    for script in root.iter("script"):
        if (script.get("type") or "").split(";")[0].strip().lower() != LD_JSON_TYPE:
            continue
        text = _WRAPPER.sub("", script.text or "")
        try:
            yield index, json.loads(text, strict=False), None
        except json.JSONDecodeError as exc:
            yield index, None, f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        index += 1


def node_types(node: dict[str, Any]) -> set[str]:
    """The node's @type names without their vocabulary prefix (``schema:Review``, ``http://schema.org/Review``)."""
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/:#]", name)[-1] for name in names if isinstance(name, str) and name}


@dataclass
class FoundReviews:
    """Review nodes with the node they review, and the counts AggregateRatings state per reviewed node."""

    reviews: list[tuple[dict[str, Any], dict[str, Any] | None]]
    aggregates: list[tuple[dict[str, Any], dict[str, Any] | None]]

    def expected_total(self) -> int | None:
        """The review count of the AggregateRating of the item most reviews belong to (else the first one)."""
        counted = [(agg, owner, _count(agg)) for agg, owner in self.aggregates]
        counted = [item for item in counted if item[2] is not None]
        if not counted:
            return None
        owners = [_key(owner) for _, owner in self.reviews]
        best = max(counted, key=lambda item: owners.count(_key(item[1])) if item[1] is not None else -1)
        return best[2]


def _key(node: dict[str, Any] | None) -> Any:
    if node is None:
        return None
    return node.get("@id") if isinstance(node.get("@id"), str) else id(node)


def _count(aggregate: dict[str, Any]) -> int | None:
    for key in COUNT_KEYS:
        value = aggregate.get(key)
        if isinstance(value, str):
            value = value.strip().replace(",", "")
        if value is None or value == "" or isinstance(value, bool):
            continue
        try:
            return int(float(value))
        except (TypeError, ValueError):
            continue
    return None


def find_reviews(roots: list[Any]) -> FoundReviews:
    """Every Review and AggregateRating node under ``roots``; reviews with the same @id are kept once."""
    found = FoundReviews([], [])
    seen_ids: set[str] = set()
    by_id: dict[str, dict[str, Any]] = {}
    stack: list[tuple[Any, dict[str, Any] | None]] = [(root, None) for root in reversed(roots)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, list):
            stack.extend((item, owner) for item in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        types = node_types(node)
        if types & REVIEW_TYPES:
            node_id = node.get("@id")
            if not (isinstance(node_id, str) and node_id in seen_ids):
                if isinstance(node_id, str):
                    seen_ids.add(node_id)
                reviewed = node.get("itemReviewed")
                found.reviews.append((node, reviewed if isinstance(reviewed, dict) else owner))
            continue  # a review's own children (its rating, author) are not reviews of anything
        if AGGREGATE_TYPE in types:
            reviewed = node.get("itemReviewed")
            found.aggregates.append((node, reviewed if isinstance(reviewed, dict) else owner))
            continue
        if isinstance(node.get("@id"), str) and types:
            by_id.setdefault(node["@id"], node)
        child_owner = node if types else owner
        stack.extend((value, child_owner) for value in reversed(list(node.values())))
    # Reviews that point at their item by @id only ({"@id": ...}) get the full node when the page has it.
    found.reviews = [(node, _resolve(owner, by_id)) for node, owner in found.reviews]
    found.aggregates = [(node, _resolve(owner, by_id)) for node, owner in found.aggregates]
    return found


def _resolve(node: dict[str, Any] | None, by_id: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if node is not None and not node_types(node) and isinstance(node.get("@id"), str):
        return by_id.get(node["@id"], node)
    return node


def _text(value: Any, *, unescape: bool) -> str | None:
    """Plain text of a JSON-LD value: entities decoded and stray tags removed, as many sites double-escape."""
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, list):
        parts = [_text(item, unescape=unescape) for item in value]
        value = ", ".join(part for part in parts if part)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    if unescape:
        value = html.unescape(_TAG.sub("", _BREAK.sub("\n", html.unescape(value))))
    return value.strip()


def _first(node: dict[str, Any], keys: tuple[str, ...], *, unescape: bool) -> tuple[str | None, str | None]:
    for key in keys:
        text = _text(node.get(key), unescape=unescape)
        if text:
            return text, key
    return None, None


def review_fields(node: dict[str, Any], fail: Fail, where: str, *, unescape: bool = True) -> dict[str, Any]:
    """Review keyword arguments from one schema.org Review node (rating normalised on its stated scale).

    A review needs text (reviewBody or description) or a rating; a rating outside its scale is a ParseError.
    """
    fields = Fields(node, fail, where)
    body, body_key = _first(node, BODY_KEYS, unescape=unescape)
    title, _ = _first(node, TITLE_KEYS, unescape=unescape)
    rating = rating_min = rating_max = None
    if isinstance(node.get(RATING_KEY), dict | str | int | float):
        rating, rating_min, rating_max = _rating(fields, node[RATING_KEY])
    if body is None and rating is None:
        raise fail(f"{where} has neither text nor rating", field=fields.field(["reviewBody"]))
    published = None
    for key in PUBLISHED_KEYS:
        published = fields.date([key]) if isinstance(node.get(key), str) and node[key].strip() else None
        if published:
            break
    updated = next((fields.date([key]) for key in UPDATED_KEYS if isinstance(node.get(key), str)), None)
    language = node.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    url = node.get("url") if isinstance(node.get("url"), str) else None
    out: dict[str, Any] = {
        "body": body or "",
        "title": title,
        "author": _text(node.get("author"), unescape=unescape),
        "published_at": published,
        "updated_at": updated if updated and updated != published else None,
        "language": iso_language(language),
        "url": url,
        "body_field": body_key,
    }
    if rating is not None:
        out.update(rating=rating, rating_min=rating_min, rating_max=rating_max)
    return out


def _rating(fields: Fields, value: Any) -> tuple[float | None, float, float]:
    if not isinstance(value, dict):
        value = {RATING_VALUE: value}
    rating_fields = Fields(value, fields.fail, fields.field([RATING_KEY]))
    rating = rating_fields.number([RATING_VALUE])
    if rating is None:
        return None, DEFAULT_WORST, DEFAULT_BEST
    best = rating_fields.number([BEST_RATING])
    worst = rating_fields.number([WORST_RATING])
    best = DEFAULT_BEST if best is None else best
    worst = (DEFAULT_WORST if rating >= DEFAULT_WORST else 0.0) if worst is None else worst
    if not worst <= rating <= best:
        raise fields.fail(
            f"rating {rating:g} is outside its scale {worst:g}..{best:g}", field=rating_fields.field([RATING_VALUE])
        )
    return rating, worst, best
