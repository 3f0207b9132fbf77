"""The seeded generator of the demo data: three fictional UK pizza chains, six months of reviews, three planted stories.

``generate_demo(seed)`` is deterministic for a seed. The planted stories (documented in stories.md beside this file)
are kept as `Story` records, and every review keeps its sentence-level truth, so tests and the end-to-end demo
check can assert that the pipeline finds what was planted.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ..taxonomy import CATEGORIES
from .compose import Composed, Composer, Profile, load_bank
from .model import Brand, DemoData, DemoReview, Edit, Product, Reply, Sentence, Story
from .survey import SURVEY_BRAND, generate_survey

__all__ = ["BRANDS", "END", "START", "STORIES", "generate_demo"]

START = datetime(2026, 5, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive: six months, May to October 2026

BRANDS: tuple[Brand, ...] = (
    Brand(
        name="Crustline",
        slug="crustline",
        domain="crustline.example",
        business_unit_id="64a1f0c2e4b0a91d3c7e5f21",
        menu=(
            "Pepperoni Passion",
            "Texas BBQ",
            "Veggie Supreme",
            "Meatfeast",
            "Hawaiian",
            "Chicken Tikka Feast",
            "Margherita",
            "Spicy Inferno",
            "Four Cheese",
            "Garlic Mushroom",
        ),
        item_price=16.99,
        products=(
            Product("pepperoni-passion", "Pepperoni Passion", 16.99),
            Product("texas-bbq", "Texas BBQ", 17.49, markup="jsonld-list"),
            Product("veggie-supreme", "Veggie Supreme", 15.99),
            Product("chicken-tikka-feast", "Chicken Tikka Feast", 17.99),
        ),
        app_id="1584203311",
        app_name="Crustline Pizza: Order Food",
        reply_rate=0.3,
    ),
    Brand(
        name="Napoli Nest",
        slug="napolinest",
        domain="napolinest.example",
        business_unit_id="5f3c9b7a2d8e4c0019a6b4e7",
        menu=(
            "Margherita DOP",
            "Diavola",
            "Quattro Formaggi",
            "Capricciosa",
            "Marinara",
            "Salsiccia e Friarielli",
            "Prosciutto e Funghi",
            "Calzone Napoletano",
            "Nduja & Honey",
            "Ortolana",
        ),
        item_price=12.49,
        products=(
            Product("margherita-dop", "Margherita DOP", 10.99),
            Product("diavola", "Diavola", 12.99, markup="microdata"),
            Product("quattro-formaggi", "Quattro Formaggi", 13.49),
            Product("calzone-napoletano", "Calzone Napoletano", 13.99),
        ),
        app_id="1622907415",
        app_name="Napoli Nest",
        reply_rate=0.07,
    ),
    Brand(
        name="Forno Fresco",
        slug="fornofresco",
        domain="fornofresco.example",
        business_unit_id="60d2e8f14a7b3c001f9e2a58",
        menu=(
            "Truffle Mushroom",
            "Sourdough Margherita",
            "Burrata & Basil",
            "Fennel Sausage",
            "Hot Honey Pepperoni",
            "Roasted Veg & Goat's Cheese",
            "Parma Ham & Rocket",
            "Smoked Chicken & Pesto",
            "Vegan Nduja",
            "Bianca",
        ),
        item_price=13.5,
        products=(
            Product("truffle-mushroom", "Truffle Mushroom", 14.5),
            Product("hot-honey-pepperoni", "Hot Honey Pepperoni", 13.5),
            Product("burrata-and-basil", "Burrata & Basil", 15.0),
            Product("fennel-sausage", "Fennel Sausage", 13.95),
        ),
        reply_rate=0.6,
    ),
)

STORIES: tuple[Story, ...] = (
    Story(
        id="crustline-delivery-crisis",
        brand="Crustline",
        title="Delivery-delay crisis",
        description=(
            "In September 2026 Crustline's deliveries run an hour or more late, the tracker stops updating and nobody "
            "answers the phone: place & process and communication complaints jump, churn and warn phrases rise, "
            "ratings drop and review volume goes up; October is back to normal."
        ),
        start=datetime(2026, 9, 1, tzinfo=UTC),
        end=datetime(2026, 10, 1, tzinfo=UTC),
        categories=("place_process", "communication"),
        polarity="negative",
        themes=("delivery_late", "cold_on_arrival", "no_updates", "unreachable"),
        loyalty=("churn", "warn"),
    ),
    Story(
        id="napolinest-rude-staff",
        brand="Napoli Nest",
        title="Rude staff",
        description=(
            "From mid-August 2026 Napoli Nest's reviews complain far more about rude, dismissive staff (managers, "
            "drivers, counter staff); people mentions rise and most of them turn negative, warn phrases rise."
        ),
        # After 16 weeks of normal reviews: risk events compare a week with the 12 weeks before it, so a story
        # must start after a full baseline exists (one starting in week 10 could only be seen against itself).
        start=datetime(2026, 8, 17, tzinfo=UTC),
        end=END,
        categories=("people",),
        polarity="negative",
        themes=("rude",),
        loyalty=("warn",),
    ),
    Story(
        id="fornofresco-price-rise",
        brand="Forno Fresco",
        title="Price rise hurts value perception",
        description=(
            "In August 2026 Forno Fresco raises its prices by about a quarter: price mentions rise and turn mostly "
            "negative (price rise, poor value, fewer deals) while the product itself stays well liked; more mixed "
            "3-star reviews."
        ),
        start=datetime(2026, 8, 1, tzinfo=UTC),
        end=END,
        categories=("price",),
        polarity="negative",
        themes=("price_rise", "value"),
        loyalty=("churn",),
        steady=("product",),
    ),
)

# Baseline per brand: (mention weights, negative rates) per category, in CATEGORIES order.
_BASELINE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "Crustline": ((1.0, 0.6, 1.0, 0.45, 0.35), (0.22, 0.3, 0.28, 0.18, 0.35)),
    "Napoli Nest": ((1.1, 0.55, 0.7, 0.7, 0.25), (0.15, 0.25, 0.3, 0.14, 0.35)),
    "Forno Fresco": ((1.2, 0.6, 0.7, 0.5, 0.25), (0.1, 0.32, 0.25, 0.15, 0.3)),
}
_DAILY = {"Crustline": 3.3, "Napoli Nest": 3.3, "Forno Fresco": 3.0}  # mean reviews a day, before seasonality
_WEEKDAY = (0.8, 0.78, 0.85, 0.95, 1.3, 1.5, 1.28)  # Monday..Sunday: more reviews at weekends
_HOURS = tuple(range(24))
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 1, 2, 3, 3, 4, 5, 7, 7, 5, 5, 6, 8, 12, 15, 16, 14, 10, 5)
_APP_SHARE = {"Crustline": 0.33, "Napoli Nest": 0.28}
_APP_CAP = 500  # the App Store feed serves at most 10 pages x 50
_OTHER_LANGS = (("de", ("DE", "AT")), ("fr", ("FR", "BE")), ("es", ("ES",)))
_APP_THEMES = {"app_easy": 5.0, "app_crash": 5.0, "restaurant": 0.2, "restaurant_dirty": 0.2, "queue": 0.3}


def generate_demo(seed: int = 7, *, scale: float = 1.0) -> DemoData:
    """Generate the demo data set (about 1,900 reviews at ``scale=1``, and Crustline's NPS survey of about 300
    responses, `DemoData.survey`); the same seed gives the same data."""
    rng = random.Random(seed)
    bank = load_bank()
    names = [b.name for b in BRANDS]
    competitors = {name: tuple(n for n in names if n != name) for name in names}
    reviews: list[DemoReview] = []
    for brand in BRANDS:
        composer = Composer(
            rng,
            bank,
            brand=brand.name,
            domain=brand.domain,
            menu=brand.menu,
            item_price=brand.item_price,
            competitors=competitors[brand.name],
            has_app=brand.app_id is not None,
        )
        times = _timeline(rng, brand.name, scale)
        for when, source, product in _assign_sources(rng, brand, times):
            reviews.append(_review(rng, composer, brand, when, source, product))
    reviews.sort(key=lambda r: (r.published_at, r.id))
    surveyed = next(b for b in BRANDS if b.name == SURVEY_BRAND)
    survey = generate_survey(seed, START, END, surveyed, competitors[surveyed.name], scale)
    return DemoData(seed, START, END, BRANDS, competitors, STORIES, tuple(reviews), survey)


# -- when and where ---------------------------------------------------------------------------------------------
def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small daily means used here."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _timeline(rng: random.Random, brand: str, scale: float) -> list[datetime]:
    """Publication times: Poisson per day, weekly seasonality, evening peaks, more during a crisis."""
    times: list[datetime] = []
    day = START
    while day < END:
        lam = _DAILY[brand] * _WEEKDAY[day.weekday()] * scale
        if any(s.active(brand, day) and s.id.endswith("crisis") for s in STORIES):
            lam *= 1.8
        for _ in range(_poisson(rng, lam)):
            hour = rng.choices(_HOURS, _HOUR_WEIGHTS)[0]
            times.append(day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60)))
        day += timedelta(days=1)
    return times


def _assign_sources(
    rng: random.Random, brand: Brand, times: list[datetime]
) -> list[tuple[datetime, str, Product | None]]:
    """Split a brand's reviews: a few product pages of 5-20 reviews, its app's feed, the rest on Trustpilot."""
    order = list(range(len(times)))
    rng.shuffle(order)
    out: list[tuple[datetime, str, Product | None]] = []
    taken = 0
    for product in brand.products:
        size = rng.randint(5, 20)
        out.extend((times[i], "schemaorg", product) for i in order[taken : taken + size])
        taken += size
    app_share = _APP_SHARE.get(brand.name, 0.0) if brand.app_id else 0.0
    app_count = 0
    for i in order[taken:]:
        if app_count < _APP_CAP and rng.random() < app_share:
            out.append((times[i], "appstore", None))
            app_count += 1
        else:
            out.append((times[i], "trustpilot", None))
    out.sort(key=lambda item: item[0])
    return out


def _profile(brand: str, when: datetime, source: str) -> tuple[Profile, Story | None]:
    """The review mix for a brand on a day from a source, with any active story applied."""
    weights, negative = _BASELINE[brand]
    profile = Profile(dict(zip(CATEGORIES, weights, strict=True)), dict(zip(CATEGORIES, negative, strict=True)))
    active = next((s for s in STORIES if s.active(brand, when)), None)
    if active is not None:
        for category in active.categories:
            profile.weights[category] *= 3.0
            profile.negative[category] = 0.9
        profile.theme_boost = dict.fromkeys(active.themes, 6.0)
        profile.loyalty_boost = dict.fromkeys(active.loyalty, 2.5)
        for category in CATEGORIES:  # the story's complaints do not drag everything else down with them
            if category not in active.categories:
                profile.coupling[category] = 0.08 if category in active.steady else 0.25
        if active.steady:
            profile.mixed_rate = 0.3
    if source == "appstore":
        profile.theme_boost = {**_APP_THEMES, **profile.theme_boost}
    return profile, active


# -- one review -------------------------------------------------------------------------------------------------
def _review(
    rng: random.Random, composer: Composer, brand: Brand, when: datetime, source: str, product: Product | None
) -> DemoReview:
    profile, story = _profile(brand.name, when, source)
    lang, country = "en", rng.choices(("GB", "IE", "US", "AU"), (88, 6, 3, 3))[0]
    if source != "schemaorg" and rng.random() < 0.027:
        lang, countries = rng.choice(_OTHER_LANGS)
        country = rng.choice(countries)
    written = composer.review(profile, source=source, lang=lang, item=product.name if product else None)
    author = _author(rng, source)
    review = DemoReview(
        id=_review_id(rng, brand, source, when, product),
        brand=brand.name,
        source=source,
        target=_target(brand, source, product),
        author=author,
        rating=written.rating,
        title=written.title,
        body=written.body,
        sentences=tuple(written.sentences),
        language=lang,
        published_at=when,
        experienced_at=(when - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))).replace(hour=0, minute=0, second=0),
        verified=source == "trustpilot" and rng.random() < 0.45,
        likes=0 if rng.random() < 0.85 else rng.randint(1, 6),
        country=country,
        story=story.id if story else None,
        extra=_extra(rng, brand, source, when),
    )
    if source == "trustpilot":
        review = _with_reply(rng, composer, brand, review, written)
        review = _with_edit(rng, composer, review)
    return review


def _target(brand: Brand, source: str, product: Product | None) -> str:
    if source == "trustpilot":
        return brand.domain
    if source == "appstore":
        return brand.appstore_locator or ""
    assert product is not None
    return brand.product_path(product)


def _review_id(rng: random.Random, brand: Brand, source: str, when: datetime, product: Product | None) -> str:
    """Ids shaped like each source's: Trustpilot's 24-hex object ids, App Store's growing numbers."""
    if source == "trustpilot":
        return f"{int(when.timestamp()):08x}{rng.getrandbits(64):016x}"
    if source == "appstore":
        return str(11_200_000_000 + int((when - START).total_seconds()) * 4 + rng.randrange(4))
    assert product is not None
    return f"{rng.randrange(100_000_000, 999_999_999)}"


