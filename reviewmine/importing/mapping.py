"""Which column feeds which `Review` field, and turning one row into a validated `Review`.

Column names are recognised after normalising them (lower case, letters and digits only), so ``Review Text``,
``review_text`` and ``reviewText`` all mean the review body. ``--map FIELD=COLUMN`` overrides recognition and
``--map FIELD=`` switches it off for a field. Columns that feed no field are ignored unless named with
``--extra`` (``*`` keeps them all), which stores them in ``Review.extra``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..errors import InputError
from ..records import Review, payload_hash
from ..timeparse import check_review_date, parse_datetime

__all__ = [
    "ALIASES",
    "FIELDS",
    "MAX_FIELD_CHARS",
    "RowConverter",
    "RowError",
    "parse_mapping",
    "parse_rating_scale",
    "resolve_columns",
]

# The longest text any one field may hold: far above any real review, well below a broken file.
MAX_FIELD_CHARS = 100_000

# Review fields an import may fill, with the column names recognised for each (first match wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content", "review", "review_text", "review_body", "review_content", "comment"),
    "title": ("title", "headline", "review_title", "subject", "summary"),
    "rating": ("rating", "stars", "score", "star_rating", "review_rating", "review_stars", "rating_value"),
    "published_at": (
        "published_at", "date", "created_at", "review_date", "published", "created", "timestamp",
        "date_published", "submitted_at", "review_created_at", "at",
    ),
    "author": ("author", "user", "user_name", "reviewer", "reviewer_name", "author_name", "username"),
    "source_review_id": ("source_review_id", "id", "review_id"),
    "url": ("url", "review_url", "link", "permalink"),
    "language": ("language", "lang", "language_code"),
    "reply_text": ("reply_text", "reply", "reply_content", "response", "company_reply", "developer_response"),
    "reply_at": ("reply_at", "reply_date", "replied_at", "response_date", "developer_response_date"),
    "verified": ("verified", "is_verified", "verified_purchase"),
    "helpful_votes": ("helpful_votes", "helpful_vote", "helpful_count", "thumbs_up_count", "useful", "upvotes"),
    "updated_at": ("updated_at", "updated", "edited_at", "modified_at", "review_updated_at"),
}  # fmt: skip
FIELDS: tuple[str, ...] = tuple(ALIASES)

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|\.\.|:)\s*(-?\d+(?:\.\d+)?)\s*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
_MS_THRESHOLD = 100_000_000_000  # a unix time above this is in milliseconds (in seconds it would be year 5138)


class RowError(ValueError):
    """A row the importer cannot use; the message names the column and the value."""


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["body=Text", "rating=Stars"]`` as ``{"body": "Text", ...}``; an empty COLUMN disables the field."""
    mapping: dict[str, str] = {}
    for item in items:
        field_name, sep, column = item.partition("=")
        field_name = field_name.strip()
        if not sep:
            raise InputError(f"{item!r} is not FIELD=COLUMN", where="--map")
        if field_name not in ALIASES:
            raise InputError(f"unknown field {field_name!r}; fields: {', '.join(FIELDS)}", where="--map")
        mapping[field_name] = column.strip()
    return mapping


def parse_rating_scale(text: str) -> tuple[float, float]:
    """``"1-5"`` (or ``1..10``, ``0:100``) as ``(1.0, 5.0)``; the minimum must be below the maximum."""
    match = _SCALE.match(text)
    if not match or float(match.group(1)) >= float(match.group(2)):
        raise InputError(f"{text!r} is not a scale like 1-5 or 0-10 (MIN-MAX, MIN < MAX)", where="--rating-scale")
    return float(match.group(1)), float(match.group(2))


def resolve_columns(columns: list[str], overrides: Mapping[str, str], *, where: str) -> dict[str, str]:
    """Field -> column for this file: ``overrides`` first, then recognised names; a body column is required."""
    present = set(columns)
    found = ", ".join(repr(c) for c in columns if c) or "none"
    resolved: dict[str, str] = {}
    for field_name, column in overrides.items():
        if column and column not in present:
            raise InputError(f"--map {field_name}={column}: no such column; columns found: {found}", where=where)
        if column:
            resolved[field_name] = column
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(_norm(column), column)
    used = set(resolved.values())
    for field_name, aliases in ALIASES.items():
        if field_name in overrides:
            continue
        for alias in aliases:
            column = by_norm.get(_norm(alias))
            if column is not None and column not in used:
                resolved[field_name] = column
                used.add(column)
                break
    if "body" not in resolved:
        hint = ""
        if len(columns) == 1 and any(d in columns[0] for d in ";\t|"):
            hint = " (the header is one column: is the delimiter ';', tab or '|'? pass --delimiter)"
        raise InputError(
            f"no review text column: none is called {', '.join(ALIASES['body'])}; columns found: {found}; "
            f"pass --map body=COLUMN{hint}",
            where=where,
        )
    return resolved


# -- value parsers: each takes a non-empty value and the column it came from, and raises RowError ---------------


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _text(value: Any, column: str, field_name: str) -> str | None:
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    else:
        raise RowError(f"column {column!r}: {field_name} must be text, got {_kind(value)}")
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(
            f"column {column!r}: {field_name} is {len(text):,} characters long; the limit is {MAX_FIELD_CHARS:,}"
        )
    return text or None


def _number(value: Any, column: str, field_name: str) -> float:
    if isinstance(value, bool):
        raise RowError(f"column {column!r}: {field_name} must be a number, got true/false")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise RowError(f"column {column!r}: {field_name} {_describe(value)} is not a number") from None
    if not math.isfinite(number):
        raise RowError(f"column {column!r}: {field_name} {_describe(value)} is not a number")
    return number


