"""Multi-task training of the Tagger (CPU, or a CUDA GPU when there is one): one shared encoder pass, a masked
loss per label family.

Run ``reviewmine train`` or ``python -m reviewmine.nlp.train``. Each epoch is checkpointed (model, optimiser,
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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from .data import UNKNOWN, Example, Split, build_splits
from .distill import ANNEAL, check_teachers, teacher_logits, teacher_share
from .lora import with_lora
from .model import EKMAN_FROM_MEMBERS, EKMAN_HEAD, Tagger, TaggerConfig, load_encoder
from .objective import collate, multitask_loss

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
BATCHINGS = ("length", "random")  # TrainSettings.batching


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


@dataclass
class TrainSettings:
    """Every knob of a training run (recorded in the artifact's config.json)."""

    # reviewmine-tagger-4: 10 epochs (6 for tagger-3; over 8 seeds of 4-layer runs, 10 epochs scored like the
    # 6-epoch mean on every family and was the one to pass all 37 golden sentences, docs/model.md).
    epochs: int = 10
    batch_size: int = 32
    lr_encoder: float = 5e-4  # for LoRA adapters; a full fine-tune (lora_rank=0) wants about 8e-5
    lr_heads: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    # Global gradient-norm clipping (0 = off), one norm over every family's gradient. Off, the category floors of
    # session 8 scored the same (docs/model.md). "grad_norm" in each epoch's log is the mean norm before clipping.
    clip_grad_norm: float = 1.0
    max_length: int = 128
    review_max_length: int = 128
    # "length": batches of similar length (shuffled chunks of 50 batches sorted by length: little padding, the
    # default); "random": plain shuffled batches, as benchmarks/semeval_five_categories.py trains.
    batching: str = "length"  # one of BATCHINGS
    goemotions_per_epoch: int = 20000
    amazon_per_epoch: int = 2000
    absa_per_epoch: int = 0  # 0 = every row of the aspect datasets each epoch
    # Rows shown this many times per epoch: the hand-labelled set is small, SemEval-2014 is the target domain.
    repeats: dict[str, int] = field(default_factory=lambda: {"hand": 5, "semeval2014": 2})
    # Training sources left out (Example.source names). The other aspect datasets label the same kind of sentence
    # differently from SemEval-2014 and the taxonomy (docs/model.md): with category training alone on the
    # SemEval-2014 dev carve, adding MAMS + SemEval-2015 restaurants lowered micro-F1 from 0.869 to 0.833, adding
    # SemEval-2015 laptops + ACOS to 0.845; the full model without all four beat the one with laptops + ACOS kept
    # for polarities only (reviewmine-tagger-2: 0.874 vs 0.867, equal elsewhere within noise).
    exclude: tuple[str, ...] = ("mams", "semeval2015_restaurants", "semeval2015_laptops", "acos")
    # Sources whose category detection labels are not trained on (their mention polarities still are).
    polarity_only: tuple[str, ...] = ()
    # GoEmotions rows also train sentence polarity (from GoEmotions' sentiment groups) when True. Off: with it,
    # a GoEmotions-only run fell from 0.538 to 0.466 emotion macro-F1 (benchmarks/single_task_floor.py).
    goemotions_polarity: bool = False
    freeze_embeddings: bool = True
    # LoRA adapters (peft) on every encoder linear layer instead of a full fine-tune when > 0: the artifact then
    # stores the merged delta as rank-r factors (5.8 MB at rank 64 instead of 22 MB; what git holds stays small).
    # Rank 64 for 6 epochs beat the full fine-tune (tagger-2) on 4 of 6 metrics; rank 16 and 4 epochs did not.
    lora_rank: int = 64
    lora_alpha: float = 128.0
    lora_dropout: float = 0.05
    # What category detection reads (TaggerConfig.category_pooling): "label_attention" or "mean".
    category_pooling: str = "label_attention"
    # TaggerConfig.encoder_layers: keep only the bottom N encoder layers (0 = all). 4 layers tag about 1.4x as many
    # reviews a second as 6 with the same accuracy within seed noise (docs/model.md, tagger-4).
    encoder_layers: int = 4
    bf16: bool = True
    # "auto" = the GPU when torch sees one, else the CPU. The same settings train the same kind of model on either
    # (runs differ by the seed-to-seed spread); the defaults take about 50 minutes on the 2-core CPU, 15 on an
    # H100 shared by ten runs.
    device: str = "auto"
    threads: int = 1  # 2 threads under CPU contention ran 20x slower (OpenMP spinning); 1 is robust
    seed: int = 13
    # Families learned from another saved model as well (family -> model folder; distill.py). Empty:
    # labels only. The teacher's share of each target: "anneal" (1 -> 0 over the run) or a constant from 0 to 1.
    teachers: dict[str, str] = field(default_factory=dict)
    teacher_share: str = ANNEAL
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {
            "category": 1.0,
            "category_polarity": 1.0,
            "polarity": 1.0,
            "emotion": 10.0,  # BCE averaged over 28 labels is small next to the other losses (3.0: 0.480 macro-F1)
            # The Ekman groups (+ neutral) of the same GoEmotions rows on a head of their own: Ekman macro-F1
            # +0.01-0.02 (3: 0.637 mean of 8 seeds vs 0.623 without; 10 costs GoEmotions 0.02, docs/model.md).
            # 0 = no Ekman head, as in tagger-3: groups then take their members' highest probability.
            "ekman": 3.0,
            "loyalty": 1.0,
        }
    )


