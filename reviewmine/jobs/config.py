"""Job files: what a scheduled `reviewmine run JOBFILE` collects, analyses, reports and alerts on.

A job file is TOML::

    [job]
    name = "nightly"
    output = "out"              # report.html, summary.json and the log go here
    period = "90d"              # the report window
    db = "reviews.db"           # optional (a file, or postgresql://user@host/dbname); --db or $REVIEWMINE_DB win
    engine = "ray"              # optional: tag on Ray actors (docs/scaling.md); also ray_address, actors,
                                # gpus_per_actor as `analyze --address/--actors/--gpus-per-actor`

    [[brands]]
    name = "Acme"
    competitors = ["Rival"]     # other [[brands]] entries, compared in Acme's report

      [[brands.sources]]
      source = "trustpilot"
      locator = "acme.example"
      max_pages = 20            # optional; also base_url, delay, since, full

    [value]                     # optional: money figures in "What it is worth" (docs/report.md)
    clv = 420                   # average customer lifetime value ...
    currency = "EUR"            # ... in this ISO 4217 currency
    customers_per_review = 1    # optional: customers one review stands for (1: figures per reviewer)

    [[alerts]]
    name = "high risk"
    min_score = 60              # fire when a risk score reaches this (0-100) ...
    event_kinds = ["negative_share", "volume"]   # ... or an event of these kinds appears (docs/methods.md)
    webhook = "https://hooks.slack.com/services/..."   # or webhook_env = "SLACK_WEBHOOK_URL"

`load_job` checks every key's type and value and reports *every* problem with its key path and line, so
`reviewmine run --check` can list them all at once and a run never starts on a file it would trip over later.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, InputError
from ._toml_lines import KeyPath, TomlLines, format_key_path

__all__ = [
    "PARTIAL_COLLECTION", "AlertRule", "BrandSpec", "JobConfig", "JobFileError", "SourceSpec", "load_job",
    "require_job_extras",
]  # fmt: skip


@dataclass(frozen=True)
class _Kind:
    """What a key's value must be; ``expected`` completes "expected ..., got ..."."""

    expected: str
    accepts: Callable[[Any], bool]
    item: _Kind | None = None  # for a list: what each element must be


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)  # TOML true is no number, though a Python int


_STRING = _Kind("a string", lambda value: isinstance(value, str))
_INTEGER = _Kind("an integer", lambda value: isinstance(value, int) and not isinstance(value, bool))
_NUMBER = _Kind("a number", _is_number)
_BOOLEAN = _Kind("true or false", lambda value: isinstance(value, bool))
_WHEN = _Kind('a date or a span like "90d"', lambda value: isinstance(value, str | date))  # datetime is a date
_TABLE = _Kind("a table", lambda value: isinstance(value, dict))
_STRINGS = _Kind("a list of strings", lambda value: isinstance(value, list), item=_STRING)
_TABLES = _Kind("a list of tables", lambda value: isinstance(value, list), item=_TABLE)

_ROOT_KEYS = {"job": _TABLE, "brands": _TABLES, "alerts": _TABLES, "value": _TABLE}
_JOB_KEYS = {
    **dict.fromkeys(("name", "output", "period", "db", "log_file", "model", "engine", "ray_address"), _STRING),
    "analyze": _BOOLEAN,
    "actors": _INTEGER,
    "gpus_per_actor": _NUMBER,
}
ENGINES = ("local", "ray")
_RAY_KEYS = ("ray_address", "actors", "gpus_per_actor")
_BRAND_KEYS = {"name": _STRING, "competitors": _STRINGS, "sources": _TABLES}
_SOURCE_KEYS = {
    **dict.fromkeys(("source", "locator", "base_url"), _STRING),
    "max_pages": _INTEGER,
    "delay": _NUMBER,
    "since": _WHEN,
    "full": _BOOLEAN,
}
_VALUE_KEYS = {"clv": _NUMBER, "currency": _STRING, "customers_per_review": _NUMBER}  # analysis/value.py
_ALERT_KEYS = {
    **dict.fromkeys(("name", "webhook", "webhook_env"), _STRING),
    **dict.fromkeys(("brands", "categories", "event_kinds"), _STRINGS),
    "min_score": _NUMBER,
}


