"""Helpers every parser shares: strict decoding, JSON loading and field access that fail with the field's name.

A parser that meets a page it does not understand must say which field was missing, so that a changed site is
noticed at once instead of silently yielding fewer reviews.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..timeparse import check_review_date, parse_datetime
from .base import ParseError, Response

__all__ = [
    "Fail",
    "Fields",
    "decode_body",
    "from_timestamp",
    "header",
    "iso_language",
    "load_json",
    "parse_html",
    "strip",
]

Fail = Callable[..., ParseError]  # fail(message, field=...) -> ParseError, bound to one response
PathPart = str | int

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*$")


def header(response: Response, name: str) -> str | None:
    """A response header, looked up case-insensitively."""
    wanted = name.lower()
    for key, value in response.headers.items():
        if key.lower() == wanted:
            return value
    return None


def _declared_encoding(response: Response, *, sniff_html: bool) -> str:
    if response.encoding:
        return response.encoding
    content_type = header(response, "content-type") or ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    if sniff_html:
        match = _CHARSET.search(response.content[:4096])
        if match:
            return match.group(1).decode("ascii")
    return "utf-8"


def decode_body(response: Response, fail: Fail, *, sniff_html: bool = False) -> tuple[str, str]:
    """The body as text and the encoding used; bytes that are not valid in that encoding are a ParseError."""
    encoding = _declared_encoding(response, sniff_html=sniff_html)
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return response.content.decode(codec), encoding
    except LookupError:
        raise fail(f"unknown character encoding {encoding!r}", field="encoding") from None
    except UnicodeDecodeError as exc:
        raise fail(f"body is not valid {encoding} (bad byte at offset {exc.start})", field="encoding") from None


def load_json(text: str, fail: Fail, *, field: str) -> Any:
    """Parse JSON text; a truncated or malformed document is a ParseError naming ``field``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", field=field) from None


def from_timestamp(seconds: float | int) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def strip(text: str | None) -> str | None:
    """``text`` without surrounding whitespace; None when nothing is left."""
    text = text.strip() if text else None
    return text or None


def iso_language(value: Any) -> str | None:
    """The ISO 639-1 code of a language tag such as ``en`` or ``pt-BR``; None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _LANGUAGE_TAG.match(value.strip())
    return match.group(1).lower() if match else None


def _path_text(prefix: str, path: Sequence[PathPart]) -> str:
    text = prefix
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


class Fields:
    """Typed access to one raw item (a review, a page blob); a missing or mistyped field is a ParseError.

    ``where`` names the item in messages (e.g. ``reviews[3]``), and paths mix keys and list indexes, so an error
    reads like ``review 5 lacks reviews[5].dates.publishedDate``.
    """

    def __init__(self, data: Any, fail: Fail, where: str) -> None:
        self.data, self.fail, self.where = data, fail, where

    def _lookup(self, path: Sequence[PathPart]) -> Any:
        node = self.data
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, list) or not -len(node) <= part < len(node):
                    return None
            elif not isinstance(node, dict):
                return None
            node = node[part] if isinstance(part, int) else node.get(part)
            if node is None:
                return None
        return node

    def field(self, path: Sequence[PathPart]) -> str:
        return _path_text(self.where, path)

    def get(self, path: Sequence[PathPart], kind: type | tuple[type, ...] = object) -> Any:
        """The value at ``path``, None when absent or null; a value of another type is a ParseError."""
        value = self._lookup(path)
        if value is not None and not isinstance(value, kind):
            raise self.fail(f"unexpected {type(value).__name__} value {value!r:.60}", field=self.field(path))
        return value

    def need(self, path: Sequence[PathPart], kind: type | tuple[type, ...] = object) -> Any:
        """The value at ``path``; absent, null or of another type is a ParseError."""
        value = self.get(path, kind)
        if value is None:
            raise self.fail(f"{self.where} lacks a required field", field=self.field(path))
        return value

    def number(self, path: Sequence[PathPart], *, required: bool = False) -> float | None:
        """A number given as a JSON number or a numeric string ("4", "4.5", "4,5")."""
        value = self.need(path, (int, float, str)) if required else self.get(path, (int, float, str))
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.fail(f"not a number: {value!r}", field=self.field(path))
        if isinstance(value, str):
            try:
                return float(value.strip().replace(",", "."))
            except ValueError:
                raise self.fail(f"not a number: {value!r:.60}", field=self.field(path)) from None
        return float(value)

    def rating(self, path: Sequence[PathPart], scale: tuple[float, float], *, required: bool = True) -> float | None:
        """A rating that must lie on ``scale`` (min, max); outside it the page is not what the parser expects."""
        value = self.number(path, required=required)
        if value is not None and not scale[0] <= value <= scale[1]:
            raise self.fail(f"rating {value:g} is outside {scale[0]:g}..{scale[1]:g}", field=self.field(path))
        return value

    def date(self, path: Sequence[PathPart], *, required: bool = False) -> datetime | None:
        """An ISO 8601 (or otherwise unambiguous) date string as UTC; one before 1995 or in the future is refused."""
        value = self.need(path, str) if required else self.get(path, str)
        if value is None or not value.strip():
            if required:
                raise self.fail(f"{self.where} has an empty date", field=self.field(path))
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            raise self.fail(f"not a date: {value!r:.60}", field=self.field(path)) from None
        try:
            return check_review_date(parsed)
        except ValueError as exc:
            raise self.fail(f"date {value!r:.60}: {exc}", field=self.field(path)) from None


def parse_html(response: Response, fail: Fail) -> Any:
    """The page as an lxml tree, after checking that its bytes are valid in the declared encoding."""
    import lxml.etree
    import lxml.html

    _, encoding = decode_body(response, fail, sniff_html=True)
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True)
    try:
        root = lxml.html.document_fromstring(response.content, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise fail(f"not an HTML page ({exc})", field="body") from None
    return root
