"""`reviewmine db copy`: SQLite -> PostgreSQL -> SQLite gives back the same store; a copy stopped halfway finishes
when run again; a repeat changes nothing; a destination holding other data is refused before anything is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import StoreError
from reviewmine.records import Review
from reviewmine.store.copy import COPY_ORDER, copy_store
from reviewmine.store.db import Store
from reviewmine.store.queries import reviews_frame
from reviewmine.store.sentences import AnalysisRow, save_analyses, sentences_frame

runner = CliRunner()
N = 240


def _build(path: Path) -> None:
    """A store with every table filled: two brands, a target, runs, reviews, analyses, sentences, an alert."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    reviews = [
        Review(source="steam", source_review_id=str(i), brand="Acme" if i % 3 else "Rival", body=f"Review {i}.",
               rating=1 + i % 5, published_at=start + timedelta(hours=i), verified=bool(i % 2), extra={"i": i})
        for i in range(N)
    ]  # fmt: skip
    with Store(path) as store:
        run_id = store.start_run("collect", brand="Acme", source="steam", locator="123")
        with store.write() as conn:
            target = store.target_id(conn, "Acme", "steam", "123")
            store.upsert_reviews(conn, reviews, target_id=target)
            rows = [AnalysisRow(r.key, r.content_hash(), "ok", "en", 0.25, "neutral", {"n": 1}) for r in reviews]
            tags = [(r.key, i, f"S{i}.", 1, 0.5, 3, 6, 1 << 27, 2, 1) for r in reviews for i in range(2)]
            save_analyses(conn, "m-1", start, rows, tags)
        store.finish_run(run_id, "ok", fetched=N, new=N)
        store.record_sent_alerts({"rule|score|Acme|all|2025-01-06": "{}"})


def _snapshot(target: str) -> dict:
    with Store(target) as store:
        return {
            "reviews": reviews_frame(store).drop(columns=[]).to_dict("records"),
            "sentences": sentences_frame(store, "m-1").to_dict("records"),
            "run": {k: v for k, v in store.run(1).items()},
            "alerts": store.sent_alert_keys(["rule|score|Acme|all|2025-01-06"]),
        }


def test_sqlite_to_postgresql_and_back_gives_the_same_store(pg_server, pg_url, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    _build(source)
    result = runner.invoke(app, ["db", "copy", str(source), pg_url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["tables"]["sentences"] == {"source": 2 * N, "destination": 2 * N, "written": 2 * N}
    assert pg_server.owner_password not in result.output

    back = tmp_path / "back.db"
    text = runner.invoke(app, ["db", "copy", pg_url, str(back)])
    assert text.exit_code == 0, text.output
    assert all(f"{name:<12}" in text.stdout for name in COPY_ORDER) and "MISMATCH" not in text.stdout
    assert _snapshot(str(source)) == _snapshot(pg_url) == _snapshot(str(back))

    with Store(pg_url) as store:  # ids continue after the copied ones on PostgreSQL
        assert store.start_run("import", brand="New") == 2
        with store.write() as conn:
            assert store.brand_id(conn, "Newer") == 4


def test_a_stopped_copy_finishes_when_run_again_and_a_repeat_changes_nothing(pg_url, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    _build(source)

    def stop_in_reviews(table: str, rows: int) -> None:
        if table == "reviews" and rows >= 100:
            raise KeyboardInterrupt

    with Store(source, read_only=True) as src, Store(pg_url) as dest:
        with pytest.raises(KeyboardInterrupt):
            copy_store(src, dest, progress=stop_in_reviews, chunk=50)
        assert len(reviews_frame(dest)) == 100  # the committed chunks stay
        report = copy_store(src, dest, chunk=50)
        assert report.ok and report.counts["reviews"] == (N, N)
        again = copy_store(src, dest)
        assert again.ok and again.counts == report.counts
    assert _snapshot(str(source)) == _snapshot(pg_url)


def test_a_destination_with_other_data_is_refused_untouched(pg_url, tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    _build(source)
    with Store(pg_url) as other, other.write() as conn:
        other.upsert_reviews(conn, [Review(source="file", source_review_id="x", brand="Someone else", body="Hi.")])
    result = runner.invoke(app, ["db", "copy", str(source), pg_url])
    assert result.exit_code == 1 and "already holds data that is not from" in result.stderr
    with Store(pg_url) as dest:
        assert len(reviews_frame(dest)) == 1
    missing = runner.invoke(app, ["db", "copy", str(tmp_path / "nope.db"), pg_url])
    assert missing.exit_code == 1 and "no such database file" in missing.stderr
    with Store(source) as src, pytest.raises(StoreError, match="the same database"):
        copy_store(src, src)
