"""The hand-written fixture pages in tests/fixtures/<source>/ and what each should parse to.

Each source folder has ``routes.json`` (the collections: locator, brand, and per page the request the collector
must make and the file that answers it) and, beside every page, ``<page>.expected.json``. After a deliberate
parser change, regenerate the expected files and review the diff::

    .venv/bin/python tests/collectors/_fixture_pages.py --write
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# every folder with a routes.json is a source's fixtures: a new source's folder is picked up without a list to edit
SOURCES = tuple(sorted(path.parent.name for path in FIXTURES.glob("*/routes.json")))
SKIPPED_FIELDS = ("fetched_at", "raw_hash")  # the clock, and a hash covered by its own test


@dataclass(frozen=True)
class PageRoute:
    """One fixture page: which collection it belongs to, the request that fetches it, and its file."""

    source: str
    locator: str
    brand: str
    index: int  # position in its collection's page chain
    method: str
    path: str
    data: dict[str, str] | None
    file: Path
    content_type: str

    @property
    def expected_file(self) -> Path:
        return self.file.with_name(self.file.name + ".expected.json")

    @property
    def id(self) -> str:
        return f"{self.source}/{self.file.name}"


def collections(source: str) -> list[list[PageRoute]]:
    """The page chains of one source, in request order."""
    routes = json.loads((FIXTURES / source / "routes.json").read_text(encoding="utf-8"))
    out = []
    for coll in routes["collections"]:
        out.append(
            [
                PageRoute(
                    source=source,
                    locator=coll["locator"],
                    brand=coll["brand"],
                    index=i,
                    method=page["method"],
                    path=page["path"],
                    data=page.get("data"),
                    file=FIXTURES / source / page["file"],
                    content_type=page["content_type"],
                )
                for i, page in enumerate(coll["pages"])
            ]
        )
    return out


def all_pages() -> list[PageRoute]:
    return [page for source in SOURCES for coll in collections(source) for page in coll]


def make_collector(route: PageRoute, base_url: str | None = None) -> Any:
    from reviewmine.collectors.registry import get_source

    return get_source(route.source)(route.locator, brand=route.brand, base_url=base_url)


def response_for(route: PageRoute, url: str) -> Any:
    from reviewmine.collectors.base import Response

    headers = {"Content-Type": route.content_type}
    return Response(url=url, status=200, headers=headers, content=route.file.read_bytes())


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def review_dict(review: Any) -> dict[str, Any]:
    data = review.to_dict()
    for name in SKIPPED_FIELDS:
        data.pop(name)
    return _jsonable(data)


def page_dict(page: Any) -> dict[str, Any]:
    return {
        "expected_total": page.expected_total,
        "total_pages": page.total_pages,
        "next_token": page.next_token,
        "reviews": [review_dict(r) for r in page.reviews],
    }


def parse_route(route: PageRoute) -> Any:
    collector = make_collector(route)
    url = collector.base_url + route.path if collector.base_url else route.locator
    return collector.parse(response_for(route, url))


def main(argv: list[str]) -> int:
    if argv != ["--write"]:
        print(__doc__)
        return 2
    for route in all_pages():
        text = json.dumps(page_dict(parse_route(route)), indent=2, ensure_ascii=False, sort_keys=True)
        route.expected_file.write_text(text + "\n", encoding="utf-8")
        print("wrote", route.expected_file.relative_to(FIXTURES))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(FIXTURES.parents[1]))
    raise SystemExit(main(sys.argv[1:]))