def _author(rng: random.Random, source: str) -> str:
    names = load_bank().names
    first, last = rng.choice(names["first"]), rng.choice(names["last"])
    if source == "appstore":
        style = rng.choices(("handle", "first_digits", "first_initial"), (55, 25, 20))[0]
        if style == "handle":
            return f"{rng.choice(names['handle'])}{rng.choice(('', str(rng.randint(1, 99)), '_uk'))}"
        return f"{first}{rng.randint(70, 2005)}" if style == "first_digits" else f"{first}_{last[0]}"
    if source == "schemaorg":
        return rng.choice((f"{first}{last[0]}", f"{first.lower()}{rng.randint(1, 999)}", first, f"{first} from {last}"))
    style = rng.choices(("full", "first", "initial", "upper", "handle"), (55, 20, 15, 5, 5))[0]
    return {
        "full": f"{first} {last}",
        "first": first,
        "initial": f"{first} {last[0]}.",
        "upper": f"{first} {last}".upper(),
        "handle": rng.choice(names["handle"]),
    }[style]


def _extra(rng: random.Random, brand: Brand, source: str, when: datetime) -> dict[str, object]:
    if source == "appstore":
        month = when.month - START.month
        major = "5" if brand.slug == "crustline" else "2"
        votes = 0 if rng.random() < 0.8 else rng.randint(1, 9)
        return {
            "version": f"{major}.{4 + month}.{rng.randint(0, 3)}",
            "vote_count": votes,
            "vote_sum": rng.randint(0, votes),
        }
    if source == "trustpilot":
        return {
            "source_name": rng.choices(("Organic", "AFSv2", "BasicLink"), (55, 38, 7))[0],
            "consumer_reviews": rng.choices((1, 2, 3, 5, 12), (60, 18, 10, 8, 4))[0],
        }
    return {}


