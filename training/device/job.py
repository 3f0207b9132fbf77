"""The GPU job for the large teacher and its students (issue 20), run on a lent GPU machine (see README.md here).

    python training/device/job.py stash c1                  # one call per chunk but the last: keep it
    python training/device/job.py run --out $OUT            # last chunk: unpack, start the background chain
                                                            # (teacher -> targets -> students), collect at the deadline
    python training/device/job.py collect --wait S --out $OUT   # a later call: wait for the students, collect

Everything lives under $JOB_WORK (/root/work): the chunks, the unpacked payload, the assembled encoders, a
snapshot of the code and of the models the runs start from, logs and artifacts. The chain runs in a new process
session, so it outlives the call that started it; each call keeps to its deadline and returns what is done, the
most valuable first (the teacher, its scores and its targets).
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
CHUNKS = REPO / "build" / "device"
ASPECT_KEPT = "semeval2015_restaurants,semeval2015_laptops,acos"  # left out; MAMS trains mention polarities only


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def stash(part: str) -> None:
    """Copy a carried chunk out of the working tree, where the next call's carry replaces it."""
    target = WORK / "chunks"
    target.mkdir(parents=True, exist_ok=True)
    for path in (CHUNKS / part).iterdir():
        shutil.copy2(path, target / path.name)
        log(f"stashed {path.name}: {path.stat().st_size / 2**20:.1f} MiB")


def unpack() -> Path:
    """Join the chunks into the payload tar and extract it."""
    whole = WORK / "payload.tar"
    with whole.open("wb") as out:
        for part in sorted((WORK / "chunks").glob("payload.tar.*")):
            out.write(part.read_bytes())
    shutil.rmtree(WORK / "payload", ignore_errors=True)
    with tarfile.open(whole) as tar:
        tar.extractall(WORK, filter="data")
    whole.unlink()
    return WORK / "payload"


def dequantised(folder: Path, files: Path, weights: Path) -> Path:
    """An encoder folder from int8 rows (+ '.scale') and bf16 tensors, all as fp32."""
    import torch
    from safetensors.torch import load_file, save_file

    packed = load_file(str(weights))
    tensors = {}
    for name, value in packed.items():
        if name.endswith(".scale"):
            continue
        if name + ".scale" in packed:
            value = value.float() * packed[name + ".scale"][:, None]
        tensors[name] = (value.float() if value.is_floating_point() else value).contiguous()
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(files, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    save_file(tensors, str(folder / "model.safetensors"))
    log(f"{folder.name}: {sum(v.numel() for v in tensors.values()) / 1e6:.1f}M parameters, torch {torch.__version__}")
    return folder


def init_copy(source: Path, target: Path, layers: int = 0) -> Path:
    """A model folder to start from, with its encoder checksum cleared (the encoders here are dequantised
    copies) and, with ``layers``, cut to its bottom layers."""
    from safetensors.torch import load_file, save_file

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    config["encoder_sha256"] = ""
    if layers:
        config["encoder_layers"] = layers
        weights = load_file(str(target / "model.safetensors"))
        cut = {k: v for k, v in weights.items() if not _layer_at_or_above(k, layers)}
        save_file(cut, str(target / "model.safetensors"))
    (target / "config.json").write_text(json.dumps(config, indent=2))
    return target


def _layer_at_or_above(name: str, layers: int) -> bool:
    parts = name.split(".")
    return "layer" in parts and int(parts[parts.index("layer") + 1]) >= layers


def prepare(payload: Path) -> None:
    """Encoders, ../shared/data, the sentencex wheel, and snapshots of the code and the starting models."""
    dequantised(WORK / "mpnet", payload / "mpnet-files", payload / "mpnet-int8.safetensors")
    dequantised(WORK / "minilm4", payload / "minilm4", payload / "minilm4" / "model.safetensors")
    shared = WORK / "shared"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir(parents=True)
    with tarfile.open(payload / "data.tar.xz") as tar:
        tar.extractall(shared, filter="data")
    site = WORK / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(site)]
    if subprocess.run([sys.executable, "-c", "import sentencex"], capture_output=True).returncode:
        subprocess.run([*pip, "--find-links", str(payload), "sentencex"], check=True)
    code = WORK / "code"  # the background chain runs from a snapshot the next call cannot change
    shutil.rmtree(code, ignore_errors=True)
    shutil.copytree(REPO / "reviewmine", code / "reviewmine")
    shutil.copytree(REPO / "training", code / "training", ignore=shutil.ignore_patterns("device"))
    init_copy(REPO / "models/reviewmine-tagger-large", WORK / "init/large")
    init_copy(REPO / "models/reviewmine-tagger", WORK / "init/tagger4")
    init_copy(REPO / "models/reviewmine-tagger", WORK / "init/tagger4-l3", layers=3)
    shutil.copy2(Path(__file__), WORK / "job.py")


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


