"""Append newly written examples to training/examples/, giving each its id and split the way LABELLING.md says.

A draft is JSON Lines with the example fields except ``id`` and ``split``, plus ``theme`` (communication,
crossdomain, general or loyalty: the file it goes to). Splits are assigned deterministically: rows are grouped
by (domain, primary label); within a group, new rows in SHA-256 order of their text each go to the split
furthest below its target share (55/15/30; ``share * (k + 1) - count``, ties to train, then dev), counting the
rows already there. Existing rows never move.

    .venv/bin/python training/add_examples.py DRAFT.jsonl [DRAFT2.jsonl ...]
    .venv/bin/python training/add_examples.py --counts     # the count tables of training/README.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "examples"
PREFIX = {"communication": "comm", "crossdomain": "xdom", "general": "gen", "loyalty": "loy", "loyalty2": "loy2"}
SHARES = {"train": 0.55, "dev": 0.15, "test": 0.30}
FIELDS = ("id", "text", "domain", "categories", "polarity", "loyalty", "emotions", "split")


def primary_label(row: dict) -> str:
    """communication if present, else the first loyalty signal, else the first category A-Z, else none."""
    if "communication" in row["categories"]:
        return "communication"
    if row["loyalty"]:
        return str(row["loyalty"][0])
    return min(row["categories"], default="none")


def _next_split(counts: Counter[str]) -> str:
    k = sum(counts.values())
    return max(SHARES, key=lambda s: (SHARES[s] * (k + 1) - counts[s], -list(SHARES).index(s)))


def assign(existing: list[dict], drafts: list[dict]) -> list[dict]:
    """Ids and splits for the drafts, given every existing row (which are not changed)."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in existing:
        counts[row["domain"], primary_label(row)][row["split"]] += 1
    last = Counter[str]()
    for row in existing:
        prefix, number = row["id"].rsplit("-", 1)
        last[prefix] = max(last[prefix], int(number))
    out = []
    for draft in sorted(drafts, key=lambda r: hashlib.sha256(r["text"].encode("utf-8")).hexdigest()):
        group = counts[draft["domain"], primary_label(draft)]
        split = _next_split(group)
        group[split] += 1
        prefix = PREFIX[draft["theme"]]
        last[prefix] += 1
        row = {**draft, "id": f"{prefix}-{last[prefix]:04d}", "split": split}
        out.append({name: row[name] for name in FIELDS} | {"theme": draft["theme"]})
    return out


def _table(header: str, rows: dict[str, list[dict]]) -> list[str]:
    lines = [f"| {header} | rows | train | dev | test |", "|---|---:|---:|---:|---:|"]
    for name, members in rows.items():
        split = Counter(r["split"] for r in members)
        lines.append(f"| {name} | {len(members)} | {split['train']} | {split['dev']} | {split['test']} |")
    return lines


def counts_tables(rows: list[dict]) -> str:
    """Markdown tables of rows per file, label and domain, by split (a row counts once per label it carries)."""
    files: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        files[f"`{row['_file']}`"].append(row)
    files["**all**"] = rows
    labels: dict[str, list[dict]] = {}
    for category in ("product", "price", "place_process", "people", "communication"):
        labels[f"`{category}`"] = [r for r in rows if category in r["categories"]]
    labels["no category"] = [r for r in rows if not r["categories"]]
    for signal in ("recommend", "warn", "return", "churn"):
        labels[f"`{signal}`"] = [r for r in rows if signal in r["loyalty"]]
    labels["no loyalty signal"] = [r for r in rows if not r["loyalty"]]
    for polarity in ("positive", "negative", "neutral"):
        labels[f"sentence {polarity}"] = [r for r in rows if r["polarity"] == polarity]
    labels["emotions annotated"] = [r for r in rows if r["emotions"]]
    domains = {d: [r for r in rows if r["domain"] == d] for d in sorted({r["domain"] for r in rows})}
    mentions = ["| category | positive | negative | neutral |", "|---|---:|---:|---:|"]
    for category in ("product", "price", "place_process", "people", "communication"):
        pol = Counter(r["categories"][category] for r in rows if category in r["categories"])
        mentions.append(f"| `{category}` | {pol['positive']} | {pol['negative']} | {pol['neutral']} |")
    parts = [_table("file", files), _table("label", labels), mentions, _table("domain", domains)]
    return "\n\n".join("\n".join(p) for p in parts)


def _existing() -> list[dict]:
    rows = []
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        rows += [json.loads(line) | {"_file": path.name} for line in path.open(encoding="utf-8") if line.strip()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drafts", nargs="*", type=Path)
    parser.add_argument("--counts", action="store_true", help="print the count tables and stop")
    args = parser.parse_args()
    existing = _existing()
    if args.counts:
        print(counts_tables(existing))
        return
    seen = {" ".join(r["text"].lower().split()) for r in existing}
    drafts = []
    for path in args.drafts:
        for number, line in enumerate(path.open(encoding="utf-8"), 1):
            if line.strip():
                row = json.loads(line)
                if row.get("theme") not in PREFIX:
                    raise SystemExit(f"{path}:{number}: theme must be one of {', '.join(PREFIX)}")
                if " ".join(row["text"].lower().split()) in seen:
                    raise SystemExit(f"{path}:{number}: already in training/examples: {row['text']!r}")
                drafts.append(row)
    added = assign(existing, drafts)
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in added:
        by_file[row.pop("theme")].append(row)
    for theme, rows in by_file.items():
        with (EXAMPLES / f"{theme}.jsonl").open("a", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    splits = Counter(row["split"] for rows in by_file.values() for row in rows)
    print(f"added {len(added)} examples: " + ", ".join(f"{k} {v}" for k, v in sorted(splits.items())))


if __name__ == "__main__":
    main()
