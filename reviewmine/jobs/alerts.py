"""Alert rules over risk scores and events: which fire, a Slack-compatible webhook POST, and never twice.

An alert's key says what it is about (rule + event id, or rule + brand + category + window for a score), and
the `alerts_sent` table remembers delivered keys, so the next nightly run does not repeat itself. An alert whose
webhook fails is not marked sent: the next run tries again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .config import PARTIAL_COLLECTION, AlertRule

if TYPE_CHECKING:
    import pandas as pd

    from ..store.db import Store

__all__ = ["PARTIAL_COLLECTION", "Alert", "deliver", "evaluate_rules", "partial_alerts"]

WEBHOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Alert:
    """One thing an alert rule fired on."""

    key: str
    rule: str
    brand: str
    category: str
    what: str  # "score" or the event kind
    message: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _matches(rule: AlertRule, brand: str, category: str) -> bool:
    return (not rule.brands or brand in rule.brands) and (not rule.categories or category in rule.categories)


def evaluate_rules(rules: tuple[AlertRule, ...], scores: pd.DataFrame, events: pd.DataFrame) -> list[Alert]:
    """Every alert the rules fire on these risk scores (``SCORE_COLUMNS``) and events (``EVENT_COLUMNS``)."""
    alerts: list[Alert] = []
    for rule in rules:
        if rule.min_score is not None:
            for row in scores.itertuples(index=False):
                if not row.enough_data or row.score < rule.min_score or not _matches(rule, row.brand, row.category):
                    continue
                window = str(row.window_start)[:10]
                alerts.append(
                    Alert(
                        key=f"{rule.name}|score|{row.brand}|{row.category}|{window}",
                        rule=rule.name,
                        brand=row.brand,
                        category=row.category,
                        what="score",
                        message=(
                            f"{row.brand} / {row.category}: reputation risk {row.score:.0f}/100 "
                            f"(rule '{rule.name}': >= {rule.min_score:g}) in the window from {window}"
                        ),
                        details={"score": float(row.score), "window_start": window},
                    )
                )
        if rule.event_kinds:
            for event in events.itertuples(index=False):
                if event.kind not in rule.event_kinds or not _matches(rule, event.brand, event.category):
                    continue
                start = str(event.period_start)[:10]
                # keyed on what the event is, not on its row number, so later runs recognise it
                alerts.append(
                    Alert(
                        key=f"{rule.name}|event|{event.brand}|{event.category}|{event.kind}|{start}",
                        rule=rule.name,
                        brand=event.brand,
                        category=event.category,
                        what=event.kind,
                        message=(
                            f"{event.brand} / {event.category}: {event.kind.replace('_', ' ')} in the week of {start} "
                            f"({event.size:+.2f} {event.unit}, q={event.q_value:.3g})"
                        ),
                        details={"period_start": start, "size": float(event.size), "q_value": float(event.q_value)},
                    )
                )
    return alerts


def partial_alerts(rules: tuple[AlertRule, ...], rows: list[dict[str, Any]]) -> list[Alert]:
    """One alert per partial collection (the job's collect rows) and rule listing ``partial_collection``."""
    alerts: list[Alert] = []
    for rule in rules:
        if PARTIAL_COLLECTION not in rule.event_kinds:
            continue
        for row in rows:
            if rule.brands and row["brand"] not in rule.brands:
                continue
            where = f"{row['source']} {row['locator']}"
            alerts.append(
                Alert(
                    key=f"{rule.name}|{PARTIAL_COLLECTION}|{row['brand']}|{where}|run {row.get('run_id')}",
                    rule=rule.name,
                    brand=row["brand"],
                    category="",
                    what=PARTIAL_COLLECTION,
                    message=f"{row['brand']} / {where}: collection partial: {row.get('partial_reason')}",
                    details={"run_id": row.get("run_id"), "missing": row.get("missing"), "gaps": row.get("gaps")},
                )
            )
    return alerts


def _post(url: str, alerts: list[Alert], job_name: str) -> None:
    import httpx

    lines = [f"*reviewmine* ({job_name}): {len(alerts)} alert(s)"] + [f"• {a.message}" for a in alerts]
    payload = {"text": "\n".join(lines), "reviewmine": {"job": job_name, "alerts": [a.to_dict() for a in alerts]}}
    response = httpx.post(url, json=payload, timeout=WEBHOOK_TIMEOUT_S)
    response.raise_for_status()


def deliver(store: Store, rules: tuple[AlertRule, ...], alerts: list[Alert], job_name: str) -> dict[str, Any]:
    """Send the alerts not sent before, per rule webhook; record what was delivered. Returns a summary."""
    sent = store.sent_alert_keys(a.key for a in alerts)
    fresh = [a for a in alerts if a.key not in sent]
    by_rule = {rule.name: rule for rule in rules}
    delivered: list[Alert] = []
    failures: list[str] = []
    for name in dict.fromkeys(a.rule for a in fresh):
        rule_alerts = [a for a in fresh if a.rule == name]
        rule = by_rule[name]
        url = rule.webhook or (os.environ.get(rule.webhook_env) if rule.webhook_env else None)
        if url:
            try:
                _post(url, rule_alerts, job_name)
            except Exception as exc:  # any transport or HTTP failure: keep the alerts unsent and report it
                failures.append(f"webhook of rule '{name}' failed: {exc}")
                continue
        delivered.extend(rule_alerts)
    store.record_sent_alerts({a.key: json.dumps(a.to_dict(), default=str) for a in delivered})
    return {
        "fired": len(alerts),
        "new": [a.to_dict() for a in delivered],
        "repeated": len(alerts) - len(fresh),
        "failures": failures,
    }
