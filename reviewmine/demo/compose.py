"""Writing one review from the hand-written sentence banks (banks/*.toml), with its sentence-level truth.

A review is a handful of clue sentences (category x polarity x sub-theme templates with slots filled per
sentence), maybe a context line, a general verdict and a loyalty phrase, joined with connectors; its rating
follows its tone with noise. What shifts between brands and periods is the `Profile` the generator passes in.
"""

from __future__ import annotations

import itertools
import random
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..taxonomy import CATEGORIES
from .model import Sentence

__all__ = ["Bank", "Composed", "Composer", "Profile", "load_bank"]

_SLOT = re.compile(r"\{(\w+)\}")
_CHOICE = re.compile(r"\(([^()]*\|[^()]*)\)")  # "(a|b|c)": one of the alternatives
_SPACES = re.compile(r" {2,}")
_APP = re.compile(r"\bapps?\b", re.IGNORECASE)
_TRIES = 20
_PREFIXES = ("Honestly, ", "To be honest, ", "I have to say, ", "Genuinely, ", "Must say, ", "Overall, ")
_TAILS = (", to be honest", ", honestly", ", I have to say", " tbh", " if I'm honest")
_EXTRA = re.compile(r"^\[\+([\w,]+)\]\s*")
# Clue sentences per review: mostly short reviews, a long tail up to ~300 words.
_CLUE_COUNTS = (1, 2, 3, 4, 5, 6, 8, 10, 13, 17, 24)
_CLUE_WEIGHTS = (15, 21, 20, 15, 10, 7, 5, 4, 2, 1, 0.6)
_RATINGS = {
    "positive": ((5, 4, 3), (62, 33, 5)),
    "negative": ((1, 2, 3), (66, 25, 9)),
    "mixed": ((2, 3, 4), (20, 58, 22)),
}
_EMOJI_TONE = {"positive": (0, 6), "negative": (6, 12), "mixed": (0, 12)}
_SLOT_SIZES = {"item": 10, "item2": 9, "price": 30, "old_price": 10, "new_price": 10, "old_total": 10, "new_total": 10}
_MAX_WORDS = 300
_MIN_WORDS = 10


@dataclass(frozen=True)
class _Template:
    text: str
    categories: tuple[str, ...]

    def variants(self, fillers: dict[str, tuple[str, ...]]) -> int:
        """Roughly how many different sentences the template can produce."""
        count = 1
        for match in _CHOICE.finditer(self.text):
            count *= len(match.group(1).split("|"))
        for match in _SLOT.finditer(self.text):
            count *= len(fillers.get(match.group(1), ())) or _SLOT_SIZES.get(match.group(1), 1)
        return count


@dataclass(frozen=True)
class Bank:
    """The parsed sentence banks."""

    clues: dict[tuple[str, str], dict[str, tuple[_Template, ...]]]
    general: dict[str, tuple[str, ...]]
    loyalty: dict[str, tuple[str, ...]]
    titles: dict[str, tuple[str, ...]]
    theme_titles: dict[str, tuple[str, ...]]
    replies: dict[str, tuple[str, ...]]
    updates: dict[str, tuple[_Template, ...]]
    connectors: dict[str, tuple[str, ...]]
    fillers: dict[str, tuple[str, ...]]
    names: dict[str, tuple[str, ...]]
    other: dict[str, dict[str, Any]]  # language -> its tables


def _template(text: str, base: tuple[str, ...]) -> _Template:
    match = _EXTRA.match(text)
    if not match:
        return _Template(text, base)
    extra = tuple(c for c in match.group(1).split(",") if c not in base)
    return _Template(text[match.end() :], base + extra)


@cache
def load_bank() -> Bank:
    """Read banks/en.toml and banks/other.toml once."""
    folder = resources.files("reviewmine.demo") / "banks"
    en = tomllib.loads((folder / "en.toml").read_text(encoding="utf-8"))
    other = tomllib.loads((folder / "other.toml").read_text(encoding="utf-8"))
    clues = {
        (category, polarity): {
            theme: tuple(_template(t, (category,) if polarity else ()) for t in texts)
            for theme, texts in themes.items()
        }
        for category in CATEGORIES
        for polarity, themes in en[category].items()
    }
    titles = {k: tuple(v) for k, v in en["titles"].items() if k != "theme"}
    fillers = {k: tuple(v) for k, v in (en["fillers"] | other.pop("fillers")).items()}
    return Bank(
        clues=clues,
        general={k: tuple(v) for k, v in en["general"].items()},
        loyalty={k: tuple(v) for k, v in en["loyalty"].items()},
        titles=titles,
        theme_titles={k: tuple(v) for k, v in en["titles"]["theme"].items()},
        replies={k: tuple(v) for k, v in en["replies"].items()},
        updates={k: tuple(_template(t, ()) for t in v) for k, v in en["updates"].items()},
        connectors={k: tuple(v) for k, v in en["connectors"].items()},
        fillers=fillers,
        names={k: tuple(v) for k, v in en["names"].items()},
        other=other,
    )


