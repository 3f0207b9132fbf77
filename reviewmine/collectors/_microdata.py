"""HTML microdata (itemscope / itemprop) read into JSON-LD-shaped dicts, so one mapping serves both syntaxes.

Follows the WHATWG microdata rules that matter for reviews: an item's properties are the ``itemprop`` elements
below it that no nearer ``itemscope`` claims, a nested ``itemscope`` is an item-valued property, and a property's
value comes from ``content``/``href``/``src``/``datetime``/``value`` attributes or the element's text.
"""

from __future__ import annotations

from typing import Any

from ._jsonld import REVIEW_TYPES

__all__ = ["microdata_items"]

URL_PROPERTY_TAGS = {
    "a": "href",
    "area": "href",
    "link": "href",
    "audio": "src",
    "embed": "src",
    "iframe": "src",
    "img": "src",
    "source": "src",
    "track": "src",
    "video": "src",
    "object": "data",
}
VALUE_TAGS = {"data": "value", "meter": "value"}
HTML_KEY = "@html"  # a review item's outer HTML, for hashing the raw fragment


def _value(element: Any) -> str:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if element.get("content") is not None:
        return element.get("content").strip()
    if tag in URL_PROPERTY_TAGS:
        return (element.get(URL_PROPERTY_TAGS[tag]) or "").strip()
    if tag in VALUE_TAGS:
        return (element.get(VALUE_TAGS[tag]) or "").strip()
    if tag == "time" and element.get("datetime"):
        return element.get("datetime").strip()
    return " ".join(element.text_content().split())


def _properties(element: Any, out: dict[str, list[Any]]) -> None:
    for child in element.iterchildren():
        if not isinstance(child.tag, str):
            continue
        scoped = child.get("itemscope") is not None
        names = (child.get("itemprop") or "").split()
        if names:
            value = _item(child) if scoped else _value(child)
            for name in names:
                out.setdefault(name, []).append(value)
        if not scoped:
            _properties(child, out)


def _item(element: Any) -> dict[str, Any]:
    import lxml.html

    item: dict[str, Any] = {}
    types = [t.rstrip("/").rsplit("/", 1)[-1] for t in (element.get("itemtype") or "").split()]
    if types:
        item["@type"] = types[0] if len(types) == 1 else types
    if element.get("itemid"):
        item["@id"] = element.get("itemid").strip()
    properties: dict[str, list[Any]] = {}
    _properties(element, properties)
    for name, values in properties.items():
        item[name] = values[0] if len(values) == 1 else values
    if REVIEW_TYPES.intersection(types):  # only reviews need their raw fragment (for raw_hash)
        item[HTML_KEY] = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return item


def microdata_items(root: Any) -> list[dict[str, Any]]:
    """The page's top-level microdata items (those inside no other item) as nested dicts."""
    tops = root.xpath("//*[@itemscope][not(ancestor::*[@itemscope])]")
    return [_item(element) for element in tops]
