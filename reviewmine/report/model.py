"""The report model: everything a report shows, as plain data (str, float, int, None, lists, dataclasses).

HTML, Markdown and JSON are all rendered from it, so the JSON (``to_json``) is the full report in machine-readable
form with stable keys (``SCHEMA`` names its version; keys are only ever added within a version). Shares are on
0..1, net sentiment on -1..1, ratings in stars on 1..5, timestamps ISO 8601 UTC strings; None where unknown.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "MIN_CHANGE_BASE",
    "SCHEMA",
    "Comparison",
    "Coverage",
    "DriverItem",
    "Drivers",
    "EmotionItem",
    "Event",
    "FixItem",
    "Headline",
    "Kpi",
    "LoyaltyItem",
    "NpsBlock",
    "NpsDriver",
    "Quote",
    "ReportModel",
    "Risk",
    "TrendBucket",
    "Worth",
    "WorthRate",
]

SCHEMA = "reviewmine.report/1"
MIN_CHANGE_BASE = 20
"""Fewest reviews in the period before for a change on it to be shown as a change (a percentage for counts,
points or stars otherwise). Below it both values are shown ("731 vs 4 in the period before") and the KPI's
``change_note`` says why; ``change_pct`` is null. docs/report.md."""


@dataclass
class Quote:
    """A sentence quoted from a review; ``url`` links to the review at its source (None if it has none)."""

    text: str
    review_key: str
    url: str | None
    source: str | None
    published_at: str | None
    stars: float | None
    why: str


@dataclass
class Headline:
    """Risk level and why, in plain words: ``title`` one line, ``reasons`` short sentences, most important first."""

    level: str
    score: float | None
    colour: str
    title: str
    reasons: list[str]


@dataclass
class Kpi:
    """A headline number for the period, the same number for the period before, and the change."""

    key: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    previous: float | None
    change: float | None
    unit: str  # "count", "share", "net", "stars"
    good_when: str  # "up", "down" or "neither": which direction of change is good news
    previous_reviews: int | None = None  # reviews in the period before: the base every change stands on
    change_pct: float | None = None  # counts only: change / previous x 100; null below MIN_CHANGE_BASE
    change_note: str | None = None  # why the change is not shown as one (null when it is)


@dataclass
class TrendBucket:
    """What one point of the trend charts spans (week, month or quarter), chosen from the brand's review volume
    (``report._trend.choose_bucket``): ``reviews_per_bucket`` is the period's average, ``aim`` the target."""

    unit: str
    days: float
    reviews_per_bucket: float
    aim: int


@dataclass
class Event:
    """An episode: consecutive weeks (gaps of at most one week) in which complaints about a category, or its
    volume, rose significantly above the brand's own baseline. ``start``/``end`` span its weeks; the numbers
    (``kind`` ... ``q_value``) are those of its strongest test, in week ``peak_week``."""

    category: str
    category_name: str
    start: str
    end: str
    weeks: int
    alerts: int
    peak_week: str
    kind: str
    description: str
    size: float | None
    unit: str
    value: float | None
    baseline: float | None
    reviews: int
    q_value: float | None
    quotes: list[Quote]


@dataclass
class Risk:
    """The current risk window's scores ("all" and per category) and the risk events inside the period."""

    score: float | None
    level: str
    enough_data: bool
    window_start: str | None
    window_end: str | None
    components: dict[str, float | None]  # each on 0..1
    points: dict[str, float | None]  # each component's part of the score (weight x component x 100)
    severity: dict[str, float | None]
    categories: list[dict[str, Any]]
    events: list[Event]
    events_total: int  # alerts (significant tests) in the period
    episodes_total: int


@dataclass
class DriverItem:
    """One driver feature: praise or complaints about a category, its importance and impact with 95% intervals."""

    feature: str
    category: str
    sign: str
    label: str
    status: str
    mentions: int
    importance_share: float | None
    importance: float | None
    importance_low: float | None
    importance_high: float | None
    impact_stars: float | None
    impact_low: float | None
    impact_high: float | None
    with_without_stars: float | None
    quotes: list[Quote]


@dataclass
class Drivers:
    """What moves the rating in the period (other features held fixed), and where to act (quadrant)."""

    target: str
    status: str
    reviews: int
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    items: list[DriverItem]
    quadrant: list[dict[str, Any]]


@dataclass
class EmotionItem:
    """Share of the brand's sentences in the period showing any of ``emotions``, with the previous period's."""

    key: str
    label: str
    emotions: list[str]
    count: int
    sentences: int
    share: float | None
    share_low: float | None
    share_high: float | None
    previous_share: float | None


