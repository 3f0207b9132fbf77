"""`reviewmine analyze --engine ray`: the tagging stage on a pool of Ray actors, for backfills too big for one machine.

The driver (this process) lists the pending reviews as `analyze_store` does, reads their texts from the store in
chunks and hands them to Ray Data as in-memory blocks; ``map_batches`` runs them through `TaggerActor`, a pool of
actors that each load the model once (bf16 on CPUs with bf16 units, bf16 on a CUDA GPU when one is assigned: the
local engine's `inference.resolve_precision`) and turn every review into the same store rows as the local engine
(`analyze.tagged_reviews`). The rows come back to the driver, which commits them through the same `AnalyzeRun`:
one transaction per chunk, resumable, idempotent. So the store never has to be reachable from the workers, and
a SQLite file works with a remote cluster. Ray is the ``ray`` extra, imported only here.

Work goes out in waves of ``WAVE_CHUNKS_PER_ACTOR`` chunks per actor (8 times as many for GPU actors, at most
``MAX_WAVE_REVIEWS`` reviews), so the object store never holds more than one wave of review texts; each wave
starts its actors anew (about 8 s of loading against about 4 minutes of tagging per wave on a CPU actor). An actor
that dies is restarted by Ray and its batch retried.

Before any work, `ray_cluster.RayCluster` checks the address, the cluster's CPUs and GPUs and that every node can
read the model. `ray_lake` reuses the actor and the checks for Parquet in, Parquet out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .analyze import AnalyzeReport, AnalyzeRun, TaggedReview, pending_chunks, tag_texts, tagged_reviews
from .inference import read_model_version
from .ray_cluster import RayCluster, RayEngineError, RaySettings, first_line
from .segment import review_text

if TYPE_CHECKING:
    import pyarrow as pa

    from ..store.db import Store

__all__ = [
    "RayCluster", "RayEngineError", "RaySettings", "TaggerActor", "analyze_store_ray", "rows_from_table",
    "rows_to_table",
]  # fmt: skip

WAVE_CHUNKS_PER_ACTOR = 100  # 51,200 reviews per actor in chunks of 512: ~4 min at 215 reviews/s per CPU actor
GPU_WAVE_FACTOR = 8  # a GPU actor tags several times faster: longer waves keep its start-up a small share
MAX_WAVE_REVIEWS = 4_000_000  # about 2 GB of review text in the object store (Ray spills beyond its share of RAM)
_SENTENCE_FIELDS = ("text", "polarity", "score", "categories", "category_polarity", "emotions", "ekman", "loyalty")


# -- the actor ---------------------------------------------------------------------------------------------


class TaggerActor:
    """One actor of the pool: loads the model once, then tags batches of reviews (pyarrow tables).

    ``lake=False``: in review_key/title/body/language/content_hash/analyzed_before, out one row per review with its
    store rows (`rows_to_table`). ``lake=True``: in the lake columns, out one row per sentence (`ray_lake`).
    """

    def __init__(self, settings: RaySettings, model_ref: str, version: str, lake: bool = False) -> None:
        import ray

        from . import predictor

        device = "cuda" if ray.get_gpu_ids() else "cpu"
        self.predictor = predictor(
            model_ref, encoder=settings.encoder, precision=settings.precision, batch_size=settings.batch_size,
            device=device, compile=settings.compile,
        )  # fmt: skip
        if self.predictor.model_version != version:
            raise InputError(f"the model here is {self.predictor.model_version}, not {version}", where=model_ref)
        self.lake = lake

    def __call__(self, batch: pa.Table) -> pa.Table:
        columns = batch.column_names
        keys = batch.column("review_key").to_pylist()
        titles = batch.column("title").to_pylist() if "title" in columns else [None] * len(keys)
        bodies = batch.column("body").to_pylist()
        languages = batch.column("language").to_pylist() if "language" in columns else [None] * len(keys)
        hashes = batch.column("content_hash").to_pylist() if "content_hash" in columns else [""] * len(keys)
        texts = [review_text(title, body or "") for title, body in zip(titles, bodies, strict=True)]
        tagged = tagged_reviews(tag_texts(self.predictor, texts, languages), keys, hashes)
        if self.lake:
            from .ray_lake import sentence_table

            return sentence_table(tagged, batch, self.predictor.model_version)
        table = rows_to_table(tagged)
        return table.append_column("analyzed_before", batch.column("analyzed_before"))


def rows_to_table(tagged: Sequence[TaggedReview]) -> pa.Table:
    """Store rows as an Arrow table, one row per review (its sentences in list columns), to cross the object store."""
    import json

    import pyarrow as pa

    analyses = [analysis for analysis, _ in tagged]
    data: dict[str, Any] = {
        "review_key": [a.review_key for a in analyses],
        "content_hash": [a.content_hash for a in analyses],
        "status": [a.status for a in analyses],
        "language": pa.array([a.language for a in analyses], pa.string()),
        "score": pa.array([a.score for a in analyses], pa.float64()),
        "label": pa.array([a.label for a in analyses], pa.string()),
        "result": [json.dumps(a.result, ensure_ascii=False, separators=(",", ":")) for a in analyses],
    }
    types = (pa.string(), pa.int64(), pa.float64(), pa.int64(), pa.int64(), pa.int64(), pa.int64(), pa.int64())
    for position, (name, kind) in enumerate(zip(_SENTENCE_FIELDS, types, strict=True), start=2):
        values = [[row[position] for row in sentences] for _, sentences in tagged]
        data[f"sentence_{name}"] = pa.array(values, pa.list_(kind))
    return pa.table(data)


def rows_from_table(table: pa.Table) -> list[TaggedReview]:
    """The store rows `rows_to_table` packed."""
    import json

    from ..store.sentences import AnalysisRow

    plain = table.to_pydict()
    tagged: list[TaggedReview] = []
    for i, key in enumerate(plain["review_key"]):
        analysis = AnalysisRow(
            key, plain["content_hash"][i], plain["status"][i], plain["language"][i], plain["score"][i],
            plain["label"][i], json.loads(plain["result"][i]),
        )  # fmt: skip
        lists = [plain[f"sentence_{name}"][i] for name in _SENTENCE_FIELDS]
        tagged.append((analysis, [(key, n, *values) for n, values in enumerate(zip(*lists, strict=True))]))
    return tagged


# -- the store run -----------------------------------------------------------------------------------------


def analyze_store_ray(
    store: Store,
    settings: RaySettings,
    *,
    brand: str | Sequence[str] | None = None,
    since: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AnalyzeReport:
    """`analyze.analyze_store` with the tagging on Ray actors: same pending reviews, rows, commits and run record.

    Nothing pending: returns at once, without starting or joining Ray.
    """
    from ..store.sentences import pending_reviews

    version = read_model_version(settings.model)
    pending = pending_reviews(store, version, brand=brand, since=since)
    with AnalyzeRun(store, version, len(pending), brand=brand, progress=progress) as run:
        run.report.engine = "ray"
        if not pending:
            return run.report
        with RayCluster(settings, version) as cluster:
            run.loaded("")
            run.report.actors = cluster.actors
            chunks = WAVE_CHUNKS_PER_ACTOR * (GPU_WAVE_FACTOR if settings.gpus_per_actor else 1)
            wave = min(cluster.actors * chunks * settings.chunk_size, MAX_WAVE_REVIEWS)
            for start in range(0, len(pending), wave):
                _run_wave(store, cluster, run, pending[start : start + wave])
    return run.report


def _run_wave(store: Store, cluster: RayCluster, run: AnalyzeRun, pending: Sequence[Any]) -> None:
    import pyarrow as pa
    import ray
    import ray.data

    blocks: list[Any] = []
    vanished = 0
    size = min(cluster.settings.chunk_size, -(-len(pending) // cluster.actors))  # a small run still feeds every actor
    for chunk, found, seen in pending_chunks(store, pending, size):
        vanished += seen - len(chunk)
        if chunk:
            rows = [found[p.review_key] for p in chunk]
            block = pa.table({
                "review_key": [p.review_key for p in chunk], "title": pa.array([r["title"] for r in rows], pa.string()),
                "body": [r["body"] for r in rows], "language": pa.array([r["language"] for r in rows], pa.string()),
                "content_hash": [r["content_hash"] for r in rows],
                "analyzed_before": [p.analyzed_before for p in chunk],
            })  # fmt: skip
            blocks.append(ray.put(block))
    if not blocks:
        return
    tagged = ray.data.from_arrow_refs(blocks).map_batches(TaggerActor, **cluster.map_options(size))
    batches = iter(tagged.iter_batches(batch_size=None, batch_format="pyarrow"))
    try:
        for number, table in enumerate(batches):
            rows = rows_from_table(table)
            if not run.report.precision and rows:
                run.report.precision = str(rows[0][0].result.get("precision", ""))
            before = table.column("analyzed_before").to_pylist()
            run.save(rows, before, seen=len(rows) + (vanished if number == 0 else 0))
    except ray.exceptions.RayError as exc:
        raise RayEngineError(f"the Ray run failed: {first_line(exc)}") from None
    finally:
        # Stop the execution and its actors now (Ctrl-C, a failed save), not whenever the generator is collected.
        getattr(batches, "close", lambda: None)()
