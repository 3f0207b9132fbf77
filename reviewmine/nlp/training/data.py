"""Training data: loaders for the public datasets in ../shared/data and our hand-labelled examples.

Every loader maps its labels to reviewmine's taxonomy (../shared/taxonomy.md) and returns `Example` rows that
say, per task, whether the row is labelled for it (-1 = unknown, so the loss skips it): a GoEmotions row has no
category labels, a SemEval row no emotions. Dev/tune/report splits are carved with fixed seeds so every run and
every evaluation sees the same rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError
from ...taxonomy import CATEGORIES, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

__all__ = [
    "Example",
    "Split",
    "build_splits",
    "dataset_files",
    "load_acos",
    "load_amazon",
    "load_goemotions",
    "load_hand_labelled",
    "load_mams",
    "load_semeval14",
    "load_semeval15",
    "norm_text",
]

UNKNOWN = -1
_CONFLICT = -2  # a category mention whose polarity is mixed (SemEval "conflict"): detection yes, polarity no
_POL = {p: i for i, p in enumerate(POLARITIES)}
_CAT = {c: i for i, c in enumerate(CATEGORIES)}
_SEED = 13

# SemEval-2014 and MAMS coarse categories -> taxonomy (None = "no clue category").
_SEMEVAL14_MAP: dict[str, str | None] = {
    "food": "product",
    "service": "people",
    "price": "price",
    "ambience": "place_process",
    "anecdotes/miscellaneous": None,
}
_MAMS_MAP: dict[str, str | None] = {
    "food": "product",
    "menu": "product",
    "staff": "people",
    "service": "place_process",
    "price": "price",
    "place": "place_process",
    "ambience": "place_process",
    "miscellaneous": None,
}
_ACOS_POLARITY = {"0": "negative", "1": "neutral", "2": "positive"}


@dataclass
class Example:
    """One training/evaluation row with a label (or UNKNOWN) per task."""

    text: str
    source: str
    split: str = "train"
    category: list[int] = field(default_factory=lambda: [UNKNOWN] * len(CATEGORIES))
    category_polarity: list[int] = field(default_factory=lambda: [UNKNOWN] * len(CATEGORIES))
    polarity: int = UNKNOWN
    emotion: list[int] | None = None
    loyalty: list[int] | None = None
    domain: str = ""


Split = dict[str, list[Example]]


def map_aspect_category(label: str) -> str | None:
    """SemEval-2015/16 and ACOS ``ENTITY#ATTRIBUTE`` -> taxonomy category (None: no clue category)."""
    entity, _, attribute = label.upper().partition("#")
    if attribute in {"PRICE", "PRICES"}:
        return "price"
    if entity in {"SERVICE", "SUPPORT"}:
        return "people"
    if entity in {"AMBIENCE", "LOCATION", "SHIPPING", "FACILITIES", "WARRANTY"}:
        return "place_process"
    if entity in {"RESTAURANT", "COMPANY", "HOTEL", "OUT_OF_SCOPE"}:
        return None
    return "product"  # FOOD, DRINKS and every laptop part (LAPTOP, BATTERY, DISPLAY, OS, ...)


def _exhaustive(text: str, source: str, mentions: Iterable[tuple[str | None, str]]) -> Example:
    """An example from a dataset that annotates categories exhaustively: absent categories are negatives.

    ``mentions`` are (category or None, polarity) pairs; None-category mentions still count toward the
    sentence polarity. Mentions mapping to one category with different polarities keep detection only.
    """
    example = Example(text=text, source=source)
    example.category = [0] * len(CATEGORIES)
    per_category: dict[str, set[str]] = {}
    sentence: set[str] = set()
    for category, polarity in mentions:
        sentence.add(polarity)
        if category is not None:
            per_category.setdefault(category, set()).add(polarity)
    for category, polarities in per_category.items():
        index = _CAT[category]
        example.category[index] = 1
        only = next(iter(polarities)) if len(polarities) == 1 else "mixed"
        example.category_polarity[index] = _POL.get(only, _CONFLICT)
    # "good food, we went on a Tuesday" reads as the non-neutral side; pos+neg or conflict stay unknown.
    opinionated = sentence - {"neutral"}
    if sentence == {"neutral"}:
        example.polarity = _POL["neutral"]
    elif len(opinionated) == 1 and next(iter(opinionated)) in _POL:
        example.polarity = _POL[next(iter(opinionated))]
    return example


def _parse_xml(path: Path) -> ET.Element:
    if not path.is_file():
        raise InputError("dataset file not found", where=str(path))
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"not valid XML: {exc}", where=str(path)) from exc


