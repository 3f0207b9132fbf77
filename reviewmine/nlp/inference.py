"""Batched sentence inference: finding a model folder, choosing the precision, running the tagger, decisions.

Sentences are tokenised once, sorted by length and run in batches under ``torch.inference_mode`` so little
time goes to padding. Sentences longer than the model's ``max_length`` tokens are cut at word boundaries into
pieces that each get tagged (never dropped). Precision "auto" is bfloat16 where the CPU has bfloat16 matrix
instructions (AVX512-BF16 or AMX: ~2.5x the fp32 speed here) and fp32 elsewhere, where bf16 is slower; int8
dynamic quantisation is available as an option. benchmarks/bench_nlp_speed.py measures speed and agreement.

On the CPU, batches run on one Python thread per core, each with a single torch thread, rather than one batch
at a time on all cores: batches of short sentences are small matrices whose per-operation thread handoffs
cost more than they save, and when other processes compete for the cores torch's spinning OpenMP threads
collapse (measured on the 2-core project machine under load: 6-13 reviews/s against 70-85 this way).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES

if TYPE_CHECKING:
    from .model import Tagger

__all__ = [
    "DEFAULT_MODEL",
    "PRECISIONS",
    "Decisions",
    "Predictor",
    "Probabilities",
    "check_precision",
    "cpu_supports_bf16",
    "ekman_from_members",
    "load_tagger",
    "model_search_path",
    "resolve_model_dir",
]

DEFAULT_MODEL = "reviewmine-tagger"
PRECISIONS = ("auto", "fp32", "bf16", "int8")
_REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


# -- finding and loading a model ---------------------------------------------------------------------------


def model_search_path() -> list[Path]:
    """Where a model name is looked up, in order.

    1. each folder in ``$REVIEWMINE_MODELS`` (``os.pathsep``-separated);
    2. ``models/`` of the source checkout this package runs from (a clone, or an editable install);
    3. ``<sys.prefix>/share/reviewmine/models`` (where a wheel's data files or a packager put them).
    """
    paths = [Path(p) for p in os.environ.get("REVIEWMINE_MODELS", "").split(os.pathsep) if p]
    return [*paths, _REPO_MODELS, Path(sys.prefix) / "share" / "reviewmine" / "models"]


def resolve_model_dir(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """The folder of a model given as a path, or as a name looked up along `model_search_path`."""
    name = str(name_or_path) if name_or_path else DEFAULT_MODEL
    direct = Path(name).expanduser()
    if direct.is_dir():
        return direct
    if direct.name == name:  # a bare name: search for it
        for base in model_search_path():
            if (base / name).is_dir():
                return base / name
    searched = ", ".join(str(p) for p in model_search_path())
    raise InputError(f"model not found (a folder path, or a name under: {searched})", where=name)


def read_model_version(name_or_path: str | os.PathLike[str] | None = None) -> str:
    """The model_version a model folder declares, without loading torch."""
    import json

    config = resolve_model_dir(name_or_path) / "config.json"
    try:
        return str(json.loads(config.read_text(encoding="utf-8"))["model_version"])
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read model_version: {exc}", where=str(config)) from None


def load_tagger(name_or_path: str | os.PathLike[str] | None = None, *, encoder: str | None = None) -> Tagger:
    """Load a saved tagger offline (default: ``reviewmine-tagger``), in eval mode."""
    from ..extras import require

    require("nlp", "tagging")  # before torch is imported: a slim install gets the pip command, not an ImportError
    from .model import Tagger

    return Tagger.load(resolve_model_dir(name_or_path), encoder_path=encoder)


# -- precision ---------------------------------------------------------------------------------------------


def cpu_supports_bf16() -> bool:
    """True when the CPU has bfloat16 matrix instructions (AVX512-BF16 or AMX-BF16)."""
    import torch

    capabilities = getattr(torch.cpu, "get_capabilities", None)
    if capabilities is not None:
        found = capabilities()
        return bool(found.get("avx512_bf16") or found.get("amx_bf16"))
    try:  # older torch: read the kernel's flags
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def check_precision(precision: str, *, where: str = "--precision") -> str:
    """``precision`` if it is one of PRECISIONS, else an InputError (without importing torch)."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision (choose from {', '.join(PRECISIONS)})", where=where)
    return precision


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """The precision "auto" stands for on this machine; others are checked and returned."""
    if check_precision(precision, where=precision) != "auto":
        return precision
    if device.startswith("cuda"):
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_supports_bf16() else "fp32"