def _epoch_rows(train_rows: list[Example], settings: TrainSettings, epoch: int) -> list[int]:
    """Indices for one epoch: all small labelled sets, a rotating slice of GoEmotions and Amazon."""
    rng = random.Random(settings.seed)  # same permutation every epoch; the slice rotates
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(train_rows):
        group = row.source if row.source in {"goemotions", "amazon", "hand"} else "absa"
        groups.setdefault(group, []).append(i)
    per_epoch = {
        "goemotions": settings.goemotions_per_epoch,
        "amazon": settings.amazon_per_epoch,
        "absa": settings.absa_per_epoch,
    }
    chosen: list[int] = []
    for group in ("goemotions", "amazon", "absa"):
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
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": settings.lr_encoder}, {"params": head_params, "lr": settings.lr_heads}],
        weight_decay=settings.weight_decay,
    )
    ids = _tokenize(model, train_rows, settings)
    lengths = [len(x) for x in ids]
    pad = int(model.tokenizer.pad_token_id or 0)
    targets = teacher_logits(settings.teachers, train_rows, ids, pad, device) if settings.teachers else {}
    steps_per_epoch = math.ceil(len(_epoch_rows(train_rows, settings, 0)) / settings.batch_size)
    total = max_steps or steps_per_epoch * settings.epochs
    warmup = max(1, int(settings.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
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
            share = teacher_share(settings.teacher_share, schedule.last_epoch, total)
            loss, parts = multitask_loss(logits, labels, settings.loss_weights, teacher, share)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_grad_norm or math.inf)
            sums["grad_norm"] = sums.get("grad_norm", 0.0) + float(norm)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
            step += 1
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
            if max_steps is not None and step >= max_steps:
                break
        history.append(
            {"epoch": epoch + 1, "seconds": round(time.monotonic() - began, 1)}
            | {k: round(v / max(1, n), 4) for k, v in sums.items()}
        )
        log.info("epoch %d done: %s", epoch + 1, history[-1])
        if checkpoint is not None:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "epoch": epoch + 1,
                    "history": history,
                },
                checkpoint.with_suffix(".tmp"),
            )
            checkpoint.with_suffix(".tmp").replace(checkpoint)
        if max_steps is not None and step >= max_steps:
            break
    if settings.lora_rank > 0:
        model.encoder = model.encoder.merge_and_unload()  # a plain encoder again; `save` stores the factors
    model.eval()
    return {"epochs": history}


def tagger_config(settings: TrainSettings) -> TaggerConfig:
    """The config of a new model for these settings (the model-shape settings go into the artifact)."""
    return TaggerConfig(
        max_length=settings.max_length,
        category_pooling=settings.category_pooling,
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
    earlier = model.config.training if init_from is not None else None
    train_rows = [_as_trained(row, settings) for row in splits["train"] if row.source not in settings.exclude]
    history = train_model(model, train_rows, settings, work_dir=work_dir, resume=resume)
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


def key_values(
    option: str, items: Sequence[str], defaults: dict[str, Any], kind: type, open_keys: bool = False
) -> dict[str, Any]:
    """``KEY=VALUE`` options (``--loss-weight emotion=10``) applied over ``defaults``; unknown keys are an error
    unless ``open_keys``."""
    out = dict(defaults)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or (key not in out and not open_keys):
            raise InputError(f"expected KEY=VALUE with KEY one of {', '.join(out)}, got {item!r}", where=option)
        try:
            out[key] = kind(value)
        except ValueError:
            raise InputError(f"{value!r} is not a number ({item!r})", where=option) from None
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m reviewmine.nlp.train``: the same options as ``reviewmine train``."""
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
            parser.add_argument(f"--{name.replace('_', '-')}", type=lambda s: tuple(filter(None, s.split(","))))
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