# The event kind of a collection that ended partial (reviews the source announces are missing; docs/collecting.md).
PARTIAL_COLLECTION = "partial_collection"


class JobFileError(InputError):
    """One or more problems in a job file, each with its line (None where the text does not show it).

    Exit 2, like a usage error: the job file is the run's options written down, checked before anything runs, so
    nothing was done (issue 21 asks this of a bad ``[value]``; every job-file problem follows it). A file that cannot
    be read at all stays an InputError (exit 1).
    """

    exit_code = EXIT_USAGE

    def __init__(self, path: Path, problems: list[tuple[int | None, str]]) -> None:
        self.path, self.problems = path, problems
        lines = [f"{path}:{line}: {message}" if line else f"{path}: {message}" for line, message in problems]
        super().__init__(lines[0] if len(lines) == 1 else f"{len(lines)} problems in job file\n" + "\n".join(lines))


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
    db: Path | str | None = None  # a file (relative to the job file) or a database URL (postgresql://...)
    log_file: Path | None = None
    analyze: bool = True
    model: str | None = None
    engine: str = "local"  # or "ray": `analyze --engine ray` with the three settings below
    ray_address: str | None = None
    actors: int | None = None
    gpus_per_actor: float = 0.0
    brands: tuple[BrandSpec, ...] = ()
    alerts: tuple[AlertRule, ...] = field(default_factory=tuple)
    value: Any = None  # analysis.value.ValueInputs from [value] (CLV, currency, customers per review), or None


def _db_location(base: Path, db: str | None) -> Path | str | None:
    """The job's database: a URL as written, a file path relative to the job file."""
    from ..store.location import is_database_url

    if not db:
        return None
    return db if is_database_url(db) else base / db


def load_job(path: str | Path) -> JobConfig:
    """Read and validate a job file; raise JobFileError listing every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("job file not found", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the job file ({exc.strerror or exc})", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _syntax_error_at(exc, text)
        raise JobFileError(path, [(line, f"not valid TOML: {message}")]) from None
    return _Validator(path, TomlLines(text)).run(data)


def _syntax_error_at(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """tomllib's line (an attribute from Python 3.14, inside the message before) and its message without it."""
    message = getattr(exc, "msg", None) or str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        return getattr(exc, "lineno", None) or int(match.group(1)), f"{message[: match.start()]} (column {match[2]})"
    if message.endswith("(at end of document)"):
        return getattr(exc, "lineno", None) or max(1, len(text.splitlines())), message
    return getattr(exc, "lineno", None) or 1, message