@dataclass
class Profile:
    """How a brand's reviews look on one day from one source: mention weights and negative rates per category,
    sub-theme and loyalty boosts, and how strongly a negative review drags each category down."""

    weights: dict[str, float]
    negative: dict[str, float]
    theme_boost: dict[str, float] = field(default_factory=dict)
    loyalty_boost: dict[str, float] = field(default_factory=dict)
    coupling: dict[str, float] = field(default_factory=dict)  # default 0.45
    mixed_rate: float = 0.12


@dataclass
class Composed:
    """A written review before it is placed on a source."""

    sentences: list[Sentence]
    body: str
    title: str
    rating: int
    tone: str
    lead_theme: str | None


class Composer:
    """Writes reviews for one brand; all randomness comes from the generator's seeded `rng`."""

    def __init__(
        self,
        rng: random.Random,
        bank: Bank,
        *,
        brand: str,
        domain: str,
        menu: tuple[str, ...],
        item_price: float,
        competitors: tuple[str, ...],
        has_app: bool = True,
    ) -> None:
        self.rng, self.bank, self.has_app = rng, bank, has_app
        self.brand, self.domain, self.menu = brand, domain, menu
        self.item_price, self.competitors = item_price, competitors
        self._slots: dict[str, str] = {}
        self._weights: dict[int, list[float]] = {}
        self._proper = (brand, *competitors, *menu, *bank.fillers["staff"], *bank.fillers["town"])

    # -- slots ------------------------------------------------------------------------------------------------
    def _new_slots(self, item: str | None) -> None:
        """Per-review slot values that must agree across sentences (the item, old and new prices)."""
        rng = self.rng
        main = item or rng.choice(self.menu)
        old = self.item_price * rng.uniform(0.95, 1.1)
        rise = rng.uniform(1.18, 1.32)
        old_total = rng.uniform(22, 38)
        self._slots = {
            "item": main,
            "item2": rng.choice([m for m in self.menu if m != main]),
            "old_price": _money(old),
            "new_price": _money(old * rise),
            "old_total": _money(old_total),
            "new_total": _money(old_total * rise),
            "brand": self.brand,
            "domain": self.domain,
        }

    def _slot(self, name: str) -> str:
        if name in self._slots:
            return self._slots[name]
        if name == "price":
            return _money(self.rng.uniform(11, 42))
        if name == "competitor":
            return self.rng.choice(self.competitors)
        if name in ("side", "a_side"):
            side = self.rng.choice(self.bank.fillers["side"])
            plural = side.endswith("s")
            self._slots |= {
                "was": "were" if plural else "was",
                "its": "they're" if plural else "it's",
                "it": "them" if plural else "it",
            }
            return side if name == "side" else f"{'some' if plural else 'a'} {side}"
        return self.rng.choice(self.bank.fillers[name])

    def fill(self, text: str) -> str:
        """The template with its alternatives picked and slots filled, starting with a capital."""
        picked = _CHOICE.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)
        filled = _SLOT.sub(lambda m: self._slot(m.group(1)), picked)
        filled = _SPACES.sub(" ", filled).replace(" ,", ",").replace(" .", ".").strip()
        return filled[:1].upper() + filled[1:]

    def _style(self, text: str, polarity: str) -> str:
        """Small habits of real writers: a hedge in front or behind, an exclamation mark."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:
            text = rng.choice(_PREFIXES) + self._lower_first(text)
        elif roll < 0.12 and text.endswith(".") and len(text.split()) > 4:
            text = text[:-1] + rng.choice(_TAILS) + "."
        if polarity != "neutral" and text.endswith(".") and rng.random() < 0.08:
            text = text[:-1] + rng.choice(("!", "!", "!!", "!!!"))
        return text

    def _lower_first(self, text: str) -> str:
        """Lower-case the first letter after a connector, unless the sentence starts with "I" or a name."""
        if text.startswith(("I ", "I'")) or any(text.startswith(name) for name in self._proper):
            return text
        return text[:1].lower() + text[1:]

    # -- sentences --------------------------------------------------------------------------------------------
    def _clue(self, category: str, polarity: str, profile: Profile, lang: str) -> Sentence:
        if lang != "en":
            pool = self.bank.other[lang][category][polarity if polarity != "neutral" else "positive"]
            polarity = "positive" if polarity == "neutral" else polarity
            return Sentence(self._pick(pool), (category,), polarity)
        themes = self.bank.clues[(category, polarity)]
        names = [t for t in themes if self.has_app or not t.startswith("app_")]
        weights = [len(themes[t]) * profile.theme_boost.get(t, 1.0) for t in names]
        theme = self.rng.choices(names, weights)[0]
        for _ in range(_TRIES):
            template = self.rng.choices(themes[theme], self._template_weights(themes[theme]))[0]
            text = self.fill(template.text)
            if self._fits(text):
                break
        return Sentence(self._style(text, polarity), template.categories, polarity, theme=theme)

    def _fits(self, text: str) -> bool:
        """A brand without an app gets no sentences about its app."""
        return self.has_app or not _APP.search(text)

    def _pick(self, pool: tuple[str, ...] | list[str]) -> str:
        for _ in range(_TRIES):
            text = self.fill(self.rng.choice(pool))
            if self._fits(text):
                break
        return text

    def _template_weights(self, templates: tuple[_Template, ...]) -> list[float]:
        """Richer templates are picked more often, so exact repeats across 2,000 reviews stay rare."""
        key = id(templates)
        if key not in self._weights:
            self._weights[key] = [min(t.variants(self.bank.fillers), 64) ** 0.5 for t in templates]
        return self._weights[key]

    def _plain(self, pool: tuple[str, ...] | list[str], polarity: str, loyalty: str | None = None) -> Sentence:
        return Sentence(self._pick(pool), (), polarity, loyalty=loyalty)

    def _polarity(self, category: str, tone: str, profile: Profile) -> str:
        neg = profile.negative[category]
        if tone == "positive":
            p_neg = 0.25 * neg
        elif tone == "mixed":
            p_neg = neg if profile.coupling.get(category, 1.0) < 0.1 else 0.5 * neg + 0.25
        else:
            p_neg = neg + (1 - neg) * profile.coupling.get(category, 0.45)
        if self.rng.random() < 0.07:
            return "neutral"
        return "negative" if self.rng.random() < p_neg else "positive"

    def _loyalty(self, tone: str, profile: Profile, lang: str) -> Sentence | None:
        base = {
            "positive": {"recommend": 0.22, "return": 0.22},
            "mixed": {"return": 0.08, "churn": 0.08},
            "negative": {"churn": 0.24, "warn": 0.16},
        }[tone]
        for signal, p in base.items():
            if self.rng.random() < min(0.9, p * profile.loyalty_boost.get(signal, 1.0)):
                pool = self.bank.other[lang]["loyalty"][signal] if lang != "en" else self.bank.loyalty[signal]
                polarity = "positive" if signal in ("recommend", "return") else "negative"
                return self._plain(pool, polarity, loyalty=signal)
        return None

    # -- a review ---------------------------------------------------------------------------------------------
    def review(self, profile: Profile, *, source: str, lang: str = "en", item: str | None = None) -> Composed:
        """Write one review under `profile` for `source` in `lang` (``item``: the product a product page is about)."""
        rng = self.rng
        self._new_slots(item)
        weights = dict(profile.weights)
        if source == "schemaorg":
            weights["product"] *= 4
        cats = list(weights)
        lead = rng.choices(cats, [weights[c] for c in cats])[0]
        lead_pol = "negative" if rng.random() < profile.negative[lead] else "positive"
        tone = "mixed" if rng.random() < profile.mixed_rate else lead_pol
        count = rng.choices(_CLUE_COUNTS, _CLUE_WEIGHTS)[0]
        if source in ("appstore", "survey") or lang != "en":  # short: an app review, a survey comment
            count = min(count, rng.choice((1, 2, 3, 4)))
        clues = [self._clue(lead, lead_pol, profile, lang)]
        said = {lead: lead_pol}  # a reviewer does not praise and slate the same thing in one review
        for _ in range(count - 1):
            category = rng.choices(cats, [weights[c] for c in cats])[0]
            polarity = said.get(category) or self._polarity(category, tone, profile)
            if polarity != "neutral":
                said[category] = polarity
            clue = self._clue(category, polarity, profile, lang)
            if all(clue.text != c.text for c in clues):
                clues.append(clue)
        clues = self._connect(clues) if lang == "en" else clues
        said_polarities = {c.polarity for c in clues} - {"neutral"}
        if tone == "mixed" and len(said_polarities) == 1:  # it came out one-sided after all
            tone = said_polarities.pop()
        sentences = self._frame(clues, tone, profile, lang)
        rating = rng.choices(*_RATINGS[tone])[0]
        if rng.random() < 0.06:
            idx = rng.randrange(len(sentences))
            sentences[idx] = _with_emoji(sentences[idx], self._emoji(tone))
        return Composed(
            sentences, _join(sentences, rng), self._title(clues[0], tone, lang), rating, tone, clues[0].theme
        )

    def _connect(self, clues: list[Sentence]) -> list[Sentence]:
        """Prefix some follow-on sentences with a connector that fits the polarity change."""
        out = [clues[0]]
        for prev, cur in itertools.pairwise(clues):
            if self.rng.random() < 0.22 and not cur.text.startswith(_PREFIXES):
                kind = "contrast" if {prev.polarity, cur.polarity} == {"positive", "negative"} else "same"
                text = self.rng.choice(self.bank.connectors[kind]) + self._lower_first(cur.text)
                cur = Sentence(text, cur.categories, cur.polarity, cur.loyalty, cur.theme)
            out.append(cur)
        return out

    def _frame(self, clues: list[Sentence], tone: str, profile: Profile, lang: str) -> list[Sentence]:
        """Add context, verdict and loyalty sentences around the clues; keep 10..300 words."""
        rng = self.rng
        general = self.bank.other[lang]["general"] if lang != "en" else self.bank.general
        verdict_pol = "positive" if tone == "positive" else "negative"
        sentences = list(clues)
        if lang == "en" and rng.random() < 0.3:
            sentences.insert(0, self._plain(self.bank.general["context"], "neutral"))
        if rng.random() < 0.3:
            verdict = self._plain(general[verdict_pol], verdict_pol)
            sentences.insert(0 if rng.random() < 0.4 else len(sentences), verdict)
        loyalty = self._loyalty(tone, profile, lang)
        if loyalty is not None:
            sentences.append(loyalty)
        while _words(sentences) > _MAX_WORDS and len(sentences) > 2:
            sentences.pop(-2)
        while _words(sentences) < _MIN_WORDS:
            if lang == "en" and rng.random() < 0.5:
                sentences.insert(0, self._plain(self.bank.general["context"], "neutral"))
            else:
                sentences.insert(0, self._plain(general[verdict_pol], verdict_pol))
        return sentences

    def _title(self, lead: Sentence, tone: str, lang: str) -> str:
        rng = self.rng
        if lang != "en":
            return rng.choice(self.bank.other[lang]["titles"]["negative" if tone == "negative" else "positive"])
        themed = self.bank.theme_titles.get(lead.theme or "")
        if themed and tone != "mixed" and rng.random() < 0.55:
            title = rng.choice(themed)
        elif rng.random() < 0.15 and len(lead.text.split()) <= 8:
            title = lead.text.rstrip(".!")
        else:
            title = rng.choice(self.bank.titles[tone])
        if rng.random() < 0.05:
            title = f"{title} {self._emoji(tone)}"
        return title

    def _emoji(self, tone: str) -> str:
        low, high = _EMOJI_TONE[tone]
        return self.rng.choice(self.bank.fillers["emoji"][low:high])

    # -- extras the generator adds ----------------------------------------------------------------------------
    def reply(self, tone: str, reviewer: str) -> str:
        self._slots["name"] = reviewer.split(" ")[0]
        signoff = self.fill(self.rng.choice(self.bank.replies["signoff"]))
        self._slots["signoff"] = signoff
        return self.fill(self.rng.choice(self.bank.replies["positive" if tone == "positive" else "negative"]))

    def update(self, better: bool) -> Sentence:
        template = self.rng.choice(self.bank.updates["better" if better else "worse"])
        polarity = "positive" if better else "negative"
        return Sentence(self.fill(template.text), template.categories, polarity, theme="review_update")


def _money(value: float) -> str:
    """A menu-style price: £12.49, £12.99 or £13.50."""
    pounds = int(value)
    pence = min((49, 99, 50), key=lambda p: abs(pounds + p / 100 - value))
    return f"£{pounds}.{pence:02d}"


def _with_emoji(sentence: Sentence, emoji: str) -> Sentence:
    return Sentence(
        f"{sentence.text} {emoji}", sentence.categories, sentence.polarity, sentence.loyalty, sentence.theme
    )


def _words(sentences: list[Sentence]) -> int:
    return sum(len(s.text.split()) for s in sentences)


def _join(sentences: list[Sentence], rng: random.Random) -> str:
    """Sentences joined by spaces; longer reviews get paragraph breaks every few sentences."""
    if len(sentences) <= 5:
        return " ".join(s.text for s in sentences)
    parts: list[str] = []
    run = 0
    for sentence in sentences:
        if parts and run >= rng.randint(3, 5):
            parts.append("\n\n")
            run = 0
        elif parts:
            parts.append(" ")
        parts.append(sentence.text)
        run += 1
    return "".join(parts)