# SemEval-2014 files waits, bookings and speed under "service" (-> people), taxonomy.md files them under
# place_process ("We waited 40 minutes for a table"). A "service" sentence about those that names no staff is
# ambiguous for us: for training it leaves people and place_process unknown (see `load_semeval14`).
_WAIT_WORDS = re.compile(
    r"\b(wait|waits|waited|waiting|lines?|queue\w*|reserv\w*|seated|seating|minutes?|mins|hours?|slow\w*|quick\w*"
    r"|fast|faster|prompt\w*|took|forever|deliver\w*|takeout|take-out|booked)\b",
    re.IGNORECASE,
)
_STAFF_WORDS = re.compile(
    r"\b(waiters?|waitress\w*|waitstaff|wait staff|staff|servers?|host\w*|manager\w*|owners?|bartenders?|chefs?"
    r"|employees?|people|guys?|lady|man|woman|attentive|friendly|rude|polite|helpful|courteous|nice|sweet"
    r"|professional|knowledgeable|accomm?odating|gracious|warm)\b",
    re.IGNORECASE,
)


def load_semeval14(path: Path, *, taxonomy_waits: bool = False) -> list[Example]:
    """SemEval-2014 Task 4 restaurants (train v2): coarse categories with polarity.

    ``taxonomy_waits``: a ``service`` sentence about waiting, bookings or speed that names no staff leaves people
    and place_process unknown (no loss), since the taxonomy files those under place_process. Used for the rows
    we train and tune on; the reported dev carve keeps SemEval's own mapping.
    """
    rows = []
    people, place = _CAT["people"], _CAT["place_process"]
    for sentence in _parse_xml(path).iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        categories = [c.get("category", "") for c in sentence.iter("aspectCategory")]
        mentions = [
            (_SEMEVAL14_MAP[c.get("category", "")], c.get("polarity", ""))
            for c in sentence.iter("aspectCategory")
            if c.get("category") in _SEMEVAL14_MAP
        ]
        example = _exhaustive(text, "semeval2014", mentions)
        if taxonomy_waits and "service" in categories and _WAIT_WORDS.search(text) and not _STAFF_WORDS.search(text):
            example.category[people] = example.category_polarity[people] = UNKNOWN
            if example.category[place] == 0:
                example.category[place] = UNKNOWN
        rows.append(example)
    return rows


def load_mams(path: Path) -> list[Example]:
    """MAMS-ACSA (SemEval-2014-style XML; every sentence has 2+ categories).

    MAMS ``service`` is place_process only "when it is about speed/process" (taxonomy.md) and people when it
    is about staff, which SemEval-2014 labels ``service`` too; we cannot tell which, so a sentence whose only
    people/place_process evidence is ``service`` leaves both of those categories unknown (no loss).
    """
    rows = []
    people, place = _CAT["people"], _CAT["place_process"]
    for sentence in _parse_xml(path).iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        labels = [c.get("category", "") for c in sentence.iter("aspectCategory")]
        mentions = [  # service still counts toward the sentence polarity
            (None if c.get("category") == "service" else _MAMS_MAP[c.get("category", "")], c.get("polarity", ""))
            for c in sentence.iter("aspectCategory")
            if c.get("category") in _MAMS_MAP
        ]
        example = _exhaustive(text, "mams", mentions)
        if "service" in labels:
            for index in (people, place):
                if example.category[index] == 0:
                    example.category[index] = UNKNOWN
        rows.append(example)
    return rows


def load_semeval15(path: Path, source: str) -> list[Example]:
    """SemEval-2015 Task 12 (restaurants or laptops): ``ENTITY#ATTRIBUTE`` opinions with polarity."""
    rows = []
    for sentence in _parse_xml(path).iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        if not text:
            continue
        mentions = [
            (map_aspect_category(o.get("category", "")), o.get("polarity", "")) for o in sentence.iter("Opinion")
        ]
        rows.append(_exhaustive(text, source, mentions))
    return rows