# -- running -----------------------------------------------------------------------------------------------


_MEMBER_COLUMNS = [[EMOTIONS.index(m) for m in members] for members in EKMAN_GROUPS.values()]


def ekman_from_members(emotion: np.ndarray) -> np.ndarray:
    """(N, 7) per Ekman group, the highest value among its member emotions' columns of (N, 28): the group
    probabilities of models without an Ekman head, and group labels from emotion labels."""
    return np.stack([emotion[:, members].max(axis=1) for members in _MEMBER_COLUMNS], axis=1)


@dataclass(slots=True)
class Probabilities:
    """Per piece (sentence or cut of a long sentence), in the taxonomy's label order.

    ``ekman`` (N, 7): from the model's Ekman head, or (older models) the largest of the group's members';
    ``score`` (N,): p(positive) - p(negative), the sentence score in [-1, 1];
    ``review`` (N,): the piece's contribution (a logit) to its review's score under the ``review_head`` rule.
    """

    category: np.ndarray  # (N, 5)
    category_polarity: np.ndarray  # (N, 5, 3)
    polarity: np.ndarray  # (N, 3)
    emotion: np.ndarray  # (N, 28)
    loyalty: np.ndarray  # (N, 4)
    review: np.ndarray  # (N,)
    ekman: np.ndarray | None = None  # (N, 7); None: derived from the emotions
    score: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.ekman is None:
            self.ekman = ekman_from_members(self.emotion)
        self.score = self.polarity[:, POLARITIES.index("positive")] - self.polarity[:, POLARITIES.index("negative")]


@dataclass(slots=True)
class Decisions:
    """Thresholded tags per piece: booleans, and indices into POLARITIES (-1: category not mentioned)."""

    category: np.ndarray  # (N, 5) bool
    category_polarity: np.ndarray  # (N, 5) int8
    polarity: np.ndarray  # (N,) int8
    emotion: np.ndarray  # (N, 28) bool
    ekman: np.ndarray  # (N, 7) bool
    loyalty: np.ndarray  # (N, 4) bool


