"""The store owns the SQL (a second dialect then touches one folder) and report/ gets its inputs handed over,
plus the named store reads that replaced the queries outside it. Issue 22; the import arrows between packages
are checked in test_import_graph.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reviewmine.report import build_report
from reviewmine.report.inputs import ReportInputs
from reviewmine.store.db import Store
from reviewmine.store.queries import RUN_COLUMNS, runs_frame
from reviewmine.testing.synthetic import synthetic_brands

PACKAGE = Path(__file__).resolve().parents[1] / "reviewmine"


def _absolute_imports(path: Path) -> set[str]:
    """Top-level package names ``path`` imports, at any level (imports inside functions count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_store_touches_sqlalchemy_and_its_tables() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "store"):
            continue
        text = path.read_text(encoding="utf-8")
        if "sqlalchemy" in _absolute_imports(path) or ".tables[" in text or "exec_driver_sql" in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_runs_frame_shows_a_run_whose_process_is_gone_as_interrupted(store: Store) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_run = store.start_run("collect", brand="Acme", source="trustpilot", locator="acme.example")
    live_run = store.start_run("collect", brand="Acme", source="trustpilot", locator="acme.example")
    store.start_run("collect", brand="Rival", source="trustpilot", locator="rival.example")
    with store.write() as conn:
        store.update_run(conn, dead_run, pid=int(gone.stdout))

    frame = runs_frame(store, ["Acme"])

    assert tuple(frame.columns) == RUN_COLUMNS
    assert frame.set_index("run_id")["status"].to_dict() == {dead_run: "interrupted", live_run: "running"}


def test_sent_alert_keys_are_remembered_across_many_keys(store: Store) -> None:
    keys = [f"rule|score|Acme|price|{i}" for i in range(1_200)]  # more than one IN (...) chunk
    store.record_sent_alerts({key: "{}" for key in keys[::2]})
    store.record_sent_alerts({})  # nothing delivered: nothing written
    assert store.sent_alert_keys(keys) == set(keys[::2])
    assert store.sent_alert_keys([]) == set()


class _FramesAtHand:
    """A report source that is not a Workspace: the report asks it for its inputs."""

    def __init__(self, inputs: ReportInputs) -> None:
        self.inputs, self.asked = inputs, list[tuple[list[str], str | None]]()

    def report_inputs(self, brands: Sequence[str], model: str | None = None) -> ReportInputs:
        self.asked.append((list(brands), model))
        return self.inputs


def test_build_report_takes_its_inputs_from_a_report_source() -> None:
    data = synthetic_brands(1, weeks=3, reviews_per_week=4, seed=5)
    source = _FramesAtHand(ReportInputs(data.sentences, data.reviews, pd.DataFrame(columns=list(RUN_COLUMNS))))
    model = build_report(source, "Brand 00", period="30d", resamples=10)
    assert source.asked == [(["Brand 00"], None)] and model.brand == "Brand 00"