def _describe(value: Any) -> str:
    """A value the way it reads in TOML, for "expected a number, got true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list of tables" if value and all(isinstance(item, dict) for item in value) else "a list"
    if isinstance(value, datetime | date):
        return f"the date {value.isoformat()}"
    return str(value)  # numbers and TOML times


class _Validator:
    def __init__(self, path: Path, lines: TomlLines) -> None:
        self.path, self.lines = path, lines
        self.problems: list[tuple[int | None, str]] = []

    def problem(self, at: KeyPath, message: str) -> None:
        """A problem with the value at key path ``at``, on the line where that is written when the text shows it."""
        where = format_key_path(at)
        self.problems.append((self.lines.line_of(at), f"{where}: {message}" if where else message))

    def table(self, raw: dict[str, Any], at: KeyPath, kinds: dict[str, _Kind]) -> dict[str, Any]:
        """The keys of ``raw`` whose values have their kind; unknown keys and wrong types become problems."""
        valid: dict[str, Any] = {}
        for key, value in raw.items():
            kind = kinds.get(key)
            if kind is None:
                self.problem((*at, key), f"unknown key (allowed: {', '.join(sorted(kinds))})")
            elif self._is_kind(value, kind, (*at, key)):
                valid[key] = value
        return valid

    def _is_kind(self, value: Any, kind: _Kind, at: KeyPath) -> bool:
        if not kind.accepts(value):
            self.problem(at, f"expected {kind.expected}, got {_describe(value)}")
            return False
        if kind.item is None:
            return True
        wrong = [index for index, item in enumerate(value) if not kind.item.accepts(item)]
        for index in wrong:
            self.problem((*at, index), f"expected {kind.item.expected}, got {_describe(value[index])}")
        return not wrong

    def run(self, data: dict[str, Any]) -> JobConfig:
        from ..timeparse import parse_span

        root = self.table(data, (), _ROOT_KEYS)
        job = self.table(root.get("job", {}), ("job",), _JOB_KEYS)
        period = job.get("period", "90d")
        try:
            parse_span(period)
        except ValueError as exc:
            self.problem(("job", "period"), str(exc))
        self._engine(job)
        brands = [self._brand(raw, index) for index, raw in enumerate(root.get("brands", []))]
        names = [brand.name for brand in brands]
        if not brands and ("brands" not in data or "brands" in root):
            self.problem((), "no [[brands]]: a job needs at least one brand with a source")
        for index, brand in enumerate(brands):
            for rival in brand.competitors:
                if rival not in names:
                    at: KeyPath = ("brands", index, "competitors")
                    self.problem(at, f"competitor {rival!r} of {brand.name!r} is not a [[brands]] entry")
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                self.problem(("brands", index), f"brand {name!r} is listed twice")
            seen.add(name)
        alerts = [self._alert(raw, index, names) for index, raw in enumerate(root.get("alerts", []))]
        value = self._value(root["value"]) if "value" in root else None
        if self.problems:
            order = sorted(self.problems, key=lambda problem: (problem[0] is None, problem[0] or 0, problem[1]))
            raise JobFileError(self.path, order)
        base = self.path.parent
        return JobConfig(
            path=self.path,
            name=job.get("name", self.path.stem),
            output=base / job.get("output", "reviewmine-output"),
            period=period,
            db=_db_location(base, job.get("db")),
            log_file=base / job["log_file"] if job.get("log_file") else None,
            analyze=job.get("analyze", True),
            model=job.get("model"),
            engine=job.get("engine", "local"),
            ray_address=job.get("ray_address"),
            actors=job.get("actors"),
            gpus_per_actor=float(job.get("gpus_per_actor", 0.0)),
            brands=tuple(brands),
            alerts=tuple(alerts),
            value=value,
        )

    def _value(self, raw: dict[str, Any]) -> Any:
        """The [value] table as ValueInputs, or a problem naming the key (the same checks as `report --clv`)."""
        from ..analysis.value import value_inputs
        from ..errors import UsageError

        spec = self.table(raw, ("value",), _VALUE_KEYS)
        if spec.keys() != raw.keys():  # a wrong type is reported already
            return None
        names = [f"value.{key}" for key in _VALUE_KEYS]
        try:
            return value_inputs(spec.get("clv"), spec.get("currency"), spec.get("customers_per_review"), names=names)
        except UsageError as exc:
            key = (exc.where or "value.clv").removeprefix("value.")
            self.problem(("value", key) if key in raw else ("value",), exc.reason)
            return None

    def _engine(self, job: dict[str, Any]) -> None:
        """``engine`` is local or ray; the Ray keys need engine = "ray" and sensible numbers."""
        engine = job.get("engine", "local")
        if engine not in ENGINES:
            self.problem(("job", "engine"), f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
        elif engine != "ray":
            for key in _RAY_KEYS:
                if key in job:
                    self.problem(("job", key), f'{key} needs engine = "ray"')
        if job.get("actors", 1) < 1:
            self.problem(("job", "actors"), "actors must be at least 1")
        if not 0 <= job.get("gpus_per_actor", 0) < math.inf:
            self.problem(("job", "gpus_per_actor"), "gpus_per_actor must be a non-negative number")

    def _brand(self, raw: dict[str, Any], index: int) -> BrandSpec:
        at: KeyPath = ("brands", index)
        brand = self.table(raw, at, _BRAND_KEYS)
        name = brand.get("name", "")
        if not name.strip():
            if "name" not in raw or "name" in brand:  # a wrong type is reported already
                self.problem(at, '[[brands]] entry needs name = "..."')
            name = f"<brand {index + 1}>"
        sources = [self._source(source, number, index) for number, source in enumerate(brand.get("sources", []))]
        if not sources and ("sources" not in raw or "sources" in brand):
            self.problem(at, f"brand {name!r} has no [[brands.sources]]")
        return BrandSpec(name=name, sources=tuple(sources), competitors=tuple(brand.get("competitors", [])))

    def _source(self, raw: dict[str, Any], index: int, brand_index: int) -> SourceSpec:
        from ..collectors.registry import available_sources
        from ..timeparse import parse_when

        at: KeyPath = ("brands", brand_index, "sources", index)
        spec = self.table(raw, at, _SOURCE_KEYS)
        known = available_sources()
        source = spec.get("source")
        if source is None and "source" not in raw:
            self.problem(at, f'source needs source = "..." (known: {", ".join(sorted(known))})')
        elif source is not None and source not in known:
            self.problem((*at, "source"), f"unknown source {source!r} (known: {', '.join(sorted(known))})")
        locator = spec.get("locator", "")
        if not locator.strip():
            if "locator" not in raw or "locator" in spec:
                self.problem((*at, "locator") if "locator" in raw else at, 'source needs locator = "..."')
        elif source in known:
            try:
                known[source].validate_locator(locator)
            except InputError as exc:
                self.problem((*at, "locator"), exc.reason)
        for key in ("max_pages", "delay"):
            if key in spec and not 0 <= spec[key] < math.inf:
                self.problem((*at, key), f"{key} must be a non-negative number")
        if "base_url" in spec and not re.match(r"^https?://[^\s/]+", spec["base_url"]):
            self.problem((*at, "base_url"), "base_url must be an http(s) URL")
        since = spec.get("since")
        if isinstance(since, date):  # a TOML date or date-time, unquoted
            since = since.isoformat()
        if since is not None:
            try:
                parse_when(since)
            except ValueError as exc:
                self.problem((*at, "since"), str(exc))
        return SourceSpec(
            source=str(source),
            locator=locator,
            max_pages=spec.get("max_pages"),
            base_url=spec.get("base_url"),
            delay=spec.get("delay"),
            since=since,
            full=spec.get("full", False),
        )

    def _alert(self, raw: dict[str, Any], index: int, brand_names: list[str]) -> AlertRule:
        from ..analysis import EVENT_KINDS  # loads numpy and pandas: only for a job file with alerts
        from ..taxonomy import CATEGORIES

        at: KeyPath = ("alerts", index)
        rule = self.table(raw, at, _ALERT_KEYS)
        score = rule.get("min_score")
        if score is not None and not 0 <= score <= 100:
            self.problem((*at, "min_score"), "min_score must be a number from 0 to 100")
        kinds = rule.get("event_kinds", [])
        known = [*EVENT_KINDS, PARTIAL_COLLECTION]
        for number, kind in enumerate(kinds):
            if kind not in known:
                self.problem((*at, "event_kinds", number), f"unknown event kind {kind!r} (known: {', '.join(known)})")
        if score is None and not kinds and not {"min_score", "event_kinds"} & (raw.keys() - rule.keys()):
            self.problem(at, "an alert needs min_score and/or event_kinds")
        for number, brand in enumerate(rule.get("brands", [])):
            if brand not in brand_names:
                self.problem((*at, "brands", number), f"alert brand {brand!r} is not a [[brands]] entry")
        for number, category in enumerate(rule.get("categories", [])):
            if category not in CATEGORIES:
                message = f"unknown category {category!r} (known: {', '.join(CATEGORIES)})"
                self.problem((*at, "categories", number), message)
        webhook = rule.get("webhook")
        if webhook is not None and not re.match(r"^https?://[^\s/]+", webhook):
            self.problem((*at, "webhook"), "webhook must be an http(s) URL")
        return AlertRule(
            name=rule.get("name", f"alert {index + 1}"),
            min_score=score,
            event_kinds=tuple(kinds),
            brands=tuple(rule.get("brands", [])),
            categories=tuple(rule.get("categories", [])),
            webhook=webhook,
            webhook_env=rule.get("webhook_env"),
        )


def require_job_extras(job: JobConfig) -> None:
    """MissingExtraError (exit 2) unless the install can run the job's analysis: the nlp extra, or the ray extra
    (which includes nlp) for ``engine = "ray"``; a job without analysis needs neither."""
    from ..extras import require

    if not job.analyze:
        return
    if job.engine == "ray":
        require("ray", f'{job.path.name}: analyze = true with engine = "ray"')
    else:
        require("nlp", f"{job.path.name}: analyze = true")
