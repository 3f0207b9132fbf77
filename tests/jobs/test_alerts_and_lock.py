"""Alerts fire once per event over a real loopback webhook; overlapping runs on one database are refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from loopback import Reply, serve

from reviewmine.jobs.alerts import deliver, evaluate_rules
from reviewmine.jobs.config import AlertRule
from reviewmine.jobs.lock import RunLockedError, run_lock


def _risk_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.DataFrame(
        [
            {"brand": "Acme", "category": "all", "window_start": "2026-10-05", "score": 72.0, "enough_data": True},
            {"brand": "Acme", "category": "price", "window_start": "2026-10-05", "score": 30.0, "enough_data": True},
            {"brand": "Rival", "category": "all", "window_start": "2026-10-05", "score": 95.0, "enough_data": False},
        ]
    )
    events = pd.DataFrame(
        [
            {"event_id": "Acme|place_process|negative_share|2026-09-07", "brand": "Acme", "category": "place_process",
             "kind": "negative_share", "period_start": "2026-09-07", "size": 0.41, "unit": "share points",
             "q_value": 1e-6},
            {"event_id": "Acme|all|volume|2026-09-07", "brand": "Acme", "category": "all", "kind": "volume",
             "period_start": "2026-09-07", "size": 2.1, "unit": "ratio", "q_value": 0.01},
        ]
    )  # fmt: skip
    return scores, events


def test_rules_fire_on_scores_and_event_kinds() -> None:
    scores, events = _risk_frames()
    rules = (
        AlertRule(name="high", min_score=60),
        AlertRule(name="share", event_kinds=("negative_share",), categories=("place_process",)),
    )
    alerts = evaluate_rules(rules, scores, events)
    keys = {a.key for a in alerts}
    assert keys == {"high|score|Acme|all|2026-10-05", "share|event|Acme|place_process|negative_share|2026-09-07"}


def test_event_alert_keys_do_not_depend_on_row_order() -> None:
    scores, events = _risk_frames()
    rules = (AlertRule(name="any", event_kinds=("negative_share", "volume")),)
    shuffled = events.iloc[::-1].assign(event_id=[7, 8])
    assert {a.key for a in evaluate_rules(rules, scores, events)} == {
        a.key for a in evaluate_rules(rules, scores, shuffled)
    }


def test_alert_is_posted_once(store) -> None:
    scores, events = _risk_frames()
    with serve() as server:
        server.route("/hook", Reply("ok", content_type="text/plain"))
        rules = (AlertRule(name="share", event_kinds=("negative_share",), webhook=server.url("/hook")),)
        alerts = evaluate_rules(rules, scores, events)
        first = deliver(store, rules, alerts, "nightly")
        second = deliver(store, rules, evaluate_rules(rules, scores, events), "nightly")
        hits = server.requested("/hook")
    assert len(first["new"]) == 1 and not first["failures"]
    assert second["new"] == [] and second["repeated"] == 1
    assert len(hits) == 1
    payload = json.loads(hits[0].body)
    assert "text" in payload and "negative share" in payload["text"]  # Slack-compatible
    assert payload["reviewmine"]["alerts"][0]["brand"] == "Acme"


def test_failed_webhook_is_retried_next_run(store) -> None:
    scores, events = _risk_frames()
    with serve() as server:
        server.route("/hook", Reply("down", status=500), Reply("ok"))
        rules = (AlertRule(name="share", event_kinds=("negative_share",), webhook=server.url("/hook")),)
        first = deliver(store, rules, evaluate_rules(rules, scores, events), "nightly")
        second = deliver(store, rules, evaluate_rules(rules, scores, events), "nightly")
    assert first["new"] == [] and first["failures"]
    assert len(second["new"]) == 1


HOLDER = """
import sys, time
from pathlib import Path
from reviewmine.jobs.lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(30)
"""


def test_overlapping_runs_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "reviews.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RunLockedError, match="another reviewmine run is using"), run_lock(db):
            pass
        assert time.monotonic() - started < 1.0  # at once, not after a wait
    finally:
        holder.kill()
        holder.wait()
    with run_lock(db):  # a dead holder leaves no stale lock
        pass


def test_the_lock_is_keyed_by_the_file_not_the_path_as_typed(tmp_path: Path) -> None:
    """`--db link.db` (a symlink to job.db) let two copies of one job run at once."""
    db = tmp_path / "job.db"
    db.touch()
    link = tmp_path / "link.db"
    link.symlink_to(db)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match="another reviewmine run is using"), run_lock(link):
            pass
    finally:
        holder.kill()
        holder.wait()
