"""`reviewmine analyze --engine ray` on a real local Ray instance (two CPUs, started once for the module) with the
trained default model: the same tags as the local engine; a killed actor, Ctrl-C, and the checks that fail before
any work (an unreachable address, GPUs the cluster lacks, a model the workers cannot read, Ray not installed).
Lake mode (Parquet in and out) is tested in test_ray_lake.py, with these fixtures."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from runtime_fixtures import DEFAULT_MODEL_DIR
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.store.db import Store

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "config.json").exists(), reason=f"no trained default model in {DEFAULT_MODEL_DIR}"
)

REVIEWS = 300
CHUNK = 50  # both engines tag the same chunks, so even bf16 gives bit-identical tags
ACTOR_TITLE = "ray::MapWorker(MapBatches(TaggerActor))"


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def pending_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of REVIEWS demo reviews (English with some German, French and Spanish), none analysed yet."""
    from reviewmine.demo.generate import generate_demo
    from reviewmine.records import Review

    path = tmp_path_factory.mktemp("ray") / "pending.db"
    demo = generate_demo(7, scale=0.2).reviews[:REVIEWS]
    reviews = [
        Review(source="file", brand=r.brand, body=r.body, title=r.title, source_review_id=r.id, rating=r.rating,
               language=r.language, published_at=r.published_at)
        for r in demo
    ]  # fmt: skip
    with Store(path) as store, store.write() as conn:
        store.upsert_reviews(conn, reviews)
    return path


@pytest.fixture(scope="module")
def local_tags(pending_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sentences, analyses) of a local-engine run on a copy of the store: what every Ray run must equal."""
    from reviewmine.nlp import predictor
    from reviewmine.nlp.analyze import analyze_store

    path = _copy(pending_db, tmp_path_factory.mktemp("local"))
    with Store(path) as store:
        report = analyze_store(store, predictor(DEFAULT_MODEL_DIR), chunk_size=CHUNK)
        assert report.analyzed == REVIEWS
        return _tags(store, report.model_version)


def _copy(db: Path, folder: Path) -> Path:
    shutil.copy(db, folder / "reviews.db")
    return folder / "reviews.db"


def _tags(store: Store, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from reviewmine.store.sentences import analyses_frame, sentences_frame

    sentences = sentences_frame(store, version).sort_values(["review_key", "sentence_idx"], ignore_index=True)
    analyses = analyses_frame(store, version)[["review_key", "status", "language", "score", "label", "n_sentences"]]
    return sentences, analyses.sort_values("review_key", ignore_index=True)


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    from reviewmine.nlp.ray_engine import RaySettings

    return RaySettings(**{"model": str(DEFAULT_MODEL_DIR), "chunk_size": CHUNK, "actors": 2, **overrides})


def _assert_same_tags(store: Store, version: str, expected: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    sentences, analyses = _tags(store, version)
    pd.testing.assert_frame_equal(sentences, expected[0])
    pd.testing.assert_frame_equal(analyses, expected[1])
    with store.read() as conn:
        twice = conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT review_key FROM analyses GROUP BY review_key, model_version "
            "HAVING count(*) > 1)"
        ).scalar_one()
    assert twice == 0


def test_ray_run_tags_like_the_local_engine(
    ray_instance: None, pending_db: Path, local_tags: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    from reviewmine.nlp.ray_engine import analyze_store_ray

    with Store(_copy(pending_db, tmp_path)) as store:
        report = analyze_store_ray(store, _settings())
        assert (report.pending, report.analyzed, report.new, report.engine, report.actors) == (
            REVIEWS, REVIEWS, REVIEWS, "ray", 2,
        )  # fmt: skip
        assert report.precision == "bf16" and report.sentences == len(local_tags[0])
        run = store.run(report.run_id)
        assert (run["status"], run["fetched"], run["pages"]) == ("ok", REVIEWS, REVIEWS // CHUNK)
        _assert_same_tags(store, report.model_version, local_tags)
        again = analyze_store_ray(store, _settings(address="127.0.0.1:1"))  # nothing pending: Ray is not even asked
        assert (again.pending, again.analyzed) == (0, 0)


def test_a_killed_actor_is_replaced_and_no_review_is_lost_or_tagged_twice(
    ray_instance: None, pending_db: Path, local_tags: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    import psutil

    from reviewmine.nlp.ray_engine import analyze_store_ray

    killed: list[int] = []
    first: set[int] = set()
    later: set[int] = set()

    def kill_an_actor_after_the_first_commit(done: int, total: int) -> None:
        actors = [p for p in psutil.process_iter() if _title(p).startswith(ACTOR_TITLE)]  # idle, busy or loading
        if done and not killed:
            assert len(actors) == 2
            first.update(actor.pid for actor in actors)
            actors[0].send_signal(signal.SIGKILL)
            killed.append(actors[0].pid)
        elif killed:
            later.update(actor.pid for actor in actors)

    with Store(_copy(pending_db, tmp_path)) as store:
        report = analyze_store_ray(store, _settings(), progress=kill_an_actor_after_the_first_commit)
        assert killed and report.analyzed == REVIEWS and store.run(report.run_id)["status"] == "ok"
        assert later - first, "Ray started no actor in place of the killed one"
        _assert_same_tags(store, report.model_version, local_tags)


def _title(process: object) -> str:
    try:
        return (process.cmdline() or [""])[0]  # type: ignore[attr-defined]
    except Exception:  # gone meanwhile, or not ours to read
        return ""


def test_an_interrupted_ray_run_keeps_its_commits_and_a_rerun_finishes(
    ray_instance: None, pending_db: Path, local_tags: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    from reviewmine.nlp.ray_engine import analyze_store_ray

    def ctrl_c_after_the_first_commit(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with Store(_copy(pending_db, tmp_path)) as store:
        with pytest.raises(KeyboardInterrupt):
            analyze_store_ray(store, _settings(), progress=ctrl_c_after_the_first_commit)
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar_one() == CHUNK
            status = conn.exec_driver_sql("SELECT status FROM runs ORDER BY id DESC").scalar_one()
        assert status == "interrupted"
        report = analyze_store_ray(store, _settings())  # the interrupted run's actors are gone: this one gets CPUs
        assert (report.pending, report.analyzed) == (REVIEWS - CHUNK, REVIEWS - CHUNK)
        _assert_same_tags(store, report.model_version, local_tags)


def test_a_job_file_can_tag_on_ray(ray_instance: None, pending_db: Path, tmp_path: Path) -> None:
    from reviewmine.jobs.config import BrandSpec, JobConfig
    from reviewmine.jobs.runner import JobOutcome, analyze_step

    brands = tuple(BrandSpec(name, ()) for name in ("Crustline", "Napoli Nest", "Forno Fresco"))
    job = JobConfig(tmp_path / "job.toml", "nightly", tmp_path, engine="ray", actors=2, model=str(DEFAULT_MODEL_DIR),
                    brands=brands)  # fmt: skip
    outcome = JobOutcome()
    with Store(_copy(pending_db, tmp_path)) as store:
        summary = analyze_step(store, job, outcome)
        assert (summary["status"], summary["engine"], summary["analyzed"]) == ("ok", "ray", REVIEWS), summary
        assert outcome.failures == []
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT count(DISTINCT review_key) FROM analyses").scalar_one() == REVIEWS


# -- failing before any work --------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_address_is_one_line_before_any_work(pending_db: Path, tmp_path: Path) -> None:
    port = _closed_port()
    db = _copy(pending_db, tmp_path)
    result = CliRunner().invoke(app, ["analyze", "--engine", "ray", "--address", f"127.0.0.1:{port}", "--db", str(db)])
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"error: --address 127.0.0.1:{port}: no Ray cluster answers there (Connection refused)"
    )
    with Store(db) as store, store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar_one() == 0


def test_gpus_the_cluster_lacks_and_a_model_the_workers_cannot_read_fail_before_any_work(
    ray_instance: None, pending_db: Path, tmp_path: Path
) -> None:
    db = _copy(pending_db, tmp_path)
    no_gpu = CliRunner().invoke(app, ["analyze", "--engine", "ray", "--gpus-per-actor", "1", "--db", str(db)])
    assert no_gpu.exit_code == 1
    assert no_gpu.output.strip() == ("error: --gpus-per-actor: 1 GPU per actor asked for, the Ray cluster has no GPUs")
    half = tmp_path / "half-copied-model"  # config.json arrived, the weights did not: the driver cannot tell
    half.mkdir()
    shutil.copy(DEFAULT_MODEL_DIR / "config.json", half)
    unreadable = CliRunner().invoke(app, ["analyze", "--engine", "ray", "--model", str(half), "--db", str(db)])
    assert unreadable.exit_code == 1
    line = unreadable.output.strip()
    assert line.startswith("error: --model: worker node ") and "\n" not in line
    assert line.endswith(f"{half / 'model.safetensors'}: cannot read the model weights (No such file or directory)")
    with Store(db) as store, store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar_one() == 0


GPU_WITHOUT_CUDA = """
import sys
import ray
from reviewmine.errors import InputError
from reviewmine.nlp.ray_engine import RaySettings, analyze_store_ray
from reviewmine.store.db import Store

