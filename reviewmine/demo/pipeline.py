"""`reviewmine demo`: the whole pipeline on the built-in sample site, offline, in a few minutes.

It serves the generated reviews on 127.0.0.1, writes a job file for the three brands (each compared with the
other two, and a [value] table: the customer lifetime value behind "What it is worth") and runs exactly what a
scheduled `reviewmine run` of it does: collect over HTTP with the real collectors -> analyse with the trained
model -> aggregate -> reports + summary.json -> alerts (logged, no webhook). Before the run it imports
Crustline's NPS survey export as `reviewmine import FILE --source survey --rating-scale 0-10` would, so the run
tags its comments too and Crustline's report has an NPS block. Then it checks the planted stories against what
the pipeline found, so the demo also shows whether the tool works.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..jobs.config import JobConfig
from .model import DemoData
from .survey import SURVEY_FILE, import_command, import_survey, write_survey_csv

__all__ = ["DEMO_VALUE", "DemoResult", "demo_job", "demo_job_text", "run_demo", "story_findings"]

log = logging.getLogger("reviewmine.run")

DEMO_PERIOD = "26w"  # the generated reviews span six months
DEMO_VALUE: dict[str, Any] = {"clv": 240, "currency": "GBP"}
"""An average customer lifetime value for a UK pizza chain (invented, like everything in the demo): about two
years of two £25 orders a month at a 20% margin."""


@dataclass
class DemoResult:
    output: Path
    report: Path
    summary: dict[str, Any]
    findings: list[dict[str, Any]]
    exit_code: int


def _toml(value: Any) -> str:
    """A TOML value: strings as basic strings (JSON's escapes are TOML's), lists of them, numbers."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def demo_job_text(data: DemoData, base_url: str, targets: list[Any], model: str | None = None) -> str:
    """The demo's job file: every brand and target, served from ``base_url`` with no politeness delay (our own
    site), an alert rule without webhook (logged only) and the [value] table of DEMO_VALUE."""
    names = [b.name for b in data.brands]
    lines = [
        "# Written by `reviewmine demo`: the job it ran (docs/jobs.md). Its sources point at the sample site, which",
        f"# served on {base_url} only while the demo ran; `reviewmine demo --serve` serves it again (on a new port).",
        f"# Before the run the demo imported {SURVEY_FILE} (Crustline's NPS survey):",
        f"#   {import_command(SURVEY_FILE)}",
        "",
        "[job]",
        'name = "demo"',
        'output = "."',
        f"period = {_toml(DEMO_PERIOD)}",
    ]
    if model is not None:
        lines.append(f"model = {_toml(model)}")
    lines += ["", "[value]  # what a customer is worth: money figures in the reports' \"What it is worth\"",
              f"clv = {DEMO_VALUE['clv']}", f"currency = {_toml(DEMO_VALUE['currency'])}"]  # fmt: skip
    for name in names:
        rivals = [n for n in names if n != name]
        lines += ["", "[[brands]]", f"name = {_toml(name)}", f"competitors = {_toml(rivals)}"]
        for t in (t for t in targets if t.brand == name):
            lines += ["", "  [[brands.sources]]", f"  source = {_toml(t.source)}", f"  locator = {_toml(t.locator)}",
                      f"  base_url = {_toml(base_url)}", "  delay = 0"]  # fmt: skip
    lines += ["", "[[alerts]]", 'name = "demo risk events"', 'event_kinds = ["negative_share"]', ""]
    return "\n".join(lines)


def demo_job(data: DemoData, base_url: str, targets: list[Any], output: Path, model: str | None = None) -> JobConfig:
    """Write the demo's job file into ``output`` (demo-job.toml) and load it as `reviewmine run` would."""
    from ..jobs.config import load_job

    output.mkdir(parents=True, exist_ok=True)
    path = output / "demo-job.toml"
    path.write_text(demo_job_text(data, base_url, targets, model), encoding="utf-8")
    return load_job(path)


def story_findings(data: DemoData, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """For each planted story: the risk events and rating drivers of its brand and categories that the run found."""
    findings = []
    for story in data.stories:
        events = [
            e
            for e in summary.get("events", [])
            if e["brand"] == story.brand and e["category"] in story.categories
            and str(e["period_end"])[:10] >= story.start.date().isoformat()
            and str(e["period_start"])[:10] <= story.end.date().isoformat()
        ]  # fmt: skip
        drivers = [
            d
            for d in summary.get("drivers", [])
            if d["brand"] == story.brand and d["category"] in story.categories and d["sign"] == story.polarity
        ]
        findings.append(
            {
                "story": story.id,
                "brand": story.brand,
                "title": story.title,
                "categories": list(story.categories),
                "found_event": bool(events),
                "found_driver": bool(drivers),
                "events": [f"{e['kind']} {e['category']} week of {str(e['period_start'])[:10]}" for e in events],
                "drivers": [d["feature"] for d in drivers],
            }
        )
    return findings


def run_demo(
    output: Path,
    *,
    seed: int = 7,
    model: str | None = None,
    fresh: bool = True,
    db: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Run the whole pipeline on the demo site into ``output`` (its database is ``output/demo.db``, made anew
    when ``fresh``, unless ``db`` names another: a file or a PostgreSQL URL, used as it is — collection and
    tagging are idempotent, so a second demo into it adds nothing).

    ``progress(done, total)`` follows the tagging step, the long one (the CLI draws a bar with it).
    """
    from ..http import HttpSettings
    from ..jobs.runner import run_job
    from ..store.db import Store
    from .generate import generate_demo
    from .site import DemoSite

    output.mkdir(parents=True, exist_ok=True)
    db_path = output / "demo.db"
    if fresh and db is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    data = generate_demo(seed)
    survey_path = write_survey_csv(data, output / SURVEY_FILE)
    with DemoSite(data) as site, Store(db or db_path) as store:
        job = demo_job(data, site.base_url, site.targets, output, model)
        imported = import_survey(store, survey_path)  # before the run, so the run tags the comments too
        log.info("survey (as `%s`): %s", import_command(survey_path), imported.summary())
        outcome = run_job(
            store, job, http_settings=HttpSettings(min_delay=0.0, max_retries=1, backoff=0.1), analyze_progress=progress
        )
    summary = outcome.summary
    findings = story_findings(data, summary)
    summary["stories"] = findings
    summary["survey"] = {"file": str(survey_path), "command": import_command(survey_path)} | {
        key: getattr(imported, key) for key in ("brand", "source", "rows", "new", "updated", "unchanged")
    }
    main_report = output / "report.html"
    if summary.get("reports"):
        shutil.copyfile(summary["reports"][0]["html"], main_report)

    (output / "summary.json").write_text(
        json.dumps(summary, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    return DemoResult(output, main_report, summary, findings, outcome.exit_code)
