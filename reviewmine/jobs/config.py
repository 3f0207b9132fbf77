"""Job files: what a scheduled `reviewmine run JOBFILE` collects, analyses, reports and alerts on.

A job file is TOML::

    [job]
    name = "nightly"
    output = "out"              # report.html, summary.json and the log go here
    period = "90d"              # the report window
    db = "reviews.db"           # optional; --db or $REVIEWMINE_DB win

    [[brands]]
    name = "Acme"
    competitors = ["Rival"]     # other [[brands]] entries, compared in Acme's report

      [[brands.sources]]
      source = "trustpilot"
      locator = "acme.example"
      max_pages = 20            # optional; also base_url, delay, since, full

    [[alerts]]
    name = "high risk"
    min_score = 60              # fire when a risk score reaches this (0-100) ...
    event_kinds = ["negative_share", "volume"]   # ... or an event of these kinds appears (docs/methods.md)
    webhook = "https://hooks.slack.com/services/..."   # or webhook_env = "SLACK_WEBHOOK_URL"

`load_job` validates everything and reports *every* problem with its line, so `reviewmine run --check` can list
them all at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["AlertRule", "BrandSpec", "JobConfig", "JobFileError", "SourceSpec", "load_job"]

_SOURCE_KEYS = {"source", "locator", "max_pages", "base_url", "delay", "since", "full"}
_BRAND_KEYS = {"name", "competitors", "sources"}
_JOB_KEYS = {"name", "output", "period", "db", "log_file", "analyze", "model"}
_ALERT_KEYS = {"name", "brands", "categories", "min_score", "event_kinds", "webhook", "webhook_env"}


class JobFileError(InputError):
    """One or more problems in a job file, each with its line."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        self.path, self.problems = path, problems
        lines = [f"{path}:{line}: {message}" for line, message in problems]
        super().__init__(f"{len(problems)} problem(s) in job file\n" + "\n".join(lines))


@dataclass(frozen=True)
class SourceSpec:
    source: str
    locator: str
    max_pages: int | None = None
    base_url: str | None = None
    delay: float | None = None
    since: str | None = None
    full: bool = False


@dataclass(frozen=True)
class BrandSpec:
    name: str
    sources: tuple[SourceSpec, ...]
    competitors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRule:
    name: str
    min_score: float | None = None
    event_kinds: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()  # empty: every brand
    categories: tuple[str, ...] = ()  # empty: every category (and the brand-level score)
    webhook: str | None = None
    webhook_env: str | None = None


@dataclass(frozen=True)
class JobConfig:
    path: Path
    name: str
    output: Path
    period: str = "90d"
    db: Path | None = None
    log_file: Path | None = None
    analyze: bool = True
    model: str | None = None
    brands: tuple[BrandSpec, ...] = ()
    alerts: tuple[AlertRule, ...] = field(default_factory=tuple)


