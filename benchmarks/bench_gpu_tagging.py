"""Benchmark GPU tagging as the Ray engine does it, without Ray: P worker processes sharing one GPU, for P in
``--processes`` (default 1,2,4,8), each running `ray_engine.TaggerActor`'s per-batch code on chunks of reviews.

Why: ``reviewmine analyze --engine ray --gpus-per-actor 1/P`` puts P actors on a GPU; an actor spends CPU time per
review besides the model (segmenting, language id, tokenising, aggregating, packing rows), so one actor cannot keep
a fast GPU busy. This measures how reviews/s grows with P on one GPU, and needs neither Ray nor a database, so it
runs on a machine that has torch, transformers, numpy, pandas and pyarrow (plus three carried wheels, below).
Each worker loads the model as an actor does (`nlp.predictor`'s `Tagger.load` + `Predictor`, precision ``auto``:
bf16 on a CUDA GPU that supports it, else fp32; bf16 on CPUs with bf16 units), uses one CPU thread (a Ray
actor's ``num_cpus=1``), tags one untimed chunk, waits for the others, then tags its share of the reviews chunk
by chunk (``--chunk-size`` reviews, the Ray batch): `TaggerActor.__call__` on a pyarrow table, store mode (the
rows go back as an Arrow table). Reviews/s per process is its share over its own time; the total is all reviews
over the time from the first start to the last finish.

Reviews: real Amazon reviews from ../shared (``--shared``) when present, else `reviewmine.testing.synthetic` (about
6 sentences of template text each: shorter than real reviews, so more reviews/s).

``--encoder FOLDER`` loads the tagger on another copy of its encoder (a device pack's ``minilm4``: MiniLM's bottom
4 layers in fp32 with fp16 word embeddings, training/device/pack.py). Its sha256 differs from the one the model
recorded, so the model folder is copied to a temporary folder with ``encoder_sha256`` cleared, and the output says
so (``model_note``).

Output: one JSON object (machine, GPU, precision, per P the rates per process and in total) on stdout and in
``--json FILE``.

What the GPU machine needs beyond its torch, transformers, numpy, pandas and pyarrow: the wheels of sentencex and
py3langid (segmenting, language id) and SQLAlchemy's pure-Python wheel (the actor's rows are
`store.sentences.AnalysisRow`, whose module imports SQLAlchemy). Ray, a database and the packaged encoder's module
are not imported. The pack's minilm4 (51.5 MiB) does not fit beside the repository (16.4 MiB) in the 64 MiB a call
carries, so it travels as fp16 (`pack_fp16`: 37 MiB). Prepared here, once:

    .venv/bin/python benchmarks/bench_gpu_tagging.py --pack-fp16 build/device/p3/minilm4 build/gpubench/minilm4
    .venv/bin/pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_17_x86_64 -d build/gpubench/wheels sentencex==1.0.32 py3langid
    .venv/bin/pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation py \
        --platform any -d build/gpubench/wheels sqlalchemy==2.1.9

A rehearsal on this CPU:

    .venv/bin/python benchmarks/bench_gpu_tagging.py --device cpu --processes 1,2 --reviews 200 \
        --encoder build/gpubench/minilm4

On the GPU machine, from the repository root, carrying build/gpubench (45 MiB; 61 MiB with the repository):

    python3 -m pip install -q --no-index --no-deps --target /tmp/site build/gpubench/wheels/*.whl \
        && export PYTHONPATH=/tmp/site \
        && python3 benchmarks/bench_gpu_tagging.py --device cuda --processes 1,2,4,8 --reviews 40000 \
            --encoder build/gpubench/minilm4 --json "$OUT/bench_gpu_tagging.json"
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from machine import describe  # noqa: E402

SHARED = Path(os.environ.get("REVIEWMINE_SHARED", REPO.parent / "shared"))


# -- the workload ---------------------------------------------------------------------------------------------


def workload(n: int, shared: Path, seed: int = 0) -> tuple[list[str], str]:
    """``n`` review texts: Amazon reviews from ``shared`` when present (repeated when fewer), else synthetic."""
    import random

    amazon = shared / "data" / "amazon-polarity" / "amazon.train.dat"
    rng = random.Random(seed)
    if amazon.exists():
        lines = amazon.read_text(encoding="utf-8").splitlines()
        texts = [line.split("$LABEL$")[0] for line in lines if line.strip()]
        rng.shuffle(texts)
        return [texts[i % len(texts)] for i in range(n)], f"Amazon reviews ({amazon}, {len(texts)} distinct)"
    from reviewmine.testing.synthetic import synthetic_brands

    weeks = 52
    data = synthetic_brands(4, weeks=weeks, reviews_per_week=n / (4 * weeks) * 1.2 + 1, sentences_per_review=5.8,
                            seed=seed)  # fmt: skip
    sentences = data.sentences.sort_values(["review_key", "sentence_idx"])
    grouped = sentences.groupby("review_key", sort=False, observed=True)["text"]
    texts = [" ".join(map(str, parts)) for _, parts in grouped]
    rng.shuffle(texts)
    return [texts[i % len(texts)] for i in range(n)], "synthetic reviews (reviewmine.testing.synthetic)"


def pack_fp16(source: Path, target: Path) -> None:
    """A copy of an encoder folder with every float tensor in fp16: a device pack's minilm4 (51.5 MiB: fp32 layers)
    in 36 MiB, so that it travels with the repository (16 MiB) and the wheels (10 MiB) within 64 MiB. The tagger
    runs in bf16 on the GPU whatever the stored dtype, so the speed is the same."""
    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors"), dirs_exist_ok=True)
    tensors = load_file(str(source / "model.safetensors"))
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    save_file({k: v.contiguous() for k, v in half.items()}, str(target / "model.safetensors"), {"format": "pt"})
    del torch  # imported for safetensors' torch tensors


def prepare_model(model: str, encoder: str | None, scratch: Path) -> tuple[str, str, str | None]:
    """(model folder to load, model_version, note): a copy with ``encoder_sha256`` cleared when ``encoder``'s
    weights differ from the ones the model recorded (Tagger.load refuses them otherwise)."""
    from reviewmine.nlp.inference import resolve_model_dir

    folder = resolve_model_dir(model)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    version = str(config["model_version"])
    if encoder is None or not config.get("encoder_sha256"):
        return str(folder), version, None
    digest = hashlib.sha256()
    with (Path(encoder) / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    found, recorded = digest.hexdigest(), str(config["encoder_sha256"])
    if found == recorded:
        return str(folder), version, None
    copy = scratch / folder.name
    shutil.copytree(folder, copy)
    config["encoder_sha256"] = ""
    (copy / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    note = (
        f"--encoder {encoder}: its weights (sha256 {found[:12]}) differ from those {version} recorded "
        f"({recorded[:12]}); loaded a copy of the model folder with encoder_sha256 cleared"
    )
    return str(copy), version, note


# -- one worker process ---------------------------------------------------------------------------------------


def worker(rank: int, texts: list[str], options: dict[str, Any], barrier: Any, results: Any) -> None:
    """Load the model as `TaggerActor.__init__` does (without Ray), warm up, wait for the others, tag ``texts``."""
    os.environ.setdefault("OMP_NUM_THREADS", str(options["threads"]))
    try:
        results.put(_work(rank, texts, options, barrier))
    except BaseException as exc:  # the parent reports it instead of waiting forever
        barrier.abort()
        results.put({"rank": rank, "error": f"{type(exc).__name__}: {exc}"})


def _work(rank: int, texts: list[str], options: dict[str, Any], barrier: Any) -> dict[str, Any]:
    import torch

    from reviewmine.nlp.inference import Predictor
    from reviewmine.nlp.model import Tagger
    from reviewmine.nlp.ray_engine import TaggerActor

    torch.set_num_threads(options["threads"])
    started = time.perf_counter()
    device = options["device"]
    # TaggerActor.__init__ without Ray: its `nlp.predictor(...)` call is `Predictor(load_tagger(...), ...)`, done
    # here without load_tagger's check for the whole nlp extra (the GPU machine lacks the packaged encoder's module,
    # which --encoder replaces).
    actor = TaggerActor.__new__(TaggerActor)
    tagger = Tagger.load(options["model"], encoder_path=options["encoder"])
    actor.predictor = Predictor(tagger, precision=options["precision"], batch_size=options["batch_size"], device=device)
    actor.lake = False
    chunk = options["chunk_size"]
    batches = [_batch(rank, start, texts[start : start + chunk]) for start in range(0, len(texts), chunk)]
    actor(_batch(rank, -1, texts[:chunk]))  # warm-up: CUDA kernels, allocator, tokenizer caches
    _sync(device)
    load_seconds = time.perf_counter() - started
    barrier.wait()
    begin = time.perf_counter()
    sentences = 0
    for batch in batches:
        sentences += sum(len(values) for values in actor(batch).column("sentence_text").to_pylist())
    _sync(device)
    end = time.perf_counter()
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    return {
        "rank": rank, "reviews": len(texts), "sentences": sentences, "seconds": round(end - begin, 3),
        "reviews_per_s": round(len(texts) / (end - begin), 1), "load_seconds": round(load_seconds, 2),
        "precision": actor.predictor.precision, "peak_gpu_mib": None if peak is None else round(peak),
        "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda") else None,
        "begin": begin, "end": end,
    }  # fmt: skip


def _batch(rank: int, start: int, texts: list[str]) -> Any:
    """A chunk as the Ray store engine hands it to an actor (`ray_engine._run_wave`)."""
    import pyarrow as pa

    keys = [f"bench:{rank}:{start}:{i}" for i in range(len(texts))]
    return pa.table({
        "review_key": keys, "title": pa.array([None] * len(texts), pa.string()), "body": texts,
        "language": pa.array([None] * len(texts), pa.string()), "content_hash": [""] * len(texts),
        "analyzed_before": [False] * len(texts),
    })  # fmt: skip


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


# -- the runs -------------------------------------------------------------------------------------------------


def run_processes(processes: int, texts: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """P workers on their shares of ``texts``: rates per process and in total."""
    context = mp.get_context("spawn")  # CUDA cannot be used in a forked child
    barrier, results = context.Barrier(processes), context.Queue()
    shares = [texts[rank::processes] for rank in range(processes)]
    workers = [
        context.Process(target=worker, args=(rank, shares[rank], options, barrier, results), daemon=True)
        for rank in range(processes)
    ]
    for process in workers:
        process.start()
    done = [results.get(timeout=options["timeout"]) for _ in workers]
    for process in workers:
        process.join(timeout=30)
    failed = [r for r in done if "error" in r]
    if failed:
        raise SystemExit(f"worker {failed[0]['rank']} failed: {failed[0]['error']}")
    done.sort(key=lambda r: r["rank"])
    wall = max(r["end"] for r in done) - min(r["begin"] for r in done)
    total = sum(r["reviews"] for r in done)
    for r in done:
        del r["begin"], r["end"]
    return {
        "processes": processes, "reviews": total, "sentences": sum(r["sentences"] for r in done),
        "wall_seconds": round(wall, 3), "total_reviews_per_s": round(total / wall, 1),
        "mean_reviews_per_s_per_process": round(sum(r["reviews_per_s"] for r in done) / processes, 1),
        "per_process": done,
    }  # fmt: skip


def versions() -> dict[str, str]:
    import numpy
    import pyarrow
    import torch
    import transformers

    return {
        "python": platform.python_version(), "torch": torch.__version__, "cuda": str(torch.version.cuda),
        "transformers": transformers.__version__, "numpy": numpy.__version__, "pyarrow": pyarrow.__version__,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (all processes share GPU 0) or cpu (a rehearsal)")
    parser.add_argument("--processes", default="1,2,4,8", help="comma-separated process counts")
    parser.add_argument("--reviews", type=int, default=40_000, help="reviews per run, split between the processes")
    parser.add_argument("--model", default="reviewmine-tagger")
    parser.add_argument("--encoder", default=None, help="encoder folder (default: the one the model names)")
    parser.add_argument("--precision", default="auto", help="as `reviewmine analyze --precision` (auto: bf16 on GPU)")
    parser.add_argument("--batch-size", type=int, default=32, help="sentences per model batch (the Ray default)")
    parser.add_argument("--chunk-size", type=int, default=512, help="reviews per actor batch (the Ray default)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per process (a Ray actor: 1)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="../shared, for its Amazon reviews")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a worker's result")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--pack-fp16",
        nargs=2,
        type=Path,
        metavar=("SOURCE", "TARGET"),
        help="only copy the encoder folder SOURCE to TARGET with fp16 weights (see pack_fp16)",
    )
    args = parser.parse_args()
    if args.pack_fp16:
        pack_fp16(*args.pack_fp16)
        return

    counts = [int(p) for p in args.processes.split(",") if p.strip()]
    texts, source = workload(args.reviews, args.shared)
    with tempfile.TemporaryDirectory(prefix="bench-gpu-model-") as scratch:
        model, version, note = prepare_model(args.model, args.encoder, Path(scratch))
        options = {
            "model": model, "encoder": args.encoder, "precision": args.precision, "batch_size": args.batch_size,
            "chunk_size": args.chunk_size, "device": args.device, "threads": args.threads, "timeout": args.timeout,
        }  # fmt: skip
        runs = []
        for processes in counts:
            runs.append(run_processes(processes, texts, options))
            print(f"# P={processes}: {runs[-1]['total_reviews_per_s']} reviews/s in total", file=sys.stderr)
    first = runs[0]["per_process"][0] if runs else {}
    result = {
        "benchmark": "bench_gpu_tagging", "machine": describe(), "gpu": first.get("gpu"), "versions": versions(),
        "device": args.device, "precision": first.get("precision"), "model": args.model, "model_version": version,
        "encoder": args.encoder, "model_note": note, "workload": source, "reviews": args.reviews,
        "batch_size": args.batch_size, "chunk_size": args.chunk_size, "threads_per_process": args.threads,
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": runs,
    }  # fmt: skip
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