def run(args: argparse.Namespace) -> None:
    """The last chunk's call: unpack, start the chain in a new session, then wait and collect at the deadline."""
    began = time.monotonic()
    stash(args.part)
    prepare(unpack())
    chain = [sys.executable, str(WORK / "job.py"), "chain", "--budget", str(args.budget)]
    chain += ["--student-budget", str(args.student_budget), "--max-steps", str(args.max_steps)]
    chain += ["--limit-texts", str(args.limit_texts), "--students", args.students]
    with (WORK / "chain.log").open("w") as handle:
        process = subprocess.Popen(chain, stdout=handle, stderr=subprocess.STDOUT, env=env(), start_new_session=True)
    (WORK / "chain.pid").write_text(str(process.pid))
    log(f"chain started in the background after {time.monotonic() - began:.0f} s; log: chain.log")
    wait_and_collect(Path(args.out), began + args.deadline)


def chain(args: argparse.Namespace) -> None:
    """Background: the teacher, its targets for every training text and the pool, then the students."""
    began = time.monotonic()
    options: dict[str, object] = {
        "init-from": WORK / "init/large",
        "encoder-layers": 0,
        "lora-rank": 64,
        "lr-encoder": 2e-4,
        "epochs": 6,
        "exclude": ASPECT_KEPT,
        "polarity-only": "mams",
        "time-budget": args.budget,
        "max-steps": args.max_steps,
        "model-version": "reviewmine-tagger-large-2",
    }
    with (WORK / "teacher.log").open("w") as handle:
        command = train_command(WORK / "teacher", WORK / "mpnet", options)
        subprocess.run(command, check=True, env=env(), stdout=handle, stderr=subprocess.STDOUT)
    log(f"teacher trained in {time.monotonic() - began:.0f} s")
    label(WORK / "teacher", args.limit_texts)
    (WORK / "teacher.done").write_text(json.dumps({"seconds": round(time.monotonic() - began, 1)}))
    students(args)
    (WORK / "students.done").write_text(json.dumps({"seconds": round(time.monotonic() - began, 1)}))


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


# Students start from the default (tagger-4) and are distilled from the new teacher for a few GPU minutes:
# the default already learned every family for 10 epochs, so the short run only has to move it towards the
# teacher. Every student also learns MAMS' mention polarities (neutral mentions) unless it says otherwise.
_POOL = {"unlabelled-per-epoch": 20000, "exclude": ASPECT_KEPT, "polarity-only": "mams"}
_FAMILIES = "category,category_polarity,polarity,loyalty"
STUDENTS: dict[str, dict[str, object]] = {
    "i4-s05-lr2e4": _POOL | {"teacher-share": "0.5", "lr-encoder": 2e-4, "teacher-families": _FAMILIES},
    "i4-s05-lr1e4": _POOL | {"teacher-share": "0.5", "lr-encoder": 1e-4, "teacher-families": _FAMILIES},
    "i4-s07-lr2e4": _POOL | {"teacher-share": "0.7", "lr-encoder": 2e-4, "teacher-families": _FAMILIES},
    "i4-anneal-lr2e4": _POOL | {"teacher-share": "anneal", "lr-encoder": 2e-4, "teacher-families": _FAMILIES},
    "i4-s05-nomams": _POOL
    | {"exclude": "mams," + ASPECT_KEPT, "polarity-only": "", "teacher-share": "0.5", "lr-encoder": 2e-4}
    | {"teacher-families": _FAMILIES},
    "i4-s05-fam3": _POOL
    | {"teacher-share": "0.5", "lr-encoder": 2e-4, "teacher-families": "category,category_polarity,polarity"},
    "i3-s05-lr3e4": _POOL | {"teacher-share": "0.5", "lr-encoder": 3e-4, "teacher-families": _FAMILIES},
    "i3-s07-lr3e4": _POOL | {"teacher-share": "0.7", "lr-encoder": 3e-4, "teacher-families": _FAMILIES},
}


