"""`reviewmine train` and `reviewmine eval`: build and measure the sentence tagger (docs/model.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..extras import require
from ..nlp.training.settings import TrainSettings, names
from ._common import JsonOption, emit_json, usage_errors

_DEFAULT_MODEL = Path("models/reviewmine-tagger")
_SETTINGS = TrainSettings()  # the defaults the help texts show: read here, never typed into them


def _names(value: str | None) -> tuple[str, ...] | None:
    """`settings.names` of an option, None when it was not given (the setting's default stays)."""
    return None if value is None else names(value)


def _pairs(values: dict[str, float] | dict[str, int]) -> str:
    return ", ".join(f"{key}={value:g}" for key, value in values.items())


SharedOption = Annotated[
    Path,
    typer.Option("--shared", envvar="REVIEWMINE_SHARED", help="Folder holding data/ with the public datasets."),
]
ExamplesOption = Annotated[
    Path, typer.Option("--examples", help="Folder of hand-labelled *.jsonl examples (used when present).")
]
EncoderOption = Annotated[
    Path | None,
    typer.Option("--encoder", help="A local encoder folder instead of the packaged all-MiniLM-L6-v2."),
]


def train(
    shared: SharedOption = Path("../shared"),
    examples: ExamplesOption = Path("training/examples"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to (re)write.")] = _DEFAULT_MODEL,
    work_dir: Annotated[Path, typer.Option("--work-dir", help="Checkpoints, one per epoch (for --resume).")] = Path(
        "build/train"
    ),
    epochs: Annotated[
        int | None, typer.Option(help=f"Passes over the aspect datasets [default: {_SETTINGS.epochs}].")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help=f"Sentences per step [default: {_SETTINGS.batch_size}].")
    ] = None,
    goemotions_per_epoch: Annotated[
        int | None,
        typer.Option(help=f"GoEmotions rows per epoch, 0 = all [default: {_SETTINGS.goemotions_per_epoch}]."),
    ] = None,
    amazon_per_epoch: Annotated[
        int | None, typer.Option(help=f"Amazon reviews per epoch, 0 = all [default: {_SETTINGS.amazon_per_epoch}].")
    ] = None,
    lr_encoder: Annotated[
        float | None, typer.Option(help=f"Learning rate of the encoder layers [default: {_SETTINGS.lr_encoder:g}].")
    ] = None,
    lora_rank: Annotated[
        int | None,
        typer.Option(
            help=f"Rank of the LoRA adapters; 0 = full fine-tune (a 22 MB artifact) [default: {_SETTINGS.lora_rank}]."
        ),
    ] = None,
    lora_alpha: Annotated[
        float | None,
        typer.Option(help=f"LoRA scale numerator (scale = alpha / rank) [default: {_SETTINGS.lora_alpha:g}]."),
    ] = None,
    encoder_layers: Annotated[
        int | None,
        typer.Option(
            help="Keep only the encoder's bottom N layers (about N/6 of the work); 0 = all "
            f"[default: {_SETTINGS.encoder_layers}]."
        ),
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated training sources to leave out, '' = none "
            f"[default: {', '.join(_SETTINGS.exclude) or 'none'}]."
        ),
    ] = None,
    polarity_only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated sources trained for polarities only, not category detection "
            f"[default: {', '.join(_SETTINGS.polarity_only) or 'none'}]."
        ),
    ] = None,
    loss_weight: Annotated[
        list[str] | None,
        typer.Option(
            "--loss-weight",
            metavar="FAMILY=W",
            help=f"A loss family's weight (repeatable) [default: {_pairs(_SETTINGS.loss_weights)}].",
        ),
    ] = None,
    repeat: Annotated[
        list[str] | None,
        typer.Option(
            "--repeat",
            metavar="SOURCE=N",
            help=f"Show a source's rows N times an epoch (repeatable) [default: {_pairs(_SETTINGS.repeats)}].",
        ),
    ] = None,
    teacher: Annotated[
        list[str] | None,
        typer.Option(
            "--teacher",
            metavar="FAMILY=MODEL",
            help="Also learn a family from another saved model, e.g. category=build/t-category "
            "(repeatable; see --teacher-share).",
        ),
    ] = None,
    teacher_share: Annotated[
        str | None,
        typer.Option(
            "--teacher-share",
            help="The teachers' share of each target: anneal (1 to 0 over the run, BAM) or a constant from 0 to 1 "
            f"(classic distillation into a smaller student) [default: {_SETTINGS.teacher_share}].",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=f"Seed of weights, data order and dropout [default: {_SETTINGS.seed}].")
    ] = None,
    teacher_targets: Annotated[
        Path | None,
        typer.Option(
            "--teacher-targets",
            help="A file of a teacher's logits per text (teacher_targets.py, e.g. the large model's): covered rows "
            "learn (1 - share) * label + share * teacher, unlabelled pool rows the teacher alone.",
        ),
    ] = None,
    teacher_families: Annotated[
        str | None,
        typer.Option(help="Comma-separated families --teacher-targets teaches [default: every family in the file]."),
    ] = None,
    teacher_skip: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated sources that learn from their labels alone, never from --teacher-targets "
            "(e.g. mams: the first teacher calls its neutral mentions positive) [default: none]."
        ),
    ] = None,
    unlabelled_per_epoch: Annotated[
        int | None,
        typer.Option(
            help="Unlabelled review sentences per epoch, taught by --teacher-targets alone "
            f"[default: {_SETTINGS.unlabelled_per_epoch}]."
        ),
    ] = None,
    loyalty_pooling: Annotated[
        str | None,
        typer.Option(help="mean, or label_attention (one attention vector per loyalty signal) [default: as loaded]."),
    ] = None,
    time_budget: Annotated[
        float | None,
        typer.Option(help="Seconds of training; the schedule is fitted to the steps that fit, 0 = no limit."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help=f"CPU threads for training [default: {_SETTINGS.threads}].")
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            help="Where to train: auto (a CUDA GPU when torch sees one), cpu, cuda, cuda:1 "
            f"[default: {_SETTINGS.device}]."
        ),
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Version string stored with every analysis.")
    ] = None,
    init_from: Annotated[
        Path | None, typer.Option("--init-from", help="Continue from this model folder (fresh optimiser).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue after the last saved epoch.")] = False,
    encoder: EncoderOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train the sentence tagger on the public datasets + hand-labelled examples, tune its thresholds on
    the tune splits, evaluate on held-out splits and (re)write the model folder.

    About 50 minutes on a 2-core CPU with the defaults, minutes on a GPU (--device). Progress is
    logged to stderr.

    Examples:

        reviewmine train --shared ../shared --out models/reviewmine-tagger

        reviewmine train --epochs 1 --init-from models/reviewmine-tagger --lr-encoder 3e-5

        reviewmine train --lora-rank 0 --lr-encoder 8e-5 --epochs 4     # full fine-tune

        reviewmine train --encoder-layers 0 --epochs 6 --repeat hand=3 --loss-weight ekman=0   # tagger-3's recipe

        reviewmine train --teacher category=build/t-category --teacher category_polarity=build/t-polarity
        # also learn two families from saved single-task models (docs/model.md, Training)
    """
    require("train", "reviewmine train")
    import logging

    from ..nlp.training.distill import check_teachers
    from ..nlp.training.settings import ANNEAL, key_values
    from ..nlp.training.train import resolve_device
    from ..nlp.training.train import train as run_training

    defaults = TrainSettings()
    with usage_errors("--loss-weight", "--repeat", "--teacher", "--teacher-share"):  # not a missing teacher folder
        weights = key_values("--loss-weight", loss_weight or [], defaults.loss_weights, float)
        repeats = key_values("--repeat", repeat or [], defaults.repeats, int, open_keys=True)
        teachers = key_values("--teacher", teacher or [], {}, str, open_keys=True)
        check_teachers(teachers, teacher_share or ANNEAL)
    if device is not None:
        resolve_device(device)  # an unusable --device fails before any work
    _check_shared(shared)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    given = {
        "epochs": epochs, "batch_size": batch_size, "goemotions_per_epoch": goemotions_per_epoch,
        "amazon_per_epoch": amazon_per_epoch, "lr_encoder": lr_encoder, "lora_rank": lora_rank,
        "lora_alpha": lora_alpha, "encoder_layers": encoder_layers,
        "exclude": _names(exclude), "polarity_only": _names(polarity_only),
        "loss_weights": weights, "repeats": repeats, "teachers": teachers, "teacher_share": teacher_share,
        "teacher_targets": None if teacher_targets is None else str(teacher_targets),
        "teacher_families": _names(teacher_families), "teacher_skip": _names(teacher_skip),
        "unlabelled_per_epoch": unlabelled_per_epoch, "loyalty_pooling": loyalty_pooling,
        "time_budget": time_budget, "threads": threads, "seed": seed, "device": device,
    }  # fmt: skip
    settings = TrainSettings(**{k: v for k, v in given.items() if v is not None})
    metrics = run_training(
        shared,
        out,
        hand_folder=examples,
        settings=settings,
        work_dir=work_dir,
        resume=resume,
        encoder_path=encoder,
        init_from=init_from,
        model_version=model_version,
    )
    _print_summary(metrics, as_json)


def evaluate(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model folder.")] = _DEFAULT_MODEL,
    shared: SharedOption = Path("../shared"),
    examples: ExamplesOption = Path("training/examples"),
    encoder: EncoderOption = None,
    write: Annotated[
        bool, typer.Option("--write", help="Also rewrite the model's metrics.json and model card.")
    ] = False,
    threads: Annotated[int, typer.Option(help="CPU threads (1 is fastest on a busy machine).")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Measure a model on the held-out splits with its stored thresholds: per-label precision/recall/F1,
    category micro-F1 and polarity accuracy (SemEval-2014 dev carve), GoEmotions 28-label and Ekman macro-F1,
    Amazon review accuracy, and communication F1 on the hand-labelled test rows.

    Examples:

        reviewmine eval --model models/reviewmine-tagger --shared ../shared

        reviewmine eval --json > metrics.json
    """
    require("nlp", "reviewmine eval")
    import json

    import torch

    from ..nlp.model import Tagger
    from ..nlp.training.data import build_splits
    from ..nlp.training.evaluate import evaluate_splits

    _check_shared(shared)
    torch.set_num_threads(threads)
    tagger = Tagger.load(model, encoder_path=encoder)
    splits, _ = build_splits(shared, examples)
    metrics = evaluate_splits(tagger, splits)
    if write:  # keeps what evaluation does not measure (speed, model_version) and regenerates the card
        from ..nlp.training.card import refresh_card

        file = model / "metrics.json"
        kept = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}
        file.write_text(json.dumps(kept | metrics, indent=2) + "\n", encoding="utf-8")
        refresh_card(model)
    _print_summary(metrics, as_json)


def _check_shared(shared: Path) -> None:
    if not (shared / "data").is_dir():
        raise InputError("no data/ folder with the public datasets here", where=str(shared))


def _print_summary(metrics: dict, as_json: bool) -> None:
    if as_json:
        emit_json(metrics)
        return
    targets = metrics.get("targets", {})
    for name, value in metrics.get("summary", {}).items():
        shown = "n/a (no data)" if value is None else f"{value:.4f}"
        typer.echo(f"{name:40s} {shown:>14s}   target {targets.get(name, float('nan')):.2f}")
