"""One scheduled run: collect incrementally -> analyse new reviews -> aggregate -> report -> alert.

Each step is isolated: a failing source is recorded and the others go on; a failing step is recorded and the
run carries on with what it has. The summary (a plain dict, also written as summary.json) says what happened.
Exit codes: 0 ok, 1 something failed, 4 no failures but a collection was partial (reviews the source announces
are missing), 3 none of those but an alert fired (cron/CI can react to each).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._files import write_atomic as _write_atomic
from ..errors import EXIT_ALERT, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, ReviewmineError
from ..records import utcnow
from ..store.db import Store
from .config import JobConfig, SourceSpec

__all__ = ["JobOutcome", "run_job"]

log = logging.getLogger("reviewmine.run")


@dataclass
class JobOutcome:
    """What a run did; ``summary`` is what summary.json holds."""

    summary: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    partial: list[dict[str, Any]] = field(default_factory=list)  # the collect rows that ended partial
    new_alerts: int = 0

    @property
    def exit_code(self) -> int:
        if self.failures:
            return EXIT_FAILED
        if self.partial:
            return EXIT_PARTIAL
        return EXIT_ALERT if self.new_alerts else EXIT_OK

    @property
    def status(self) -> str:
        return {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_PARTIAL: "partial", EXIT_ALERT: "alert"}[self.exit_code]


@dataclass
class RiskView:
    """The current risk scores and the events of the job's period (``analysis`` SCORE_/EVENT_COLUMNS)."""

    scores: Any
    events: Any
    drivers: Any  # rating drivers per brand (analysis FEATURE_COLUMNS)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "brand"


def _collect_one(store: Store, http: Any, brand: str, spec: SourceSpec) -> dict[str, Any]:
    from ..collect import collect
    from ..collectors.registry import make_collector
    from ..timeparse import parse_when

    # the job file's delay paces this source only; HttpSettings.min_delay would pace every host of the run
    collector = make_collector(spec.source, spec.locator, brand, spec.base_url, spec.delay)
    result = collect(store, collector, http, max_pages=spec.max_pages, since=parse_when(spec.since), full=spec.full)
    return result.to_dict() | {"summary": result.summary()}


def collect_step(store: Store, job: JobConfig, outcome: JobOutcome, http_settings: Any = None) -> list[dict[str, Any]]:
    """Collect every source of every brand; a failure is recorded and the next source goes on."""
    from ..http import HttpClient, HttpSettings

    rows: list[dict[str, Any]] = []
    with HttpClient(http_settings or HttpSettings()) as http:
        for brand in job.brands:
            for spec in brand.sources:
                where = f"{brand.name} / {spec.source} {spec.locator}"
                row: dict[str, Any] = {"brand": brand.name, "source": spec.source, "locator": spec.locator}
                try:
                    row |= _collect_one(store, http, brand.name, spec)
                except ReviewmineError as exc:
                    row |= {"status": "failed", "errors": [str(exc)]}
                except Exception as exc:  # one source's bug or outage must not stop the others
                    log.exception("collect %s crashed", where)
                    row |= {"status": "failed", "errors": [f"{type(exc).__name__}: {exc}"]}
                if row.get("status") == "partial":
                    outcome.partial.append(row)
                    log.warning("collect %s partial: %s", where, row.get("partial_reason"))
                elif row.get("status") != "ok":
                    outcome.failures.append(f"collect {where}: {'; '.join(row.get('errors') or ['failed'])}")
                    log.error("collect %s failed: %s", where, "; ".join(row.get("errors") or []))
                else:
                    log.info("collect %s: %s", where, row.get("summary", ""))
                rows.append(row)
    return rows