class _LineFinder:
    """Maps a key path (table name, occurrence, key) to its line in the TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, 1):
            match = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.\s]+?)\s*\]\]?\s*(#.*)?$", line)
            if match:
                self.headers.append((number, match.group(1).replace(" ", "")))

    def table(self, name: str, index: int, parent: tuple[str, int] | None = None) -> int:
        """Line of the ``index``-th ``[[name]]`` header (within the ``parent`` occurrence when given)."""
        start, end = 0, len(self.lines) + 1
        if parent:
            start = self.table(*parent)
            later = [n for n, h in self.headers if n > start and h == parent[0]]
            end = later[0] if later else end
        found = [n for n, h in self.headers if h == name and start <= n < end]
        return found[index] if index < len(found) else (start or 1)

    def key(self, table_line: int, key: str) -> int:
        for number in range(table_line, len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > table_line and re.match(r"\s*\[", line):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return table_line


def load_job(path: str | Path) -> JobConfig:
    """Read and validate a job file; raise JobFileError listing every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("job file not found", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise JobFileError(path, [(line, f"not valid TOML: {getattr(exc, 'msg', exc)}")]) from None
    return _Validator(path, data, _LineFinder(text)).run()


def _line_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


class _Validator:
    def __init__(self, path: Path, data: dict[str, Any], finder: _LineFinder) -> None:
        self.path, self.data, self.finder = path, data, finder
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def run(self) -> JobConfig:
        job = self.data.get("job", {})
        job_line = self.finder.table("job", 0)
        for key in sorted(set(self.data) - {"job", "brands", "alerts"}):
            self.problem(1, f"unknown top-level table or key {key!r} (expected [job], [[brands]], [[alerts]])")
        self._unknown(job, _JOB_KEYS, job_line, "[job]")
        period = job.get("period", "90d")
        from ..timeparse import parse_span

        try:
            parse_span(str(period))
        except ValueError as exc:
            self.problem(self.finder.key(job_line, "period"), str(exc))
        brands = [self._brand(raw, i) for i, raw in enumerate(self.data.get("brands", []))]
        names = [b.name for b in brands]
        if not brands:
            self.problem(1, "no [[brands]]: a job needs at least one brand with a source")
        for i, brand in enumerate(brands):
            for rival in brand.competitors:
                if rival not in names:
                    line = self.finder.key(self.finder.table("brands", i), "competitors")
                    self.problem(line, f"competitor {rival!r} of {brand.name!r} is not a [[brands]] entry")
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.problem(self.finder.table("brands", i), f"brand {name!r} is listed twice")
            seen.add(name)
        alerts = [self._alert(raw, i, names) for i, raw in enumerate(self.data.get("alerts", []))]
        if self.problems:
            raise JobFileError(self.path, sorted(self.problems))
        base = self.path.parent
        return JobConfig(
            path=self.path,
            name=str(job.get("name", self.path.stem)),
            output=base / str(job.get("output", "reviewmine-output")),
            period=str(period),
            db=base / job["db"] if job.get("db") else None,
            log_file=base / job["log_file"] if job.get("log_file") else None,
            analyze=bool(job.get("analyze", True)),
            model=job.get("model"),
            brands=tuple(brands),
            alerts=tuple(alerts),
        )

    def _unknown(self, table: dict[str, Any], allowed: set[str], line: int, where: str) -> None:
        for key in sorted(set(table) - allowed):
            self.problem(
                self.finder.key(line, key), f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))})"
            )

    def _brand(self, raw: dict[str, Any], index: int) -> BrandSpec:
        line = self.finder.table("brands", index)
        self._unknown(raw, _BRAND_KEYS, line, "[[brands]]")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(line, '[[brands]] entry needs name = "..."')
            name = f"<brand {index + 1}>"
        competitors = raw.get("competitors", [])
        if not isinstance(competitors, list) or not all(isinstance(c, str) for c in competitors):
            self.problem(self.finder.key(line, "competitors"), "competitors must be a list of brand names")
            competitors = []
        sources = [self._source(s, j, index) for j, s in enumerate(raw.get("sources", []))]
        if not sources:
            self.problem(line, f"brand {name!r} has no [[brands.sources]]")
        return BrandSpec(name=name, sources=tuple(sources), competitors=tuple(competitors))

    def _source(self, raw: dict[str, Any], index: int, brand_index: int) -> SourceSpec:
        line = self.finder.table("brands.sources", index, parent=("brands", brand_index))
        self._unknown(raw, _SOURCE_KEYS, line, "[[brands.sources]]")
        from ..collectors.registry import available_sources

        known = available_sources()
        source = raw.get("source")
        if source not in known:
            self.problem(
                self.finder.key(line, "source"), f"unknown source {source!r} (known: {', '.join(sorted(known))})"
            )
        locator = raw.get("locator")
        if not isinstance(locator, str) or not locator.strip():
            self.problem(self.finder.key(line, "locator") if "locator" in raw else line, 'source needs locator = "..."')
            locator = ""
        elif source in known:
            try:
                known[source].validate_locator(locator)
            except InputError as exc:
                self.problem(self.finder.key(line, "locator"), exc.reason)
        for key, kind in (("max_pages", int), ("delay", (int, float))):
            if key in raw and (not isinstance(raw[key], kind) or isinstance(raw[key], bool) or raw[key] < 0):
                self.problem(self.finder.key(line, key), f"{key} must be a non-negative number")
        if "base_url" in raw and not re.match(r"^https?://[^\s/]+", str(raw["base_url"])):
            self.problem(self.finder.key(line, "base_url"), "base_url must be an http(s) URL")
        if "since" in raw:
            from ..timeparse import parse_when

            try:
                parse_when(str(raw["since"]))
            except ValueError as exc:
                self.problem(self.finder.key(line, "since"), str(exc))
        return SourceSpec(
            source=str(source),
            locator=str(locator),
            max_pages=raw.get("max_pages"),
            base_url=raw.get("base_url"),
            delay=raw.get("delay"),
            since=raw.get("since"),
            full=bool(raw.get("full", False)),
        )

    def _alert(self, raw: dict[str, Any], index: int, brand_names: list[str]) -> AlertRule:
        from ..analysis._events import KINDS
        from ..taxonomy import CATEGORIES

        line = self.finder.table("alerts", index)
        self._unknown(raw, _ALERT_KEYS, line, "[[alerts]]")
        score = raw.get("min_score")
        if score is not None and (not isinstance(score, (int, float)) or not 0 <= score <= 100):
            self.problem(self.finder.key(line, "min_score"), "min_score must be a number from 0 to 100")
        kinds = raw.get("event_kinds", [])
        for kind in kinds:
            if kind not in KINDS:
                self.problem(
                    self.finder.key(line, "event_kinds"), f"unknown event kind {kind!r} (known: {', '.join(KINDS)})"
                )
        if score is None and not kinds:
            self.problem(line, "an alert needs min_score and/or event_kinds")
        for brand in raw.get("brands", []):
            if brand not in brand_names:
                self.problem(self.finder.key(line, "brands"), f"alert brand {brand!r} is not a [[brands]] entry")
        for category in raw.get("categories", []):
            if category not in CATEGORIES:
                self.problem(
                    self.finder.key(line, "categories"),
                    f"unknown category {category!r} (known: {', '.join(CATEGORIES)})",
                )
        webhook = raw.get("webhook")
        if webhook is not None and not re.match(r"^https?://[^\s/]+", str(webhook)):
            self.problem(self.finder.key(line, "webhook"), "webhook must be an http(s) URL")
        return AlertRule(
            name=str(raw.get("name", f"alert {index + 1}")),
            min_score=score,
            event_kinds=tuple(kinds),
            brands=tuple(raw.get("brands", [])),
            categories=tuple(raw.get("categories", [])),
            webhook=webhook,
            webhook_env=raw.get("webhook_env"),
        )
