"""The collection runner: page through one source for one brand, storing each page as it arrives.

Each page is committed in one transaction together with the saved cursor and the run's counters, so a crash
loses nothing and the next run resumes after the last committed page without duplicates. A run that ends
normally clears the cursor, so the next one starts from the newest page again (and, for sources sorted newest
first, stops as soon as a page holds nothing new).

A run never says "ok" with reviews missing: when a page in the middle of the chain comes back empty, or the
chain ends far short of the total the source announces, the run ends **partial**, and the next run walks the
whole chain again instead of stopping at the first page with nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import ReviewmineError
from .records import Review, utc

if TYPE_CHECKING:
    from .collectors.base import Collector
    from .http import HttpClient
    from .store.db import Store

__all__ = ["MAX_EMPTY_PAGES", "SHORTFALL_TOLERANCE", "CollectProgress", "CollectResult", "collect"]

MAX_EMPTY_PAGES = 5
# A walk that reached the end of the chain with more than this share of the announced total missing is partial
# (totals drift a little: reviews removed or hidden after the count was taken).
SHORTFALL_TOLERANCE = 0.05


@dataclass
class CollectProgress:
    """Where a run stands after a committed page (handed to the ``progress`` callback)."""

    pages: int
    fetched: int
    new: int
    updated: int
    expected_total: int | None
    delay: float  # the gap kept between requests to the source's host, seconds
    url: str


@dataclass
class CollectResult:
    """What one run did: coverage (expected vs fetched), new vs updated, pages, errors, and why it stopped."""

    run_id: int
    source: str
    brand: str
    locator: str
    status: str = "running"  # ok | partial | failed (interrupted when it did not end)
    pages: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    expected_total: int | None = None
    stored: int = 0  # reviews of this target in the store after the run
    resumed: bool = False  # started from the cursor an interrupted run left
    stopped: str = ""  # why pagination ended
    errors: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # pages that came back empty while the source said more exist
    rewalk: bool = False  # the previous run was partial, so this one walked the whole chain again
    missing: int | None = None  # the announced total less what the store holds, when the run is partial on it

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def coverage(self) -> float | None:
        """Fetched this run / what the source says it has (None when it does not say)."""
        if not self.expected_total:
            return None
        return self.fetched / self.expected_total

    def summary(self) -> str:
        """The coverage line, e.g. ``expected 780, fetched 780 (100%), new 20, updated 0, pages 39, errors 0``."""
        expected = "?" if self.expected_total is None else f"{self.expected_total:,}"
        share = f" ({self.coverage:.0%})" if self.coverage is not None else ""
        line = (
            f"expected {expected}, fetched {self.fetched:,}{share}, new {self.new:,}, updated {self.updated:,}, "
            f"pages {self.pages:,}, errors {len(self.errors)}"
        )
        return f"{line}, empty pages {len(self.gaps)}" if self.gaps else line

    def partial_reason(self) -> str:
        """Why a partial run is partial, in one sentence (empty when it is not)."""
        if self.status != "partial":
            return ""
        parts = []
        if self.gaps:
            first = self.gaps[0]
            parts.append(f"{len(self.gaps)} page(s) came back empty although the source says more exist ({first})")
        if self.missing:
            announced = f"{self.expected_total:,}"
            parts.append(f"{self.missing:,} of the {announced} reviews the source announces are not stored")
        return "; ".join(parts) + "; the next run walks the whole chain again to fill the gap"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["coverage"] = self.coverage
        data["partial_reason"] = self.partial_reason() or None
        return data


def collect(
    store: Store,
    collector: Collector,
    http: HttpClient,
    *,
    max_pages: int | None = None,
    since: datetime | None = None,
    full: bool = False,
    progress: Callable[[CollectProgress], None] | None = None,
) -> CollectResult:
    """Collect ``collector``'s reviews into ``store``; a failure is reported in the result (status "failed").

    ``since`` keeps only reviews published on or after it (and, for sources sorted newest first, stops there);
    ``full`` refetches every page instead of stopping at the first page with nothing new, and ignores a saved
    cursor. Exceptions that are not reviewmine errors (bugs, Ctrl-C) close the run and propagate.
    """
    since = utc(since)
    with store.write() as conn:
        target = store.target_id(conn, collector.brand, collector.name, collector.locator)
        saved = None if full else store.cursor(conn, target)
        rewalk = store.last_collect_status(conn, target) == "partial"
    run_id = store.start_run(
        "collect", brand=collector.brand, source=collector.name, locator=collector.locator, target_id=target
    )
    store.set_last_run(target, run_id)
    result = CollectResult(run_id, collector.name, collector.brand, collector.locator, resumed=saved is not None)
    result.rewalk = rewalk and not full
    try:
        reached_end = _paginate(store, collector, http, result, target, saved, max_pages=max_pages, since=since,
                                full=full or rewalk, progress=progress)  # fmt: skip
    except ReviewmineError as exc:
        result.status = "failed"
        result.errors.append(str(exc))
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        result.errors.append(f"{type(exc).__name__}: {exc}")
        store.finish_run(run_id, status, errors=result.errors, message=result.errors[-1])
        raise
    else:
        result.status = "ok"
    result.stored = store.target_review_count(target)
    if result.status == "ok":
        _assess(collector, result, reached_end=reached_end, since=since)
    message = result.errors[-1] if result.errors else (result.partial_reason() or result.stopped)
    store.finish_run(run_id, result.status, errors=result.errors, message=message)
    return result


def _assess(collector: Collector, result: CollectResult, *, reached_end: bool, since: datetime | None) -> None:
    """Mark the run partial when it skipped empty pages or ended at the end of the chain far short of the total
    the source announces (only for sources whose total counts what their pages list, and not under --since)."""
    expected = (result.expected_total or 0) if collector.announces_total and since is None else 0
    missing = max(expected - result.stored, 0) if expected and (reached_end or result.gaps) else 0
    far_short = missing > SHORTFALL_TOLERANCE * expected
    if far_short or (result.gaps and (missing or not expected)):  # a skipped page counts unless nothing is missing
        result.status = "partial"
        result.missing = missing or None


def _paginate(
    store: Store,
    collector: Collector,
    http: HttpClient,
    result: CollectResult,
    target: int,
    saved: dict[str, Any] | None,
    *,
    max_pages: int | None,
    since: datetime | None,
    full: bool,
    progress: Callable[[CollectProgress], None] | None,
) -> bool:
    """Walk the chain from ``saved`` (or the first page); True when it ended with nothing left to walk (the last
    page, a repeated cursor, or an early stop in the last section), False at --max-pages."""
    cursor: dict[str, Any] | None = saved or collector.start_cursor()
    seen_cursors: set[str] = set()
    empty_run = 0  # empty pages in a row (a source may have empty sections, e.g. a country without reviews)
    incremental = collector.recency_sorted and not full and not result.resumed
    while cursor is not None:
        seen_cursors.add(json.dumps(cursor, sort_keys=True, default=str))
        request = collector.request_for(cursor)
        response = http.fetch(request, min_delay=collector.min_delay)
        page = collector.parse(response)
        first_page = result.pages == 0
        if page.expected_total is not None:
            result.expected_total = page.expected_total
        kept, older = _since_filter(page.reviews, since)
        next_cursor = collector.next_cursor(cursor, page)
        empty_run = empty_run + 1 if not page.reviews else 0
        if empty_run:
            _check_empty_page(collector, response.url, result, first_page=first_page, empty_run=empty_run)
        stop = ""
        repeated = next_cursor is not None and json.dumps(next_cursor, sort_keys=True, default=str) in seen_cursors
        if next_cursor is None:
            stop = "the last page"
        elif repeated:
            stop = "a page seen before in this run (the source repeats its cursor)"
        elif not page.reviews and collector.announces_total:
            result.gaps.append(response.url)  # followed past; its reviews are missing from this run
        elif older and collector.recency_sorted:
            stop = f"reviews older than --since {since:%Y-%m-%d}"
            next_cursor, stop = _next_section(collector, cursor, stop)
        with store.write() as conn:  # the counters move only once the page is committed
            counts = store.upsert_reviews(conn, kept, target_id=target)
            pages, fetched = result.pages + 1, result.fetched + len(kept)
            new, updated = result.new + counts.new, result.updated + counts.updated
            max_pages_stop = ""
            if not stop and incremental and page.reviews and counts.new == 0 and counts.updated == 0:
                stop = f"page {pages} had nothing new (incremental; --full refetches everything)"
                next_cursor, stop = _next_section(collector, cursor, stop)
            if not stop and max_pages is not None and pages >= max_pages:
                max_pages_stop = f"--max-pages {max_pages} (the next run resumes from here)"
                store.save_cursor(conn, target, next_cursor)
            else:
                store.save_cursor(conn, target, None if stop else next_cursor)
            store.update_run(
                conn, result.run_id, pages=pages, fetched=fetched, new=new, updated=updated,
                expected_total=result.expected_total,
            )  # fmt: skip
        result.pages, result.fetched, result.new, result.updated = pages, fetched, new, updated
        result.stopped = max_pages_stop or result.stopped
        if progress is not None:
            delay = http.delay_for(request.url, collector.min_delay)
            progress(CollectProgress(result.pages, result.fetched, result.new, result.updated,
                                     result.expected_total, delay, response.url))  # fmt: skip
        if result.stopped:
            return False
        if stop:
            result.stopped = stop
            return next_cursor is None or repeated  # nothing left to walk after this page
        cursor = next_cursor
    return True


def _next_section(collector: Collector, cursor: dict[str, Any], stop: str) -> tuple[dict[str, Any] | None, str]:
    """An early stop ends only the current section when the source has more (e.g. the next App Store country)."""
    section = collector.next_section(cursor)
    return (section, "") if section is not None else (None, stop)


def _since_filter(reviews: list[Review], since: datetime | None) -> tuple[list[Review], bool]:
    """The reviews published on/after ``since`` (undated ones kept), and whether any were older."""
    if since is None:
        return list(reviews), False
    kept = [r for r in reviews if r.published_at is None or r.published_at >= since]
    return kept, len(kept) < len(reviews)


def _check_empty_page(
    collector: Collector, url: str, result: CollectResult, *, first_page: bool, empty_run: int
) -> None:
    """An empty first page from a source that says it has reviews means the parser no longer fits the page;
    a long run of empty pages means the collector does not see where its pagination ends."""
    from .collectors.base import ParseError

    expected = result.expected_total or 0
    if first_page and not result.resumed and expected > 0:
        message = (
            f"the first page has no reviews although the source says it has {expected:,}; the page layout has "
            "probably changed (nothing was stored from this page)"
        )
        raise ParseError(collector.name, url, message)
    if empty_run >= MAX_EMPTY_PAGES:
        raise ParseError(collector.name, url, f"{empty_run} empty pages in a row; stopping (pagination never ends)")