def load_acos(path: Path) -> list[Example]:
    """Laptop-ACOS quads: tokenised sentence, then ``span CATEGORY sentiment opinion`` per quad."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if not parts[0].strip():
                continue
            mentions = []
            for quad in parts[1:]:
                fields = quad.split()
                if len(fields) >= 3 and fields[2] in _ACOS_POLARITY:
                    mentions.append((map_aspect_category(fields[1]), _ACOS_POLARITY[fields[2]]))
            rows.append(_exhaustive(parts[0].strip(), "acos", mentions))
    return rows


def load_goemotions(path: Path, sentiment_file: Path | None = None) -> list[Example]:
    """GoEmotions TSV (text, comma-separated label ids, id): emotions, and sentence polarity where clear."""
    groups: dict[str, set[str]] = {}
    if sentiment_file is not None and sentiment_file.is_file():
        groups = {k: set(v) for k, v in json.loads(sentiment_file.read_text(encoding="utf-8")).items()}
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for record in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(record) < 2:
                continue
            labels = [EMOTIONS[int(i)] for i in record[1].split(",") if i.strip()]
            example = Example(text=record[0].strip(), source="goemotions")
            example.emotion = [int(e in labels) for e in EMOTIONS]
            example.polarity = _goemotions_polarity(set(labels), groups)
            rows.append(example)
    return rows


def _goemotions_polarity(labels: set[str], groups: dict[str, set[str]]) -> int:
    if not groups:
        return UNKNOWN
    if labels == {"neutral"}:
        return _POL["neutral"]
    for side in ("positive", "negative"):
        if labels and labels <= groups.get(side, set()):
            return _POL[side]
    return UNKNOWN


def load_amazon(path: Path) -> list[Example]:
    """Amazon review polarity: ``title. body$LABEL$<0|1>``, one review per line (review-level polarity)."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            text, sep, label = line.rstrip("\n").rpartition("$LABEL$")
            if not sep or label.strip() not in {"0", "1"}:
                raise InputError("expected 'text$LABEL$0|1'", where=f"{path}:{number}")
            example = Example(text=text.strip(), source="amazon", domain="amazon")
            example.polarity = _POL["positive"] if label.strip() == "1" else _POL["negative"]
            rows.append(example)
    return rows


def load_hand_labelled(folder: Path) -> list[Example]:
    """Our hand-labelled ``training/examples/*.jsonl`` (schema in training/LABELLING.md); split kept as given."""
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    rows.append(_hand_row(line, f"{path}:{number}"))
    return rows


def _hand_row(line: str, where: str) -> Example:
    try:
        data = json.loads(line)
        example = Example(text=str(data["text"]).strip(), source="hand", domain=str(data.get("domain", "")))
        example.split = str(data.get("split", "train"))
        example.category = [0] * len(CATEGORIES)
        for category, polarity in (data.get("categories") or {}).items():
            if category not in _CAT:
                raise InputError(f"unknown category {category!r}", where=where)
            example.category[_CAT[category]] = 1
            example.category_polarity[_CAT[category]] = _POL.get(polarity, _CONFLICT)
        example.polarity = _POL.get(data.get("polarity") or "", UNKNOWN)
        loyalty = data.get("loyalty") or []
        if unknown := set(loyalty) - set(LOYALTY_SIGNALS):
            raise InputError(f"unknown loyalty signal(s) {sorted(unknown)}", where=where)
        example.loyalty = [int(s in loyalty) for s in LOYALTY_SIGNALS]
        if data.get("emotions"):
            example.emotion = [int(e in data["emotions"]) for e in EMOTIONS]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"bad example: {exc}", where=where) from exc
    if example.split not in {"train", "dev", "test"}:
        raise InputError(f"split must be train, dev or test, not {example.split!r}", where=where)
    return example


def _carve(rows: list[Example], fractions: dict[str, float], seed: int = _SEED) -> dict[str, list[Example]]:
    """Fixed-seed random split; the last name gets the remainder."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    out: dict[str, list[Example]] = {}
    start = 0
    names = list(fractions)
    for i, name in enumerate(names):
        end = len(order) if i == len(names) - 1 else start + round(fractions[name] * len(rows))
        out[name] = [rows[j] for j in order[start:end]]
        for row in out[name]:
            row.split = name
        start = end
    return out


def norm_text(text: str) -> str:
    """Lower case letters and digits only: how texts are matched across datasets (held-out sentences)."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def dataset_files(shared: Path, hand_folder: Path | None) -> dict[str, Path]:
    """The files one training run reads (recorded with their sha256 in the artifact)."""
    data = shared / "data"
    files = {
        "semeval2014": data / "semeval2014-restaurants" / "Restaurants_Train_v2.xml",
        "semeval2015_restaurants": data / "semeval2015" / "ABSA-15_Restaurants_Train_Final.xml",
        "semeval2015_laptops": data / "semeval2015" / "ABSA-15_Laptops_Train_Data.xml",
        "mams_train": data / "mams-acsa" / "train.xml",
        "mams_val": data / "mams-acsa" / "val.xml",
        "acos_train": data / "acos-laptop" / "laptop_quad_train.tsv",
        "acos_dev": data / "acos-laptop" / "laptop_quad_dev.tsv",
        "goemotions_train": data / "goemotions" / "train.tsv",
        "goemotions_dev": data / "goemotions" / "dev.tsv",
        "goemotions_sentiment": data / "goemotions" / "sentiment_dict.json",
        "amazon": data / "amazon-polarity" / "amazon.train.dat",
    }
    if hand_folder is not None and hand_folder.is_dir():
        files.update({f"hand:{p.name}": p for p in sorted(hand_folder.glob("*.jsonl"))})
    return files


