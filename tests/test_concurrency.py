"""A scheduled scrape writing while a notebook reads: two real processes on one database, both must succeed; and
several processes writing overlapping reviews at once: exact counts, no duplicates. Each runs on SQLite and on
PostgreSQL (the ``db_target`` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

WRITER = textwrap.dedent(
    """
    import sys
    from reviewmine.records import Review
    from reviewmine.store.db import Store

    store = Store(sys.argv[1])
    for batch in range(60):
        with store.write() as conn:
            reviews = [
                Review(source="steam", source_review_id=f"{batch}-{i}", brand="Acme", body=f"Review {batch} {i}")
                for i in range(50)
            ]
            store.upsert_reviews(conn, reviews)
    print("writer done")
    """
)

READER = textwrap.dedent(
    """
    import sys, time
    import reviewmine

    db = reviewmine.open(sys.argv[1])
    seen, reads = [], 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = len(db.reviews(brand="Acme"))
        assert n % 50 == 0, f"a read saw a half-written batch: {n}"
        seen.append(n)
        reads += 1
        if n == 3000:
            break
    assert seen == sorted(seen), "reads went backwards"
    print(f"reader done {reads} reads, last {seen[-1]}")
    """
)


def test_writer_and_reader_processes_both_succeed(db_target: str) -> None:
    from reviewmine.store.db import Store

    Store(db_target).close()  # create the schema first, as `reviewmine` would on first use
    writer = subprocess.Popen([sys.executable, "-c", WRITER, db_target], stdout=subprocess.PIPE, text=True)
    reader = subprocess.Popen([sys.executable, "-c", READER, db_target], stdout=subprocess.PIPE, text=True)
    w_out, _ = writer.communicate(timeout=120)
    r_out, _ = reader.communicate(timeout=120)
    assert writer.returncode == 0 and "writer done" in w_out
    assert reader.returncode == 0 and "reader done" in r_out
    assert r_out.strip().endswith("last 3000")


def test_processes_opening_a_new_database_migrate_once(db_target: str) -> None:
    code = "import sys; from reviewmine.store.db import Store; Store(sys.argv[1]).close(); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_target], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]  # fmt: skip
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and all("ok" in o for o in outputs)
    from reviewmine.store.db import Store
    from reviewmine.store.migrations import SCHEMA_VERSION

    with Store(db_target) as store:
        assert store.schema_version() == SCHEMA_VERSION


# Each writer upserts its window of review keys (windows overlap), in shuffled batches, with the brands created
# on the fly, and saves two tagged sentences per review; all start at once when the test says "go".
UPSERTER = textwrap.dedent(
    """
    import json, random, sys
    from datetime import UTC, datetime
    from reviewmine.records import Review
    from reviewmine.store.db import Store
    from reviewmine.store.sentences import AnalysisRow, save_analyses

    target, index = sys.argv[1], int(sys.argv[2])
    keys = list(range(index * STEP, index * STEP + WINDOW))
    random.Random(index).shuffle(keys)
    store = Store(target)
    print("ready", flush=True)
    sys.stdin.readline()
    totals = {"new": 0, "updated": 0, "unchanged": 0}
    for start in range(0, len(keys), 40):
        reviews = [Review(source="steam", source_review_id=str(k), brand=f"Brand {k % 3}", body=f"Review {k}.")
                   for k in keys[start : start + 40]]
        with store.write() as conn:
            counts = store.upsert_reviews(conn, reviews)
        for name in totals:
            totals[name] += getattr(counts, name)
        rows = [AnalysisRow(r.key, r.content_hash(), "ok", "en", 0.5, "neutral", {"by": index}) for r in reviews]
        tags = [(r.key, i, f"Sentence {i} by {index}.", 1, 0.5, 1, 4, 0, 0, 0) for r in reviews for i in (0, 1)]
        with store.write() as conn:
            save_analyses(conn, "m-1", datetime.now(UTC), rows, tags)
    print(json.dumps(totals))
    """
)
STEP, WINDOW, WRITERS = 150, 400, 4


def test_writers_of_overlapping_reviews_at_once_count_exactly(db_target: str) -> None:
    from reviewmine.store.db import Store
    from reviewmine.store.queries import db_info

    Store(db_target).close()
    code = UPSERTER.replace("STEP", str(STEP)).replace("WINDOW", str(WINDOW))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_target, str(index)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for index in range(WRITERS)
    ]  # fmt: skip
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # all four are connected and waiting: let them go together
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))

    distinct = (WRITERS - 1) * STEP + WINDOW
    assert sum(r["new"] for r in results) == distinct  # each key counted new by exactly one writer
    assert sum(r["updated"] for r in results) == 0  # same content everywhere: nothing counts as changed
    assert sum(r["unchanged"] for r in results) == WRITERS * WINDOW - distinct
    with Store(db_target) as store:
        info = db_info(store)
        assert info["reviews"] == distinct and info["analyses"] == {"m-1": distinct}
        assert {row["brand"]: row["reviews"] for row in info["by_brand_source"]} == {
            f"Brand {b}": len([k for k in range(distinct) if k % 3 == b]) for b in range(3)
        }
        from reviewmine.store.sentences import sentences_frame

        sentences = sentences_frame(store, "m-1")
    assert len(sentences) == 2 * distinct  # one writer's two sentences per review, never a mix or a duplicate
    assert sentences.groupby("review_key")["text"].apply(lambda t: len({s.split(" by ")[1] for s in t})).max() == 1
