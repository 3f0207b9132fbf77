"""`reviewmine train` and `reviewmine eval`: build and measure the sentence tagger (docs/model.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ._common import JsonOption, emit_json

_DEFAULT_MODEL = Path("models/reviewmine-tagger")

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
    epochs: Annotated[int | None, typer.Option(help="Passes over the aspect datasets [default: 10].")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Sentences per step [default: 32].")] = None,
    goemotions_per_epoch: Annotated[
        int | None, typer.Option(help="GoEmotions rows per epoch, 0 = all [default: see TrainSettings].")
    ] = None,
    amazon_per_epoch: Annotated[int | None, typer.Option(help="Amazon reviews per epoch, 0 = all.")] = None,
    lr_encoder: Annotated[float | None, typer.Option(help="Learning rate of the encoder layers.")] = None,
    lora_rank: Annotated[
        int | None,
        typer.Option(help="Rank of the LoRA adapters; 0 = full fine-tune (a 22 MB artifact) [default: 64]."),
    ] = None,
    lora_alpha: Annotated[float | None, typer.Option(help="LoRA scale numerator (scale = alpha / rank).")] = None,
    encoder_layers: Annotated[
        int | None,
        typer.Option(help="Keep only the encoder's bottom N layers (about N/6 of the work); 0 = all [default: 4]."),
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated training sources to leave out [default: mams, SemEval-2015, ACOS; '' = none]."
        ),
    ] = None,
    polarity_only: Annotated[
        str | None,
        typer.Option(help="Comma-separated sources trained for polarities only, not category detection."),
    ] = None,
    loss_weight: Annotated[
        list[str] | None,
        typer.Option("--loss-weight", metavar="FAMILY=W", help="A loss family's weight, e.g. ekman=3 (repeatable)."),
    ] = None,
    repeat: Annotated[
        list[str] | None,
        typer.Option("--repeat", metavar="SOURCE=N", help="Show a source's rows N times an epoch, e.g. hand=5."),
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
            "(classic distillation into a smaller student) [default: anneal].",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of weights, data order and dropout [default: 13].")] = None,
    device: Annotated[
        str | None, typer.Option(help="Where to train: auto (a CUDA GPU when torch sees one), cpu, cuda, cuda:1.")
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

    About 50 minutes on a 2-core CPU with the defaults (10 epochs), minutes on a GPU (--device). Progress is
    logged to stderr.

    Examples:

        reviewmine train --shared ../shared --out models/reviewmine-tagger

        reviewmine train --epochs 1 --init-from models/reviewmine-tagger --lr-encoder 3e-5

        reviewmine train --lora-rank 0 --lr-encoder 8e-5 --epochs 4     # full fine-tune

        reviewmine train --encoder-layers 0 --epochs 6 --repeat hand=3 --loss-weight ekman=0   # tagger-3's recipe

        reviewmine train --teacher category=build/t-category --teacher category_polarity=build/t-polarity
        # also learn two families from saved single-task models (docs/model.md, Training)
    """
    import logging

    from ..nlp.distill import ANNEAL, check_teachers
    from ..nlp.train import TrainSettings, key_values, resolve_device
    from ..nlp.train import train as run_training

    defaults = TrainSettings()
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
        "exclude": None if exclude is None else tuple(filter(None, exclude.split(","))),
        "polarity_only": None if polarity_only is None else tuple(filter(None, polarity_only.split(","))),
        "loss_weights": weights, "repeats": repeats, "teachers": teachers, "teacher_share": teacher_share,
        "seed": seed, "device": device,
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
    import json

    import torch

    from ..nlp.data import build_splits
    from ..nlp.evaluate import evaluate_splits
    from ..nlp.model import Tagger

    _check_shared(shared)
    torch.set_num_threads(threads)
    tagger = Tagger.load(model, encoder_path=encoder)
    splits, _ = build_splits(shared, examples)
    metrics = evaluate_splits(tagger, splits)
    if write:  # keeps what evaluation does not measure (speed, model_version) and regenerates the card
        from ..nlp.card import refresh_card

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