def file_record(path: Path, rows: int | None = None) -> dict[str, object]:
    """Name, sha256 and row count of one input file, for the artifact's training record."""
    record: dict[str, object] = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    if rows is not None:
        record["rows"] = rows
    return record


def build_splits(shared: Path, hand_folder: Path | None = None) -> tuple[Split, dict[str, dict[str, object]]]:
    """All data as named splits, plus a record of the files read.

    Splits: ``train`` (everything trained on), ``*_tune`` (threshold/rule tuning only; ``mams_tune`` is 15% of
    MAMS train) and report sets that are never trained or tuned on: ``semeval14_dev`` (15% of SemEval-2014
    train), ``goemotions_report`` (half of GoEmotions dev), ``amazon_report`` (1,000 reviews), ``hand_test``
    (hand-labelled "test" rows), ``mams_report`` (the MAMS validation file).
    """
    files = dataset_files(shared, hand_folder)
    for name, path in files.items():
        if not path.is_file():
            raise InputError(f"dataset file for {name} not found", where=str(path))
    fractions = {"train": 0.75, "tune": 0.10, "report": 0.15}
    semeval14 = _carve(load_semeval14(files["semeval2014"]), fractions)
    # The same carve (same rows, same seed) with waits left unknown, for the rows we train and tune on.
    taxonomy = _carve(load_semeval14(files["semeval2014"], taxonomy_waits=True), fractions)
    semeval14["train"], semeval14["tune"] = taxonomy["train"], taxonomy["tune"]
    held_out = {norm_text(r.text) for r in semeval14["tune"] + semeval14["report"]}
    # 15% of MAMS train tunes the category polarity offsets (tune_config): the only tune rows with many neutral
    # mentions, which SemEval-2014 hardly has.
    mams = _carve(load_mams(files["mams_train"]), {"tune": 0.15, "train": 0.85})
    other_absa = (
        load_semeval15(files["semeval2015_restaurants"], "semeval2015_restaurants")
        + load_semeval15(files["semeval2015_laptops"], "semeval2015_laptops")
        + mams["train"]
        + load_acos(files["acos_train"])
        + load_acos(files["acos_dev"])
    )
    # SemEval-2015 restaurants reuse sentences of the 2014 corpus: never train on a held-out sentence.
    other_absa = [r for r in other_absa if norm_text(r.text) not in held_out]
    mams_report = load_mams(files["mams_val"])  # evaluation only (neutral mentions): never trained on
    for row in mams_report:
        row.split = "mams_report"
    sentiment = files["goemotions_sentiment"]
    go_train = load_goemotions(files["goemotions_train"], sentiment)
    go_dev = _carve(load_goemotions(files["goemotions_dev"], sentiment), {"tune": 0.5, "report": 0.5})
    amazon = _carve(load_amazon(files["amazon"]), {"train": 0.8125, "tune": 0.0625, "report": 0.125})
    hand = load_hand_labelled(hand_folder) if hand_folder is not None and hand_folder.is_dir() else []
    for row in other_absa + go_train:
        row.split = "train"
    splits: Split = {
        "train": semeval14["train"] + other_absa + go_train + amazon["train"],
        "semeval14_tune": semeval14["tune"],
        "goemotions_tune": go_dev["tune"],
        "amazon_tune": amazon["tune"],
        "hand_tune": [r for r in hand if r.split == "dev"],
        "mams_tune": mams["tune"],
        "semeval14_dev": semeval14["report"],
        "goemotions_report": go_dev["report"],
        "amazon_report": amazon["report"],
        "hand_test": [r for r in hand if r.split == "test"],
        "mams_report": mams_report,
    }
    splits["train"] += [r for r in hand if r.split == "train"]
    counts = {
        "semeval2014": len(semeval14["train"]) + len(semeval14["tune"]) + len(semeval14["report"]),
        "goemotions_train": len(go_train),
        "goemotions_dev": len(go_dev["tune"]) + len(go_dev["report"]),
        "amazon": sum(len(v) for v in amazon.values()),
    }
    record = {name: file_record(path, counts.get(name)) for name, path in files.items()}
    return splits, record