class Predictor:
    """A loaded tagger prepared for inference at one precision; `predict` takes any number of sentences."""

    def __init__(
        self,
        tagger: Tagger,
        *,
        precision: str = "auto",
        batch_size: int = 32,
        device: str = "cpu",
        workers: int | None = None,
    ) -> None:
        import torch

        from .model import EKMAN_HEAD

        self.device = _resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        if batch_size < 1:
            raise InputError("must be at least 1", where="--batch-size")
        self.batch_size = batch_size
        # CPU: batches run on `workers` threads with one torch thread each (see the module docstring).
        self.workers = 1 if self.device != "cpu" else max(1, workers or torch.get_num_threads())
        self.config = tagger.config
        self.tokenizer = tagger.tokenizer
        # We cut long sentences ourselves (`pieces`); without this the tokenizer warns about their length.
        self.tokenizer.model_max_length = sys.maxsize
        self.max_length = int(tagger.config.max_length)
        self.model_version = tagger.config.model_version
        self._order = _label_order(tagger.config)
        self._ekman_head = tagger.config.ekman_rule == EKMAN_HEAD
        self._thresholds = {
            family: np.array([tagger.config.thresholds.get(family, {}).get(label, 0.5) for label in labels], np.float32)
            for family, labels in (
                ("category", CATEGORIES), ("emotion", EMOTIONS), ("ekman", tuple(EKMAN_GROUPS)),
                ("loyalty", LOYALTY_SIGNALS),
            )
        }  # fmt: skip
        tagger.eval()
        if self.device == "cpu" and hasattr(tagger.encoder, "set_attn_implementation"):
            # On the CPU the plain attention beats torch's fused kernel on these short, padded batches: 4-8% more
            # reviews/s for the whole stage (docs/model-experiments.md, Speed). The results are the same.
            tagger.encoder.set_attn_implementation("eager")
        if self.precision == "bf16":
            tagger = tagger.to(torch.bfloat16)
        elif self.precision == "int8":
            if self.device != "cpu":
                raise InputError("int8 runs on the CPU only", where="--precision")
            with warnings.catch_warnings():  # torch marks eager quantisation deprecated; it still works
                warnings.simplefilter("ignore")
                tagger = torch.ao.quantization.quantize_dynamic(tagger, {torch.nn.Linear}, dtype=torch.qint8)
        self.tagger = tagger.to(self.device)
        self._eager: Any = None

    def compile(self) -> None:
        """Compile the model with torch.compile (inductor, dynamic shapes, weights frozen as constants).

        1.06-1.3x faster on the 2-core CPUs measured, after a compile of 30 s to 2 min, so it pays off on large
        `analyze` runs only. It needs a C++ compiler; if compiling fails the model runs uncompiled (with a warning).
        """
        import torch
        import torch._inductor.config as inductor_config

        inductor_config.freezing = True
        self._eager = self.tagger
        self.tagger = torch.compile(self.tagger, dynamic=True)

    def _forward(self, input_ids: Any, mask: Any) -> dict[str, Any]:
        if self._eager is None:
            return self.tagger(input_ids, mask)
        try:
            return self.tagger(input_ids, mask)
        except Exception as exc:  # a failed compile must not stop the analysis
            warnings.warn(f"torch.compile failed, running uncompiled: {exc}", RuntimeWarning, stacklevel=2)
            self.tagger, self._eager = self._eager, None
            return self.tagger(input_ids, mask)

    # -- tokenising ---------------------------------------------------------------------------------------

    def pieces(self, sentences: Sequence[str]) -> tuple[list[str], list[int], list[list[int]]]:
        """Tokenise; cut sentences longer than ``max_length`` tokens at word boundaries.

        Returns (piece texts, index of the sentence each piece comes from, token ids with special tokens).
        """
        if not sentences:
            return [], [], []
        encoded = self.tokenizer(
            list(sentences), add_special_tokens=True, return_offsets_mapping=True, truncation=False,
            return_attention_mask=False, return_token_type_ids=False,
        )  # fmt: skip
        texts: list[str] = []
        owners: list[int] = []
        ids: list[list[int]] = []
        for i, token_ids in enumerate(encoded["input_ids"]):
            if len(token_ids) <= self.max_length:
                texts.append(sentences[i])
                owners.append(i)
                ids.append(token_ids)
                continue
            cuts = _cut(sentences[i], encoded["offset_mapping"][i], encoded.word_ids(i), self._room())
            again = self.tokenizer(
                cuts, add_special_tokens=True, truncation=True, max_length=self.max_length,
                return_attention_mask=False, return_token_type_ids=False,
            )  # fmt: skip
            texts.extend(cuts)
            owners.extend([i] * len(cuts))
            ids.extend(again["input_ids"])
        return texts, owners, ids

    def _room(self) -> int:
        return self.max_length - self.tokenizer.num_special_tokens_to_add()

    # -- running ------------------------------------------------------------------------------------------

    def predict_ids(self, ids: Sequence[Sequence[int]]) -> Probabilities:
        """Probabilities for tokenised pieces, in input order (batches sorted by length inside).

        Each distinct piece is run once: real reviews repeat "Love it!" and "Fast delivery" (18-27% of the
        sentences of the app-store reviews in ../shared, 2% of the Amazon ones), and a repeat costs a lookup."""
        distinct: dict[tuple[int, ...], int] = {}
        where = np.fromiter((distinct.setdefault(tuple(row), len(distinct)) for row in ids), np.int64, len(ids))
        if len(distinct) == len(ids):
            return self._predict_distinct(ids)
        out = self._predict_distinct([list(row) for row in distinct])
        return Probabilities(**{f.name: getattr(out, f.name)[where] for f in fields(out) if f.init})

    def _predict_distinct(self, ids: Sequence[Sequence[int]]) -> Probabilities:
        import torch

        n = len(ids)
        out = {
            "category": np.zeros((n, len(CATEGORIES)), np.float32),
            "category_polarity": np.zeros((n, len(CATEGORIES), len(POLARITIES)), np.float32),
            "polarity": np.zeros((n, len(POLARITIES)), np.float32),
            "emotion": np.zeros((n, len(EMOTIONS)), np.float32),
            "loyalty": np.zeros((n, len(LOYALTY_SIGNALS)), np.float32),
            "review": np.zeros(n, np.float32),
            "ekman": np.zeros((n, len(EKMAN_GROUPS)), np.float32),
        }
        # Batches of similar length (little padding), the longest first: the workers take batches in order, so the
        # small ones fill in at the end instead of one worker finishing a long batch alone (5-10% more reviews/s
        # on the 2-core machine, docs/model-experiments.md Speed).
        order = sorted(range(n), key=lambda i: len(ids[i]), reverse=True)
        batches = [order[start : start + self.batch_size] for start in range(0, n, self.batch_size)]

        def run(batch: list[int]) -> None:
            with torch.inference_mode():
                logits = self._forward(*self._tensors([ids[i] for i in batch]))
            for name, values in _probabilities(logits).items():
                out[name][batch] = values

        workers = min(self.workers, len(batches))
        if workers <= 1:
            for batch in batches:
                run(batch)
        else:
            from concurrent.futures import ThreadPoolExecutor

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                with ThreadPoolExecutor(workers, thread_name_prefix="reviewmine-tagger") as pool:
                    list(pool.map(run, batches))
            finally:
                torch.set_num_threads(threads)
        return self._reorder(out)

    def _tensors(self, rows: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        """Right-padded input ids and attention mask for one batch."""
        import torch

        width = max(len(r) for r in rows)
        input_ids = np.full((len(rows), width), self.tokenizer.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for k, row in enumerate(rows):
            input_ids[k, : len(row)] = row
            mask[k, : len(row)] = 1
        return torch.from_numpy(input_ids).to(self.device), torch.from_numpy(mask).to(self.device)

    def predict(self, sentences: Sequence[str]) -> tuple[list[str], list[int], Probabilities]:
        """(piece texts, owner sentence index per piece, probabilities) for any number of sentences."""
        texts, owners, ids = self.pieces(sentences)
        return texts, owners, self.predict_ids(ids)

    def _reorder(self, out: dict[str, np.ndarray]) -> Probabilities:
        """Columns of a model whose config lists labels in another order, put in the taxonomy's order."""
        cat, emo, loy, pol = (self._order[k] for k in ("category", "emotion", "loyalty", "polarity"))
        return Probabilities(
            category=out["category"][:, cat],
            category_polarity=out["category_polarity"][:, cat][:, :, pol],
            polarity=out["polarity"][:, pol],
            emotion=out["emotion"][:, emo],
            loyalty=out["loyalty"][:, loy],
            review=out["review"],
            ekman=out["ekman"] if self._ekman_head else None,
        )

    # -- decisions ----------------------------------------------------------------------------------------

    def decide(self, probs: Probabilities) -> Decisions:
        """Apply the model's per-label thresholds; polarities are the most probable class."""
        category = probs.category >= self._thresholds["category"]
        category_polarity = probs.category_polarity.argmax(axis=2).astype(np.int8)
        category_polarity[~category] = -1
        return Decisions(
            category=category,
            category_polarity=category_polarity,
            polarity=probs.polarity.argmax(axis=1).astype(np.int8),
            emotion=probs.emotion >= self._thresholds["emotion"],
            ekman=probs.ekman >= self._thresholds["ekman"],
            loyalty=probs.loyalty >= self._thresholds["loyalty"],
        )


def _probabilities(logits: dict[str, Any]) -> dict[str, np.ndarray]:
    """`model.logits_to_probabilities` in float32 (a bf16 model's logits are widened first), as numpy arrays."""
    from .model import logits_to_probabilities

    probabilities = logits_to_probabilities({name: value.float() for name, value in logits.items()})
    return {name: value.cpu().numpy() for name, value in probabilities.items()}


def _label_order(config: Any) -> dict[str, list[int]]:
    """For each family, the model's column index of each taxonomy label (the model must know them all)."""
    order: dict[str, list[int]] = {}
    for family, mine, theirs in (
        ("category", CATEGORIES, config.categories),
        ("polarity", POLARITIES, config.polarities),
        ("emotion", EMOTIONS, config.emotions),
        ("loyalty", LOYALTY_SIGNALS, config.loyalty),
    ):
        missing = [label for label in mine if label not in theirs]
        if missing:
            raise InputError(f"the model has no {family} label {', '.join(missing)}", where=config.model_version)
        order[family] = [list(theirs).index(label) for label in mine]
    return order


def _cut(text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None], room: int) -> list[str]:
    """Cut a long sentence into pieces of at most ``room`` tokens, at word starts where possible."""
    content = [k for k, w in enumerate(word_ids) if w is not None]
    pieces: list[str] = []
    start = 0
    while start < len(content):
        end = min(start + room, len(content))
        if end < len(content):
            cut = end
            while cut > start + 1 and word_ids[content[cut]] == word_ids[content[cut - 1]]:
                cut -= 1
            end = cut if cut > start + 1 else end
        piece = text[offsets[content[start]][0] : offsets[content[end - 1]][1]].strip()
        if piece:
            pieces.append(piece)
        start = end
    return pieces or [text]