@dataclass
class LoyaltyItem:
    """Share of the brand's reviews in the period carrying a loyalty signal, with the previous period's."""

    signal: str
    label: str
    count: int
    reviews: int
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    previous_rate: float | None


@dataclass
class Comparison:
    """One brand's row in the competitor table (the report's brand first)."""

    brand: str
    main: bool
    reviews: int
    risk_score: float | None
    risk_level: str
    net_sentiment: float | None
    rating_stars: float | None
    negative_share: float | None
    recommend_rate: float | None
    churn_rate: float | None
    top_driver: str | None
    top_driver_stars: float | None


@dataclass
class Coverage:
    """Where the data came from and how complete it is."""

    sources: list[dict[str, Any]]
    reviews_in_period: int
    reviews_tagged: int
    sentences_in_period: int
    first_review: str | None
    last_review: str | None
    model_versions: list[str]
    # reviews in the period the model does not read (by language code, most first), left out of every figure;
    # null when the report was given no analysis results to tell
    other_languages: dict[str, int] | None = None


@dataclass
class NpsDriver:
    """A comment feature: ``impact`` is NPS points with it, other features of its family held fixed (95% range);
    ``nps_with`` / ``nps_without`` the NPS of responses with and without it; ``importance_share`` its share of
    its family's (categories' or emotions') explained variance."""

    feature: str
    family: str
    label: str
    mentions: int
    importance: float | None
    importance_share: float | None
    impact: float | None
    impact_low: float | None
    impact_high: float | None
    nps_with: float | None
    nps_without: float | None
    quotes: list[Quote]


@dataclass
class NpsBlock:
    """The brand's NPS in the period (points on −100..100, None below ``min_responses``), the period before and
    the change (``change_note`` says why it is not shown), per source, and what in the comments drives it."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    low: float | None
    high: float | None
    status: str
    min_responses: int
    previous_responses: int
    previous_nps: float | None
    change: float | None
    change_low: float | None
    change_high: float | None
    change_note: str | None
    segments: list[dict[str, Any]] = field(default_factory=list)
    drivers_status: str = "no data"
    drivers_responses: int = 0
    drivers: list[NpsDriver] = field(default_factory=list)


@dataclass
class WorthRate(LoyaltyItem):
    """Share of the brand's reviews with a loyalty signal, this period and the period before (with that
    period's number of reviews, which says whether the change can be read)."""

    previous_reviews: int


@dataclass
class FixItem:
    """A clue category ranked by the at-risk customers (value) associated with its complaints above a reference:
    the brand's usual level or the best competitor's. ``effect`` is the added probability that a review is at
    risk when it complains about the category, other praise and complaints held fixed."""

    rank: int
    category: str
    name: str
    complaint_reviews: int
    complaint_share: float | None
    usual_share: float | None
    best_competitor: str | None
    best_share: float | None
    effect: float | None
    effect_low: float | None
    effect_high: float | None
    at_risk_complaining: int
    customers_complaining: dict[str, float | None]  # value, low, high
    value_complaining: dict[str, float | None] | None
    fewer_vs_usual: dict[str, float | None]
    value_vs_usual: dict[str, float | None] | None
    fewer_vs_best: dict[str, float | None]
    value_vs_best: dict[str, float | None] | None


@dataclass
class Worth:
    """The section's data; money fields are null without a CLV (``money`` false)."""

    money: bool
    currency: str | None
    clv: float | None
    customers_per_review: float
    reviews: int
    rates: list[WorthRate]
    at_risk: dict[str, Any]
    fix: list[FixItem]
    drivers: list[dict[str, Any]]
    assumptions: list[str]
    tag_quality: dict[str, Any] | None
    status: str = "ok"
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportModel:
    """The whole report; see the module docstring for units. Build it with `reviewmine.report.build_report`."""

    brand: str
    competitors: list[str]
    generated_at: str
    period: dict[str, Any]
    headline: Headline
    kpis: list[Kpi]
    risk: Risk
    trend: list[dict[str, Any]]
    trend_bucket: TrendBucket
    drivers: Drivers
    emotions: list[EmotionItem]
    ekman: list[dict[str, Any]]
    loyalty: list[LoyaltyItem]
    comparison: list[Comparison]
    coverage: Coverage
    nps: NpsBlock | None = None  # survey NPS (report/_nps.py); null where the brand has no 0-10 survey responses
    worth: Worth | None = None  # "What it is worth" (report/worth.py): loyalty rates, value at risk, what to fix
    caveats: list[str] = field(default_factory=list)
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready nested dicts and lists."""
        return asdict(self)