def _when(
    value: Any, column: str, field_name: str, date_format: str | None = None, now: datetime | None = None
) -> datetime | None:
    """A date from any of the forms docs/import.md lists, refused when it cannot be a review's date."""
    parsed = _read_when(value, column, field_name, date_format)
    if parsed is None:
        return None
    try:
        return check_review_date(parsed, now=now)
    except ValueError as exc:
        raise RowError(f"column {column!r}: {field_name} {_describe(value)}: {exc}") from None


def _read_when(value: Any, column: str, field_name: str, date_format: str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool) and 10_000_000 <= value <= 99_999_999:
        value = str(value)  # YYYYMMDD as a JSON number: as unix seconds it would be 1970
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if date_format:
            try:
                parsed = datetime.strptime(value, date_format)
            except ValueError:
                raise RowError(f"column {column!r}: {field_name} {value!r} does not match --date-format") from None
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if not (value.isdigit() and len(value) >= 9):
            try:
                return parse_datetime(value)
            except (ValueError, OverflowError) as exc:
                raise RowError(f"column {column!r}: {field_name}: {exc}") from None
    stamp = _number(value, column, field_name)
    try:
        return datetime.fromtimestamp(stamp / 1000 if abs(stamp) >= _MS_THRESHOLD else stamp, UTC)
    except (ValueError, OverflowError, OSError):
        raise RowError(f"column {column!r}: {field_name} {_describe(value)} is not a unix time") from None


def _verified(value: Any, column: str, field_name: str) -> bool | None:
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    if not key:
        return None
    raise RowError(f"column {column!r}: {field_name} {_describe(value)} is not true/false (or yes/no, 1/0)")


def _count(value: Any, column: str, field_name: str) -> int | None:
    if isinstance(value, str) and not value.strip():
        return None
    number = _number(value, column, field_name)
    if number < 0 or not number.is_integer():
        raise RowError(f"column {column!r}: {field_name} {_describe(value)} is not a count (0, 1, 2...)")
    return int(number)


def _language(value: Any, column: str, field_name: str) -> str | None:
    text = _text(value, column, field_name)
    if text is None:
        return None
    if not _LANGUAGE.match(text):
        raise RowError(
            f"column {column!r}: {field_name} {_describe(value)} is not a code like en or pt-BR "
            f"(--map {field_name}= ignores the column)"
        )
    return re.split(r"[-_]", text, maxsplit=1)[0].lower()


_PARSERS: dict[str, Callable[[Any, str, str], Any]] = {
    "language": _language,
    "rating": _number,
    "published_at": _when,
    "reply_at": _when,
    "updated_at": _when,
    "verified": _verified,
    "helpful_votes": _count,
}


class RowConverter:
    """Turns row dicts into `Review`s for one brand/source, with the mapping and rating scale of one file.

    A row needs review text (a body, or at least a title: the body is then stored empty) or a rating: a score
    without a comment is kept with an empty body (most Net Promoter responses leave the comment blank, and
    dropping them would count only the customers who wrote one). A row whose every value is empty is not a
    review at all: ``convert`` returns None and the importer counts it as blank.
    """

    def __init__(
        self,
        columns: Mapping[str, str],
        *,
        brand: str,
        source: str,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        extra_columns: Iterable[str] = (),
        date_format: str | None = None,
        fetched_at: datetime | None = None,
    ) -> None:
        self.brand, self.source = brand, source
        self.scale_min, self.scale_max = rating_scale
        self.fetched_at = fetched_at
        parsers = dict(_PARSERS)
        now = fetched_at or datetime.now(UTC)  # dates more than a day after this are refused
        for name in ("published_at", "reply_at", "updated_at"):
            parsers[name] = functools.partial(_when, date_format=date_format, now=now)
        self._fields = [(f, c, parsers.get(f, _text)) for f, c in columns.items()]
        self._body = columns["body"]
        self._title = columns.get("title")
        self._rating = columns.get("rating")
        self._extra = list(extra_columns)

    def convert(self, row: Mapping[str, Any], raw: str | None = None) -> Review | None:
        """The review in ``row``; ``raw`` is its original text, hashed as ``raw_hash`` (default: the row)."""
        values: dict[str, Any] = {}
        for field_name, column, parse in self._fields:
            value = row.get(column)
            if value is None or value == "":
                continue
            parsed = parse(value, column, field_name)
            if parsed is not None:
                values[field_name] = parsed
        body = values.pop("body", "")
        if not body and not values.get("title") and values.get("rating") is None:
            if not any(v is not None and v != "" for v in row.values()):
                return None
            title = f" or {self._title!r} (title)" if self._title else ""
            rating = f" and {self._rating!r} (rating)" if self._rating else ""
            raise RowError(f"no review text or rating: column {self._body!r} (body){title}{rating} is empty")
        rating = values.get("rating")
        if rating is not None and not self.scale_min <= rating <= self.scale_max:
            raise RowError(
                f"column {self._rating!r}: rating {rating:g} is outside "
                f"the scale {self.scale_min:g}-{self.scale_max:g} (see --rating-scale)"
            )
        if self._extra:
            extra = {c: row[c] for c in self._extra if row.get(c) not in (None, "")}
            if extra:
                values["extra"] = extra
        return Review(
            source=self.source,
            brand=self.brand,
            body=body,
            rating_min=self.scale_min,
            rating_max=self.scale_max,
            fetched_at=self.fetched_at,  # type: ignore[arg-type]
            raw_hash=payload_hash(raw if raw is not None else dict(row)),
            **values,
        )
