"""`reviewmine demo`: the whole pipeline on the built-in sample site, offline, in a few minutes.

It serves the generated reviews on 127.0.0.1, builds a job for the three brands (each compared with the other
two) and runs exactly what a scheduled `reviewmine run` does: collect over HTTP with the real collectors ->
analyse with the trained model -> aggregate -> reports + summary.json -> alerts (logged, no webhook). Then it
checks the planted stories against what the pipeline found, so the demo also shows whether the tool works.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..jobs.config import AlertRule, BrandSpec, JobConfig, SourceSpec
from .model import DemoData

__all__ = ["DemoResult", "demo_job", "run_demo", "story_findings"]

DEMO_PERIOD = "26w"  # the generated reviews span six months


@dataclass
class DemoResult:
    output: Path
    report: Path
    summary: dict[str, Any]
    findings: list[dict[str, Any]]
    exit_code: int


def demo_job(data: DemoData, base_url: str, targets: list[Any], output: Path, model: str | None = None) -> JobConfig:
    """A job for every demo brand and target, served from ``base_url`` with no politeness delay (our own site)."""
    brands = []
    names = [b.name for b in data.brands]
    for name in names:
        specs = tuple(
            SourceSpec(source=t.source, locator=t.locator, base_url=base_url, delay=0.0)
            for t in targets
            if t.brand == name
        )
        brands.append(BrandSpec(name=name, sources=specs, competitors=tuple(n for n in names if n != name)))
    rule = AlertRule(name="demo risk events", event_kinds=("negative_share",))  # no webhook: logged only
    return JobConfig(
        path=output / "demo-job.toml",
        name="demo",
        output=output,
        period=DEMO_PERIOD,
        model=model,
        brands=tuple(brands),
        alerts=(rule,),
    )


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
    with DemoSite(data) as site, Store(db or db_path) as store:
        job = demo_job(data, site.base_url, site.targets, output, model)
        outcome = run_job(
            store, job, http_settings=HttpSettings(min_delay=0.0, max_retries=1, backoff=0.1), analyze_progress=progress
        )
    summary = outcome.summary
    findings = story_findings(data, summary)
    summary["stories"] = findings
    main_report = output / "report.html"
    if summary.get("reports"):
        shutil.copyfile(summary["reports"][0]["html"], main_report)

    (output / "summary.json").write_text(
        json.dumps(summary, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    return DemoResult(output, main_report, summary, findings, outcome.exit_code)