ray.init(num_cpus=1, num_gpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
with Store(sys.argv[1]) as store:
    try:
        analyze_store_ray(store, RaySettings(gpus_per_actor=1))
    except InputError as exc:
        print(exc)
"""


def test_a_gpu_that_torch_cannot_use_fails_before_any_work(pending_db: Path, tmp_path: Path) -> None:
    """A Ray instance told it has a GPU, on this machine's CPU-only torch: the probe finds it unusable."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine's torch can use CUDA")
    db = _copy(pending_db, tmp_path)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run([sys.executable, "-c", GPU_WITHOUT_CUDA, str(db)], capture_output=True, text=True,
                          timeout=180, env=env)  # fmt: skip
    assert done.stdout.strip().startswith("--model: worker node "), done.stdout + done.stderr
    assert done.stdout.strip().endswith(f"it has a GPU, but torch {torch.__version__} there sees no CUDA device "
                                        "(a CPU-only build?)")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--address", "h:1"], "error: --address: needs --engine ray"),
        (["--engine", "ray", "--input", "x.parquet"], "error: --output: lake mode needs both --input and --output"),
        (["--engine", "spark"], "error: --engine: choose local or ray"),
    ],
)
def test_ray_options_wrong_on_their_face_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--db", str(tmp_path / "x.db"), *args])
    assert result.exit_code == 2 and result.output.startswith(message)


def test_engine_ray_without_the_ray_extra_says_what_to_install(tmp_path: Path) -> None:
    blocked = (
        "import sys\n"
        "class NotInstalled:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'ray':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        "sys.argv = ['reviewmine', 'analyze', '--engine', 'ray', '--db', 'x.db']\n"
        "from reviewmine.cli import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: reviewmine analyze --engine ray needs the ray extra: pip install 'reviewmine[ray]' (ray not importable)"
    )
