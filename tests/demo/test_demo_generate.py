"""The generator: deterministic, big and varied enough, realistic in shape, and the planted stories are there."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from datetime import timedelta

import pytest

from reviewmine.demo import SOURCES, DemoData, DemoReview, generate_demo
from reviewmine.taxonomy import CATEGORIES, LOYALTY_SIGNALS, POLARITIES

SEEDS = (7, 11, 2026)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def data(request: pytest.FixtureRequest) -> DemoData:
    return generate_demo(request.param)


def _fingerprint(data: DemoData) -> list[tuple[object, ...]]:
    return [(r.id, r.source, r.published_at, r.rating, r.title, r.body, r.author) for r in data.reviews]


def test_same_seed_same_data_other_seed_other_data(demo_data: DemoData) -> None:
    assert _fingerprint(generate_demo(7)) == _fingerprint(demo_data)
    assert _fingerprint(generate_demo(8))[:50] != _fingerprint(demo_data)[:50]


def test_generation_is_fast() -> None:
    started = time.perf_counter()
    generate_demo(99)
    assert time.perf_counter() - started < 3.0  # ~0.3 s on an idle laptop core; slack for a busy CI machine


def test_counts_and_sources(data: DemoData) -> None:
    assert 1500 <= len(data.reviews) <= 3000
    counts = data.counts()
    for brand in data.brands:
        assert counts[brand.name]["trustpilot"] >= 300
        assert counts[brand.name]["schemaorg"] == sum(
            1 for r in data.reviews_for(brand.name, "schemaorg") if r.target.startswith(f"/menu/{brand.slug}/")
        )
        assert (counts[brand.name]["appstore"] > 100) == (brand.app_id is not None)
        assert counts[brand.name]["appstore"] <= 500  # the feed's 10 x 50 cap
        for product in brand.products:
            on_page = [r for r in data.reviews_for(brand.name, "schemaorg") if r.target == brand.product_path(product)]
            assert 5 <= len(on_page) <= 20
    assert {r.source for r in data.reviews} == set(SOURCES)
    assert len({(r.source, r.id) for r in data.reviews}) == len(data.reviews)
    assert data.competitors["Crustline"] == ("Napoli Nest", "Forno Fresco")


def test_reviews_are_shaped_like_real_ones(data: DemoData) -> None:
    reviews = data.reviews
    words = [len(r.body.split()) for r in reviews]
    assert min(words) >= 10 and max(words) <= 320 and statistics.median(words) < 60
    assert sum(w > 150 for w in words) >= 5  # a long tail of long reviews
    assert all(data.start <= r.published_at < data.end for r in reviews)
    assert all(r.experienced_at <= r.published_at for r in reviews)
    languages = Counter(r.language for r in reviews)
    assert set(languages) == {"en", "de", "fr", "es"}
    assert 0.015 <= 1 - languages["en"] / len(reviews) <= 0.04
    ratings = Counter(r.rating for r in reviews)
    assert set(ratings) == {1, 2, 3, 4, 5} and ratings[5] > ratings[2] and ratings[3] > 0.08 * len(reviews)
    assert 0.05 <= sum(any(ord(c) > 0x1F000 for c in r.title + r.body) for r in reviews) / len(reviews) <= 0.2
    weekday = Counter(r.published_at.weekday() for r in reviews)
    weekend, midweek = (weekday[5] + weekday[6]) / 2, sum(weekday[d] for d in range(4)) / 4
    assert weekend > 1.3 * midweek  # more reviews at weekends


def test_ratings_follow_the_text_with_noise(data: DemoData) -> None:
    def tone(review: DemoReview) -> float:
        polar = [s.polarity for s in review.sentences if s.polarity != "neutral"]
        return sum(p == "positive" for p in polar) / len(polar) if polar else 0.5

    happy = [r.rating for r in data.reviews if tone(r) == 1.0]
    unhappy = [r.rating for r in data.reviews if tone(r) == 0.0]
    assert statistics.mean(happy) > 4.2 and statistics.mean(unhappy) < 2.0
    # noise: some 5-star reviews carry a complaint, some 3-star ones are mixed
    assert any(
        r.rating == 5 and any(s.polarity == "negative" and s.categories for s in r.sentences) for r in data.reviews
    )
    assert any(r.rating == 3 and 0.2 < tone(r) < 0.8 for r in data.reviews)


def test_sentence_truth_uses_the_taxonomy(data: DemoData) -> None:
    for review in data.reviews:
        assert review.sentences
        for sentence in review.sentences:
            assert sentence.text in review.body
            assert set(sentence.categories) <= set(CATEGORIES)
            assert sentence.polarity in POLARITIES
            assert sentence.loyalty is None or sentence.loyalty in LOYALTY_SIGNALS
    frame = data.truth_frame()
    assert len(frame) == sum(len(r.sentences) for r in data.reviews)
    assert {"review_id", "brand", "published_at", "text", "categories", "polarity", "loyalty", "story"} <= set(frame)
    multi = frame[frame["categories"].map(len) > 1]
    assert len(multi) > 20  # boundary cases like "they said 30 minutes and it took 95" are multi-label


def test_text_is_varied(data: DemoData) -> None:
    sentences = [s.text for r in data.reviews for s in r.sentences]
    clues = [s.text for r in data.reviews for s in r.sentences if s.categories]
    assert len(set(sentences)) / len(sentences) > 0.55
    assert len(set(clues)) / len(clues) > 0.7
    bodies = [r.body for r in data.reviews]
    assert len(set(bodies)) > 0.99 * len(bodies)  # a few short ones may coincide, as in real data
    assert not any(ch in body for body in bodies for ch in "{}|")  # every slot and alternative was filled
    assert not any("  " in body for body in bodies)


def test_replies_and_edits(data: DemoData) -> None:
    def reply_rate(brand: str) -> float:
        reviews = data.reviews_for(brand, "trustpilot")
        return sum(r.reply is not None for r in reviews) / len(reviews)

    assert reply_rate("Forno Fresco") > 0.45 > reply_rate("Crustline") > 0.15 > reply_rate("Napoli Nest")
    assert all(r.reply is None for r in data.reviews if r.source != "trustpilot")
    edited = [r for r in data.reviews if r.edit is not None]
    assert len(edited) >= 15
    for review in edited:
        assert review.published_at < review.edit.at < data.end
        assert review.body.startswith(review.edit.original_body) and review.body != review.edit.original_body
        before, after = review.shown(review.edit.at - timedelta(seconds=1)), review.shown(None)
        assert before[0] == review.edit.original_body and before[1] == review.edit.original_rating
        assert before[2] is None and after[2] == review.edit.at
    for review in data.reviews:
        if review.reply:
            assert review.published_at < review.reply.at < data.end
            assert review.author.split(" ")[0].title() in review.reply.text


def _loyalty_rate(reviews: list[DemoReview], signal: str) -> float:
    return sum(any(s.loyalty == signal for s in r.sentences) for r in reviews) / len(reviews)


def test_planted_stories_are_in_the_data(data: DemoData) -> None:
    stories = {story.id: story for story in data.stories}
    assert set(stories) == {"crustline-delivery-crisis", "napolinest-rude-staff", "fornofresco-price-rise"}
    for story in data.stories:
        brand_reviews = data.reviews_for(story.brand)
        before = [r for r in brand_reviews if r.published_at < story.start]
        during = [r for r in brand_reviews if story.start <= r.published_at < story.end]
        assert all(r.story == story.id for r in during) and not any(r.story for r in before)
        for category in story.categories:
            base = data.polarity_share(story.brand, category, data.start, story.start)
            hit = data.polarity_share(story.brand, category, story.start, story.end)
            assert hit > base + 0.25 and hit > 0.55, (story.id, category, base, hit)
        for category in story.steady:
            base = data.polarity_share(story.brand, category, data.start, story.start)
            assert data.polarity_share(story.brand, category, story.start, story.end) < base + 0.08
        assert statistics.mean(r.rating for r in during) < statistics.mean(r.rating for r in before) - 0.3
        for signal in story.loyalty:
            assert _loyalty_rate(during, signal) > 1.5 * _loyalty_rate(before, signal), (story.id, signal)
        themes = Counter(s.theme for r in during for s in r.sentences)
        base_themes = Counter(s.theme for r in before for s in r.sentences)
        main = story.themes[0]
        assert themes[main] / len(during) > 3 * base_themes[main] / len(before)
    # the other brands' deliveries are not in crisis that month
    crisis = stories["crustline-delivery-crisis"]
    crustline = data.polarity_share("Crustline", "place_process", crisis.start, crisis.end)
    for brand in ("Napoli Nest", "Forno Fresco"):
        share = data.polarity_share(brand, "place_process", crisis.start, crisis.end)
        assert share < crustline - 0.2, (brand, share, crustline)


def test_crisis_month_is_louder_and_october_recovers(data: DemoData) -> None:
    crisis = data.story("crustline-delivery-crisis")
    by_month = Counter(r.published_at.month for r in data.reviews_for("Crustline"))
    assert by_month[9] > 1.3 * statistics.mean(by_month[m] for m in (5, 6, 7, 8))
    october = data.polarity_share("Crustline", "place_process", crisis.end, data.end)
    assert october < data.polarity_share("Crustline", "place_process", crisis.start, crisis.end) - 0.2
