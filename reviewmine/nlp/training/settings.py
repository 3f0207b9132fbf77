"""The knobs of a training run, importable without torch: the CLI reads its help defaults from `TrainSettings`.

Every value here is recorded in the trained artifact's config.json (``training.settings``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError

__all__ = ["ANNEAL", "BATCHINGS", "TrainSettings", "key_values"]

BATCHINGS = ("length", "random")  # TrainSettings.batching
ANNEAL = "anneal"  # TrainSettings.teacher_share: BAM's schedule (distill.py); a number is a constant share instead


@dataclass
class TrainSettings:
    """Every knob of a training run (recorded in the artifact's config.json)."""

    # reviewmine-tagger-4: 10 epochs (6 for tagger-3; over 8 seeds of 4-layer runs, 10 epochs scored like the
    # 6-epoch mean on every family and was the one to pass all 37 golden sentences, docs/model-experiments.md).
    epochs: int = 10
    batch_size: int = 32
    lr_encoder: float = 5e-4  # for LoRA adapters; a full fine-tune (lora_rank=0) wants about 8e-5
    lr_heads: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    # Global gradient-norm clipping (0 = off), one norm over every family's gradient. Off, the category floors of
    # session 8 scored the same (docs/model-experiments.md). "grad_norm" in each epoch's log is the mean norm
    # before clipping.
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
    # TaggerConfig.loyalty_pooling: "" keeps what the model has ("mean" for a new one); "label_attention" gives the
    # loyalty signals one attention vector each, added to a model continued with --init-from.
    loyalty_pooling: str = ""
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
    # A file of a teacher's logits per text (teacher_targets.py), e.g. the large mpnet teacher's: every family of
    # every training row it covers is learned from it as well, with ``teacher_share``. Empty: none.
    teacher_targets: str = ""
    # The families teacher_targets teaches (empty: every family in the file): leave out those where the teacher
    # is weaker than the labels alone (the first mpnet teacher's emotions, docs/model.md).
    teacher_families: tuple[str, ...] = ()
    # Sources whose rows learn from their own labels alone, never mixed with teacher_targets. For labels the
    # teacher never learned: the session-13 teacher calls MAMS' neutral mentions positive, and mixing its targets
    # into MAMS' rows at share 0.5 taught the students to call them positive too (docs/model-experiments.md).
    teacher_skip: tuple[str, ...] = ()
    # Rows of the unlabelled pool (unlabelled.py) shown each epoch, learning every family from teacher_targets
    # alone (a rotating slice, as for GoEmotions). 0: no unlabelled rows.
    unlabelled_per_epoch: int = 0
    # Stop after this many seconds of training (0 = no limit): after ~100 steps the run measures its pace and
    # fits the learning-rate schedule to the steps that fit, so a time-boxed run (a lent GPU) still ends annealed.
    time_budget: float = 0.0
    max_steps: int = 0  # stop after this many optimiser steps (0 = the whole schedule): smoke runs
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {
            "category": 1.0,
            "category_polarity": 1.0,
            "polarity": 1.0,
            "emotion": 10.0,  # BCE averaged over 28 labels is small next to the other losses (3.0: 0.480 macro-F1)
            # The Ekman groups (+ neutral) of the same GoEmotions rows on a head of their own: Ekman macro-F1
            # +0.01-0.02 (3: 0.637 mean of 8 seeds vs 0.623 without; 10 costs GoEmotions 0.02,
            # docs/model-experiments.md).
            # 0 = no Ekman head, as in tagger-3: groups then take their members' highest probability.
            "ekman": 3.0,
            "loyalty": 1.0,
        }
    )


def names(text: str) -> tuple[str, ...]:
    """A comma-separated option (``--exclude mams,acos``) as a tuple of names; '' is none."""
    return tuple(filter(None, text.split(",")))


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
