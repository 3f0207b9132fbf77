"""SemEval-2014 category detection scored over SemEval's 5 categories vs our 4 mapped ones.

Published aspect-category results (e.g. BERT-base pair, 0.922 micro-F1) are scored over all five SemEval-2014
categories, including the frequent anecdotes/miscellaneous; we report 4 (food, service, price, ambience -> our
taxonomy; single-task 0.869). This fine-tunes the encoder on the SemEval-2014 rows of our train carve with the
raw 5 categories from the XML, tunes a threshold per label on semeval14_tune and reports both micro-F1s on
semeval14_dev, so the two kinds of number can be compared on the same rows.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/semeval_five_categories.py \\
        --json build/semeval5.json          # ~2.5 min on a quiet 2-core machine
    ... --no-misc                           # the 4 mapped categories only, as the project trains them
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from reviewmine.nlp.model import default_encoder_path  # noqa: E402
from reviewmine.nlp.training.data import Example, build_splits, dataset_files  # noqa: E402

LABELS = ("food", "service", "price", "ambience", "anecdotes/miscellaneous")
MAPPED = LABELS[:4]
GRID = [round(0.05 * i, 2) for i in range(1, 20)]


class Classifier(torch.nn.Module):
    def __init__(self, path: Path, outputs: int) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(path, local_files_only=True)
        self.dropout = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, outputs)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def raw_categories(xml: Path) -> dict[str, set[str]]:
    """Sentence text (stripped, as load_semeval14 keys it) -> its raw SemEval aspectCategory names."""
    out: dict[str, set[str]] = {}
    for sentence in ET.parse(xml).getroot().iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        cats = {c.get("category", "") for c in sentence.iter("aspectCategory")}
        if text in out and out[text] != cats:
            print(f"conflicting duplicate sentence: {text!r}", file=sys.stderr)
        out[text] = out.get(text, set()) | cats
    return out


def targets(rows: list[Example], cats: dict[str, set[str]], failed: list[str]) -> torch.Tensor:
    failed += [r.text for r in rows if r.text not in cats]
    return torch.tensor([[float(label in cats.get(r.text, set())) for label in LABELS] for r in rows])


def predict(model: Classifier, tok: AutoTokenizer, rows: list[Example], max_length: int) -> torch.Tensor:
    model.eval()
    out: list[torch.Tensor] = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for i in range(0, len(rows), 64):
            enc = tok([r.text for r in rows[i : i + 64]], padding=True, truncation=True, max_length=max_length)
            logits = model(torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"]))
            out.append(torch.sigmoid(logits.float()))
    return torch.cat(out)


def counts(pred: torch.Tensor, gold: torch.Tensor) -> tuple[int, int, int]:
    return int((pred * gold).sum()), int((pred * (1 - gold)).sum()), int(((1 - pred) * gold).sum())


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-9, p + r), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument("--no-misc", action="store_true", help="train the 4 mapped categories only (no misc output)")
    args = parser.parse_args()
    trained = MAPPED if args.no_misc else LABELS
    s = {"lr_encoder": 8e-5, "lr_head": 1e-3, "weight_decay": 0.01, "batch_size": 32, "warmup": 0.1}
    s |= {"epochs": args.epochs, "max_length": 128, "seed": 13, "threads": 1, "bf16": True, "clip_grad": 1.0}
    torch.manual_seed(s["seed"])
    torch.set_num_threads(s["threads"])
    began = time.monotonic()
    splits, _ = build_splits(args.shared, REPO / "training" / "examples")
    cats = raw_categories(dataset_files(args.shared, None)["semeval2014"])
    parts = {"train": [r for r in splits["train"] if r.source == "semeval2014"]}
    parts |= {"tune": splits["semeval14_tune"], "dev": splits["semeval14_dev"]}
    failed: list[str] = []
    gold = {name: targets(rows, cats, failed) for name, rows in parts.items()}
    path = default_encoder_path()
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = Classifier(path, len(trained))
    for p in model.encoder.embeddings.word_embeddings.parameters():
        p.requires_grad = False
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": enc_params, "lr": s["lr_encoder"]}, {"params": model.head.parameters(), "lr": s["lr_head"]}],
        weight_decay=s["weight_decay"],
    )
    steps = math.ceil(len(parts["train"]) / s["batch_size"]) * s["epochs"]
    warm = max(1, int(s["warmup"] * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: min((k + 1) / warm, max(0.0, (steps - k) / max(1, steps - warm)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    texts = [r.text for r in parts["train"]]
    for epoch in range(s["epochs"]):
        model.train()
        total = 0.0
        order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(s["seed"] + epoch)).tolist()
        for i in range(0, len(order), s["batch_size"]):
            idx = order[i : i + s["batch_size"]]
            enc = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=s["max_length"])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"]))
            loss = loss_fn(logits.float(), gold["train"][idx, : len(trained)])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip_grad"])
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(texts):.4f}, {time.monotonic() - began:.0f}s", file=sys.stderr)
    tune_p, dev_p = (predict(model, tok, parts[n], s["max_length"]) for n in ("tune", "dev"))
    thresholds = {}
    for k, label in enumerate(trained):
        f1 = {t: prf(*counts((tune_p[:, k] > t).float(), gold["tune"][:, k]))["f1"] for t in GRID}
        thresholds[label] = max(GRID, key=lambda t: (f1[t], -abs(t - 0.5)))
    pred = torch.stack([(dev_p[:, k] > thresholds[lab]).float() for k, lab in enumerate(trained)], 1)
    per = {lab: counts(pred[:, k], gold["dev"][:, k]) for k, lab in enumerate(trained)}
    misc = {  # misc is column 4; "only" = misc is the sentence's sole category
        n: {
            "sentences": len(g),
            "misc_mentions": int(g[:, 4].sum()),
            "misc_only": int(((g[:, 4] == 1) & (g.sum(1) == 1)).sum()),
        }
        for n, g in gold.items()
    }
    result = {
        "machine": describe(),
        "settings": s,
        "train_rows": len(texts),
        "join_failures": len(failed),
        "minutes": round((time.monotonic() - began) / 60, 1),
        "trained_labels": list(trained),
        "dev_micro_f1_5_labels": prf(*(sum(per[lab][i] for lab in LABELS) for i in range(3)))["f1"]
        if trained == LABELS
        else None,
        "dev_micro_f1_4_mapped": prf(*(sum(per[lab][i] for lab in MAPPED) for i in range(3)))["f1"],
        "dev_per_label": {lab: prf(*c) | {"support": c[0] + c[2]} for lab, c in per.items()},
        "thresholds": thresholds,
        "misc": misc,
    }
    print(json.dumps(result, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(result | {"failed_texts": failed}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