def students(args: argparse.Namespace) -> None:
    """Distil the students in parallel, each with --student-budget seconds of training."""
    runs: dict[str, subprocess.Popen[bytes]] = {}
    for name, options in STUDENTS.items():
        if args.students and name not in args.students.split(","):
            continue
        layers = 3 if name.startswith("i3") else 4
        options = {k: v for k, v in options.items() if v != ""} | {
            "init-from": WORK / ("init/tagger4-l3" if layers == 3 else "init/tagger4"),
            "encoder-layers": layers,
            "epochs": 4,
            "teacher-targets": WORK / "teacher-targets.safetensors",
            "time-budget": args.student_budget,
            "max-steps": args.max_steps,
            "model-version": f"reviewmine-tagger-{name}",
        }
        handle = (WORK / f"{name}.log").open("w")
        command = train_command(WORK / name, WORK / "minilm4", options)
        runs[name] = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env())
    log(f"{len(runs)} students started, {args.student_budget} s of training each")
    for name, process in runs.items():
        process.wait()
        log(f"{name} exited {process.returncode}")


def wait_and_collect(out: Path, deadline: float) -> None:
    while not (WORK / "students.done").exists() and time.monotonic() < deadline - 25:
        if not _alive(int((WORK / "chain.pid").read_text())):
            log("the background chain is no longer running")
            break
        time.sleep(3)
    collect(out)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "State:\tZ" in status.read_text())


def collect(out: Path) -> None:
    """At most 8 files of 16 MiB: the teacher, its targets, the finished students in tars of four, the logs."""
    out.mkdir(parents=True, exist_ok=True)
    if (WORK / "teacher" / "config.json").is_file():
        _tar(out / "teacher.tar", [WORK / "teacher"])
    if (WORK / "teacher-targets.safetensors").is_file():
        shutil.copy2(WORK / "teacher-targets.safetensors", out / "teacher-targets.safetensors")
    done = [WORK / name for name in STUDENTS if (WORK / name / "config.json").is_file()]
    for index in range(0, len(done), 4):
        _tar(out / f"students-{index // 4 + 1}.tar", done[index : index + 4])
    with tarfile.open(out / "logs.tar.xz", "w:xz") as tar:
        for path in [*WORK.glob("*.log"), *WORK.glob("*.json"), *WORK.glob("*.done")]:
            tar.add(path, arcname=path.name)
    for path in sorted(out.iterdir()):
        log(f"out: {path.name} {path.stat().st_size / 2**20:.1f} MiB")


def _tar(target: Path, folders: list[Path]) -> None:
    with tarfile.open(target, "w") as tar:
        for folder in folders:
            for path in folder.iterdir():
                if path.is_file():
                    tar.add(path, arcname=f"{folder.name}/{path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["stash", "run", "chain", "collect"])
    parser.add_argument("part", nargs="?", default="c1")
    parser.add_argument("--budget", type=float, default=180.0, help="teacher training seconds")
    parser.add_argument("--student-budget", type=float, default=280.0, help="each student's training seconds")
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--limit-texts", type=int, default=0)
    parser.add_argument("--students", default="", help="comma-separated names (default: all)")
    parser.add_argument("--deadline", type=float, default=570.0, help="seconds this call may take")
    parser.add_argument("--wait", type=float, default=0.0, help="collect: seconds to wait for the students")
    parser.add_argument("--out", default=os.environ.get("OUT", str(WORK / "out")))
    args = parser.parse_args()
    if args.phase == "stash":
        stash(args.part)
    elif args.phase == "run":
        run(args)
    elif args.phase == "chain":
        chain(args)
    else:
        wait_and_collect(Path(args.out), time.monotonic() + args.wait + 25)


if __name__ == "__main__":
    main()