def analyze_step(
    store: Store, job: JobConfig, outcome: JobOutcome, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Tag the reviews that lack an analysis for the job's model (all brands of the job), on the job's engine.

    Without the nlp extra (the ray extra for ``engine = "ray"``) the run stops here (MissingExtraError, exit 2)
    instead of recording one failed step: every later run would fail the same way until the install, or the job's
    ``analyze = true``, changes. `reviewmine run` makes the same check (`require_job_extras`) before collecting
    anything; this covers other callers of `run_job`.
    """
    from ..errors import MissingExtraError
    from .config import require_job_extras

    try:
        require_job_extras(job)
    except MissingExtraError as exc:
        log.error("analyze: %s", exc)
        raise
    from ..nlp import predictor
    from ..nlp.analyze import analyze_store
    from ..nlp.inference import read_model_version

    brands = [b.name for b in job.brands]
    try:
        if job.engine == "ray":
            from ..nlp.ray_engine import RaySettings, analyze_store_ray

            settings = RaySettings(
                address=job.ray_address, actors=job.actors, gpus_per_actor=job.gpus_per_actor, model=job.model
            )
            report = analyze_store_ray(store, settings, brand=brands, progress=progress)
        else:
            report = analyze_store(
                store,
                lambda: predictor(job.model),  # loaded only when reviews are pending
                model_version=read_model_version(job.model),
                brand=brands,
                progress=progress,
            )
    except ReviewmineError as exc:
        outcome.failures.append(f"analyze: {exc}")
        log.error("analyze failed: %s", exc)
        return {"status": "failed", "error": str(exc)}
    log.info("analyze: %s", report.message())
    return {
        "status": "ok",
        "engine": report.engine,
        "model_version": report.model_version,
        "analyzed": report.analyzed,
        "sentences": report.sentences,
        "seconds": round(report.seconds, 1),
        "message": report.message(),
    }


def report_step(store: Store, job: JobConfig, outcome: JobOutcome) -> tuple[list[dict[str, Any]], RiskView]:
    """Write one HTML report (+ JSON) per brand with its competitors; return the rows and the job's risk view."""
    from ..workspace import Workspace

    job.output.mkdir(parents=True, exist_ok=True)
    with Workspace(store) as workspace:
        rows = [row for brand in job.brands if (row := _write_report(workspace, job, brand.name, outcome))]
        return rows, _risk_view(workspace, job)


def _write_report(workspace: Any, job: JobConfig, brand: str, outcome: JobOutcome) -> dict[str, Any] | None:
    from ..report import build_report, render_html, to_json

    competitors = next(b.competitors for b in job.brands if b.name == brand)
    try:
        model = build_report(workspace, brand, vs=list(competitors), period=job.period, model=job.model,
                             value=job.value)  # fmt: skip
    except ReviewmineError as exc:
        outcome.failures.append(f"report {brand}: {exc}")
        log.error("report %s failed: %s", brand, exc)
        return None
    html_path = job.output / f"report-{_slug(brand)}.html"
    json_path = html_path.with_suffix(".json")
    _write_atomic(html_path, render_html(model))
    _write_atomic(json_path, to_json(model))
    log.info("report %s: %s", brand, html_path)
    from ..report._nps import nps_summary
    from ..report.worth import worth_summary

    row = {"brand": brand, "html": str(html_path), "json": str(json_path), "worth": worth_summary(model.worth)}
    return row | ({"nps": nps_summary(model.nps)} if model.nps is not None else {})  # only with survey data


def _risk_view(workspace: Any, job: JobConfig) -> RiskView:
    """Risk scores, the events of the job's period and the rating drivers, from one load of the tags."""
    import pandas as pd

    from .. import analysis
    from ..timeparse import parse_span

    names = [b.name for b in job.brands]
    prepared = analysis.prepare(workspace.sentences(names, model=job.model), workspace.reviews(names))
    risk = analysis.compute_risk(prepared)
    events = risk.events
    if len(events):  # alert on the events of the job's period, not on all history
        cutoff = pd.Timestamp(utcnow()) - parse_span(job.period)
        events = events[pd.to_datetime(events["period_end"], utc=True) >= cutoff]
    drivers = analysis.compute_drivers(prepared, targets=("rating",)).features
    return RiskView(risk.scores, events, drivers)


def alert_step(store: Store, job: JobConfig, outcome: JobOutcome, risk: RiskView | None) -> dict[str, Any]:
    """Alerts on the risk view (when the aggregate step got one) and on partial collections; each sent once."""
    from .alerts import deliver, evaluate_rules, partial_alerts

    alerts = evaluate_rules(job.alerts, risk.scores, risk.events) if risk is not None else []
    alerts += partial_alerts(job.alerts, outcome.partial)
    result = deliver(store, job.alerts, alerts, job.name)
    outcome.new_alerts = len(result["new"])
    for failure in result["failures"]:
        outcome.failures.append(f"alert: {failure}")
    for alert in result["new"]:
        log.warning("ALERT %s", alert["message"])
    return result


def _records(frame: Any, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return json.loads(frame.drop(columns=list(drop), errors="ignore").to_json(orient="records", date_format="iso"))


def _risk_summary(risk: RiskView) -> dict[str, Any]:
    """Scores, events (without their quotes) and the top rating drivers per brand, for summary.json."""
    drivers = risk.drivers
    if len(drivers):
        drivers = drivers[drivers["status"] == "ok"].sort_values(["brand", "importance"], ascending=[True, False])
        drivers = drivers.groupby("brand", sort=False).head(5)
    return {
        "scores": _records(risk.scores),
        "events": _records(risk.events, drop=("examples",)),
        "drivers": _records(drivers),
    }


def run_job(store: Store, job: JobConfig, *, http_settings: Any = None, analyze_progress: Any = None) -> JobOutcome:
    """The whole pipeline for one job file; writes ``summary.json`` into the job's output folder."""
    outcome = JobOutcome()
    started = time.perf_counter()
    summary: dict[str, Any] = {"job": job.name, "job_file": str(job.path), "db": store.display_name,
                               "started_at": utcnow().isoformat(), "period": job.period}  # fmt: skip
    summary["collect"] = collect_step(store, job, outcome, http_settings)
    if job.analyze:
        summary["analyze"] = analyze_step(store, job, outcome, analyze_progress)
    risk: RiskView | None = None
    try:
        summary["reports"], risk = report_step(store, job, outcome)
        summary.update(_risk_summary(risk))
    except ReviewmineError as exc:
        outcome.failures.append(f"aggregate: {exc}")
        log.error("aggregate failed: %s", exc)
    summary["alerts"] = alert_step(store, job, outcome, risk)  # partial collections alert even without a report
    summary["failures"] = outcome.failures
    summary["ended_at"] = utcnow().isoformat()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["exit_code"] = outcome.exit_code
    summary["status"] = outcome.status
    job.output.mkdir(parents=True, exist_ok=True)
    _write_atomic(job.output / "summary.json", json.dumps(summary, indent=2, default=str, ensure_ascii=False))
    outcome.summary = summary
    return outcome