def _with_reply(
    rng: random.Random, composer: Composer, brand: Brand, review: DemoReview, written: Composed
) -> DemoReview:
    """Companies answer some Trustpilot reviews, unhappy ones more often; Crustline slowly during its crisis."""
    bias = 1.3 if written.tone != "positive" else 0.8
    if rng.random() >= min(0.95, brand.reply_rate * bias):
        return review
    delay_days = rng.uniform(0.1, 2.0) if brand.reply_rate > 0.5 else rng.uniform(0.5, 6.0)
    if review.story == "crustline-delivery-crisis":
        delay_days += rng.uniform(3, 12)
    at = (review.published_at + timedelta(days=delay_days)).replace(microsecond=0)
    if at >= END:
        return review
    pleased = "positive" if review.rating >= 4 else "negative"
    return replace(review, reply=Reply(composer.reply(pleased, review.author.title()), at))


def _with_edit(rng: random.Random, composer: Composer, review: DemoReview) -> DemoReview:
    """A few unhappy reviewers come back and edit: better after a fix, worse when nothing happened."""
    if review.rating > 3 or rng.random() >= (0.1 if review.rating <= 2 else 0.05):
        return review
    at = review.published_at + timedelta(days=rng.uniform(2, 25))
    if at >= END:
        return review
    better = rng.random() < (0.55 if review.reply else 0.25)
    update: Sentence = composer.update(better)
    rating = min(5, review.rating + 2) if better else 1
    return replace(
        review,
        body=f"{review.body}\n\n{update.text}",
        rating=rating,
        sentences=(*review.sentences, update),
        edit=Edit(at.replace(microsecond=0), review.body, review.rating),
    )
