"""Multi-task training of the Tagger (CPU, or a CUDA GPU when there is one): one shared encoder pass, a masked
loss per label family.

Run ``reviewmine train`` or ``python -m reviewmine.nlp.training.train``. Each epoch is checkpointed (model, optimiser,
schedule, RNG) under the work folder so an interrupted run continues with ``--resume``; at the end thresholds
are tuned on the tune splits, the report splits are evaluated, and the artifact folder's files are replaced.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from ..._files import atomic_writer
from ...errors import InputError
from ..model import EKMAN_FROM_MEMBERS, EKMAN_HEAD, ENCODER_PREFIX, Tagger, TaggerConfig, load_encoder
from .data import UNKNOWN, Example, Split, build_splits
from .distill import check_teachers, teacher_logits, teacher_share
from .lora import with_lora
from .objective import collate, multitask_loss
from .settings import BATCHINGS, TrainSettings, key_values, names
from .teacher_targets import targets_for_rows
from .unlabelled import UNLABELLED, pool_rows, unlabelled_pool

__all__ = [
    "BATCHINGS",
    "TrainSettings",
    "key_values",
    "main",
    "resolve_device",
    "tagger_config",
    "train",
    "train_model",
]

log = logging.getLogger("reviewmine.train")
_CHECKPOINT = "checkpoint.pt"


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda when torch sees a GPU, else cpu; an unusable name is an InputError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError("not a torch device (auto, cpu, cuda, cuda:1 ...)", where=name) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("torch sees no CUDA GPU on this machine", where=name)
    return device


def _epoch_rows(train_rows: list[Example], settings: TrainSettings, epoch: int) -> list[int]:
    """Indices for one epoch: all small labelled sets, a rotating slice of GoEmotions and Amazon."""
    rng = random.Random(settings.seed)  # same permutation every epoch; the slice rotates
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(train_rows):
        group = row.source if row.source in {"goemotions", "amazon", "hand", UNLABELLED} else "absa"
        groups.setdefault(group, []).append(i)
    per_epoch = {
        "goemotions": settings.goemotions_per_epoch,
        "amazon": settings.amazon_per_epoch,
        "absa": settings.absa_per_epoch,
        UNLABELLED: settings.unlabelled_per_epoch,
    }
    chosen: list[int] = []
    for group in ("goemotions", "amazon", "absa", UNLABELLED):
        idx = groups.get(group, [])
        rng.shuffle(idx)
        size = per_epoch[group]
        if size <= 0 or size >= len(idx):
            chosen += idx
        else:
            start = (epoch * size) % len(idx)
            chosen += (idx + idx)[start : start + size]
    chosen += groups.get("hand", [])
    return [i for i in chosen for _ in range(max(1, settings.repeats.get(train_rows[i].source, 1)))]


def _batches(
    indices: list[int], lengths: Sequence[int], batch_size: int, seed: int, by_length: bool = True
) -> Iterator[list[int]]:
    """Shuffle, sort by length inside chunks of 50 batches (little padding), shuffle the batches; with
    ``by_length`` false, plain shuffled batches."""
    rng = random.Random(seed)
    order = indices[:]
    rng.shuffle(order)
    chunk = batch_size * 50 if by_length else batch_size
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    yield from batches


def _tokenize(model: Tagger, rows: Sequence[Example], settings: TrainSettings) -> list[list[int]]:
    out = []
    for start in range(0, len(rows), 2048):
        part = rows[start : start + 2048]
        for row, ids in zip(
            part,
            model.tokenizer([r.text for r in part], truncation=True, max_length=settings.review_max_length)[
                "input_ids"
            ],
            strict=True,
        ):
            out.append(ids if row.source == "amazon" else ids[: settings.max_length])
    return out


def train_model(
    model: Tagger,
    train_rows: list[Example],
    settings: TrainSettings,
    work_dir: Path | None = None,
    resume: bool = False,
    max_steps: int | None = None,
) -> dict[str, Any]:
    """Train in place; returns a log of per-epoch losses. Checkpoints each epoch under ``work_dir``."""
    if settings.batching not in BATCHINGS:
        raise InputError(f"batching is one of {', '.join(BATCHINGS)}", where=settings.batching)
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    device = resolve_device(settings.device)
    model.to(device)
    model.config.ekman_rule = EKMAN_HEAD if settings.loss_weights.get("ekman", 0) > 0 else EKMAN_FROM_MEMBERS
    if settings.freeze_embeddings:
        for p in model.encoder.embeddings.parameters():
            p.requires_grad = False
    if settings.lora_rank > 0:  # a model loaded with --init-from continues its own adapter (lora.py)
        base, _ = load_encoder(model.encoder_path, model.config.encoder_layers)
        model.encoder = with_lora(
            model.encoder, settings.lora_rank, settings.lora_alpha, settings.lora_dropout, base=base
        )
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for n, p in model.named_parameters() if not n.startswith(ENCODER_PREFIX) and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": settings.lr_encoder}, {"params": head_params, "lr": settings.lr_heads}],
        weight_decay=settings.weight_decay,
    )
    ids = _tokenize(model, train_rows, settings)
    lengths = [len(x) for x in ids]
    pad = int(model.tokenizer.pad_token_id or 0)
    targets = teacher_logits(settings.teachers, train_rows, ids, pad, device) if settings.teachers else {}
    has_teacher = torch.ones(len(train_rows), dtype=torch.bool)
    if settings.teacher_targets:
        targets, has_teacher = targets_for_rows(Path(settings.teacher_targets), [r.text for r in train_rows])
        if unknown := set(settings.teacher_families) - set(targets):
            raise InputError(
                f"the teacher-targets file has no {', '.join(sorted(unknown))}", where="--teacher-families"
            )
        targets = {k: v for k, v in targets.items() if k in (settings.teacher_families or targets)}
    if settings.teacher_skip:
        has_teacher &= torch.tensor([r.source not in settings.teacher_skip for r in train_rows])
    teacher_only = torch.tensor([r.source == UNLABELLED for r in train_rows])
    steps_per_epoch = math.ceil(len(_epoch_rows(train_rows, settings, 0)) / settings.batch_size)
    plan = {"total": max_steps or steps_per_epoch * settings.epochs}
    warmup = max(1, int(settings.warmup * plan["total"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (plan["total"] - s) / max(1, plan["total"] - warmup))),
    )
    trained_since, planned = time.monotonic(), plan["total"]
    history: list[dict[str, Any]] = []
    start_epoch = 0
    checkpoint = work_dir / _CHECKPOINT if work_dir is not None else None
    if resume and checkpoint is not None and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        start_epoch, history = state["epoch"], state["history"]
        log.info("resumed after epoch %d", start_epoch)
    by_length = settings.batching == "length"
    step = 0
    for epoch in range(start_epoch, settings.epochs):
        model.train()
        sums: dict[str, float] = {}
        began = time.monotonic()
        epoch_rows = _epoch_rows(train_rows, settings, epoch)
        batches = _batches(epoch_rows, lengths, settings.batch_size, settings.seed + epoch, by_length)
        for n, batch in enumerate(batches, 1):
            inputs, labels = collate([train_rows[i] for i in batch], [ids[i] for i in batch], pad)
            inputs = {k: v.to(device, non_blocking=True) for k, v in inputs.items()}
            labels = {k: v.to(device, non_blocking=True) for k, v in labels.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.bf16):
                logits = model(**inputs)
            teacher = {k: v[batch].to(device, non_blocking=True) for k, v in targets.items()}
            share = teacher_share(settings.teacher_share, schedule.last_epoch, plan["total"])
            loss, parts = multitask_loss(
                logits,
                labels,
                settings.loss_weights,
                teacher,
                share,
                has_teacher=has_teacher[batch].to(device),
                teacher_only=teacher_only[batch].to(device),
            )
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_grad_norm or math.inf)
            sums["grad_norm"] = sums.get("grad_norm", 0.0) + float(norm)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
            step += 1
            if settings.time_budget and step == max(1, min(100 + warmup // 4, planned // 10)):
                plan["total"] = _fit_to_budget(planned, plan["total"], step, time.monotonic() - trained_since, settings)
            if n % 50 == 0:
                rate = n / (time.monotonic() - began)
                log.info(
                    "epoch %d step %d/%d (%.2f it/s) %s",
                    epoch + 1,
                    n,
                    steps_per_epoch,
                    rate,
                    " ".join(f"{k}={v / n:.3f}" for k, v in sums.items()),
                )
            if step >= plan["total"]:
                break
        if settings.time_budget and step > planned // 10:  # the machine's pace changes: fit again each epoch
            plan["total"] = _fit_to_budget(planned, plan["total"], step, time.monotonic() - trained_since, settings)
        history.append(
            {"epoch": epoch + 1, "seconds": round(time.monotonic() - began, 1)}
            | {k: round(v / max(1, n), 4) for k, v in sums.items()}
        )
        log.info("epoch %d done: %s", epoch + 1, history[-1])
        if checkpoint is not None:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            saved = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "epoch": epoch + 1,
                "history": history,
            }
            # a kill mid-save leaves the previous epoch's checkpoint whole
            with atomic_writer(checkpoint, binary=True) as handle:
                torch.save(saved, handle)
        if step >= plan["total"]:
            break
    if settings.lora_rank > 0:
        model.encoder = model.encoder.merge_and_unload()  # a plain encoder again; `save` stores the factors
    model.eval()
    return {"epochs": history}


def _fit_to_budget(planned: int, current: int, step: int, seconds: float, settings: TrainSettings) -> int:
    """The schedule's length in steps that fits ``settings.time_budget`` at the mean pace so far: never more
    than ``planned``; ``step`` (stop now) when the budget is spent. Logged when it moves by more than 1%."""
    fits = max(step, min(planned, int(step * settings.time_budget / max(seconds, 1e-6))))
    if abs(fits - current) > current / 100:
        log.warning(
            "time budget %.0f s: %d of %d steps fit; the schedule now ends there", settings.time_budget, fits, planned
        )
    return fits


def tagger_config(settings: TrainSettings) -> TaggerConfig:
    """The config of a new model for these settings (the model-shape settings go into the artifact)."""
    return TaggerConfig(
        max_length=settings.max_length,
        category_pooling=settings.category_pooling,
        loyalty_pooling=settings.loyalty_pooling or "mean",
        encoder_layers=settings.encoder_layers,
    )


def _as_trained(row: Example, settings: TrainSettings) -> Example:
    """The row with the labels this run does not train on set to UNKNOWN."""
    if row.source in settings.polarity_only:
        row = replace(row, category=[UNKNOWN] * len(row.category))
    if row.source == "goemotions" and not settings.goemotions_polarity:
        row = replace(row, polarity=UNKNOWN)
    return row


def train(
    shared: Path,
    out_dir: Path,
    hand_folder: Path | None = None,
    settings: TrainSettings | None = None,
    work_dir: Path | None = None,
    resume: bool = False,
    encoder_path: Path | None = None,
    model_version: str | None = None,
    init_from: Path | None = None,
) -> dict[str, Any]:
    """The whole run: data -> train -> tune thresholds -> evaluate -> write the artifact folder."""
    from .card import write_metrics
    from .evaluate import evaluate_splits, tune_config

    settings = settings or TrainSettings()
    device = resolve_device(settings.device)
    check_teachers(settings.teachers, settings.teacher_share)
    splits: Split
    splits, files = build_splits(shared, hand_folder)
    torch.manual_seed(settings.seed)
    if init_from is not None:  # continue from an earlier artifact (e.g. add newly labelled examples)
        model = Tagger.load(init_from, encoder_path=encoder_path)
        model.train()
    else:
        model = Tagger.from_encoder(encoder_path, tagger_config(settings))
    if settings.loyalty_pooling not in ("", model.config.loyalty_pooling):
        if settings.loyalty_pooling != "label_attention":
            raise InputError(
                "a model continued with --init-from can only move to label_attention", where="--loyalty-pooling"
            )
        model.add_loyalty_attention()
    earlier = model.config.training if init_from is not None else None
    train_rows = [_as_trained(row, settings) for row in splits["train"] if row.source not in settings.exclude]
    if unknown := set(settings.teacher_skip) - {row.source for row in train_rows}:
        raise InputError(f"no training rows come from {', '.join(sorted(unknown))}", where="--teacher-skip")
    if settings.unlabelled_per_epoch > 0:
        if not settings.teacher_targets:
            raise InputError(
                "unlabelled rows learn from a teacher: give teacher_targets too", where="--unlabelled-per-epoch"
            )
        train_rows += pool_rows(unlabelled_pool(shared, splits), known=[r.text for r in train_rows])
    history = train_model(
        model, train_rows, settings, work_dir=work_dir, resume=resume, max_steps=settings.max_steps or None
    )
    tune_config(model, splits)  # on the training device
    model.to("cpu")  # `save` takes deltas from the base weights, which load on the CPU
    model.config.model_version = model_version or f"reviewmine-tagger-{time.strftime('%Y%m%d')}"
    model.config.training = {
        "settings": asdict(settings),
        "data": files,
        "splits": {name: len(rows) for name, rows in splits.items()} | {"train": len(train_rows)},
        "history": history["epochs"],
        "device": _device_name(device),
        "initialised_from": str(init_from) if init_from is not None else None,
        "earlier_training": earlier,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir)
    # Measured on the weights as stored (int8 encoder factors, fp16 heads), not the in-memory fp32 ones.
    shipped = Tagger.load(out_dir, encoder_path=encoder_path).to(device)
    metrics = evaluate_splits(shipped, splits)
    write_metrics(out_dir, shipped.config, metrics)
    return metrics


def _device_name(device: torch.device) -> str:
    """``cpu`` or ``cuda (NVIDIA H100 80GB HBM3)``: what the card says the model was trained on."""
    return f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else device.type


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m reviewmine.nlp.training.train``: the same options as ``reviewmine train``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--examples", type=Path, default=Path("training/examples"))
    parser.add_argument("--out", type=Path, default=Path("models/reviewmine-tagger"))
    parser.add_argument("--work-dir", type=Path, default=Path("build/train"))
    parser.add_argument("--encoder", type=Path, default=None)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init-from", type=Path, default=None)
    parser.add_argument("--model-version", default=None)
    for name, value in asdict(TrainSettings()).items():
        if isinstance(value, bool):
            parser.add_argument(f"--{name.replace('_', '-')}", type=lambda s: s.lower() in {"1", "true", "yes"})
        elif isinstance(value, int | float):
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value))
        elif isinstance(value, str):
            parser.add_argument(f"--{name.replace('_', '-')}")
        elif isinstance(value, tuple):
            parser.add_argument(f"--{name.replace('_', '-')}", type=names)
    parser.add_argument(
        "--loss-weight", action="append", default=[], metavar="FAMILY=W", help="e.g. emotion=10 (repeatable)"
    )
    parser.add_argument(
        "--repeat", action="append", default=[], metavar="SOURCE=N", help="rows shown N times an epoch, e.g. hand=5"
    )
    parser.add_argument(
        "--teacher", action="append", default=[], metavar="FAMILY=MODEL", help="e.g. category=build/t-cat (distill.py)"
    )
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if k in TrainSettings.__dataclass_fields__ and v is not None}
    defaults = TrainSettings()
    try:
        overrides["loss_weights"] = key_values("--loss-weight", args.loss_weight, defaults.loss_weights, float)
        overrides["repeats"] = key_values("--repeat", args.repeat, defaults.repeats, int, open_keys=True)
        overrides["teachers"] = key_values("--teacher", args.teacher, {}, str, open_keys=True)
    except InputError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    metrics = train(
        args.shared,
        args.out,
        hand_folder=args.examples,
        settings=TrainSettings(**overrides),
        work_dir=args.work_dir,
        resume=args.resume,
        encoder_path=args.encoder,
        model_version=args.model_version,
        init_from=args.init_from,
    )
    print(json.dumps(metrics.get("summary", {}), indent=2))


if __name__ == "__main__":
    main()
