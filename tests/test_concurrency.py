"""A scheduled scrape writing while a notebook reads: two real processes on one SQLite file, both must succeed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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


def test_writer_and_reader_processes_both_succeed(db_path: Path) -> None:
    from reviewmine.store.db import Store

    Store(db_path).close()  # create the schema first, as `reviewmine` would on first use
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], stdout=subprocess.PIPE, text=True)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path)], stdout=subprocess.PIPE, text=True)
    w_out, _ = writer.communicate(timeout=120)
    r_out, _ = reader.communicate(timeout=120)
    assert writer.returncode == 0 and "writer done" in w_out
    assert reader.returncode == 0 and "reader done" in r_out
    assert r_out.strip().endswith("last 3000")


def test_two_processes_opening_a_new_database_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    code = "import sys; from reviewmine.store.db import Store; Store(sys.argv[1]).close(); print('ok')"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and all("ok" in o for o in outputs)
