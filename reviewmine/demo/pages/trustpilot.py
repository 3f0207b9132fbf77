"""A Trustpilot company page, ``/review/<domain>?languages=all&sort=recency&page=N``, as the real site serves it.

The review data lives where the real page keeps it: the Next.js ``__NEXT_DATA__`` script
(``props.pageProps.reviews``, 20 per page, newest first, with ``filters.pagination`` counts) and a JSON-LD
``@graph`` with the business, its AggregateRating and the page's Reviews; the visible cards carry the same
``data-service-review-*`` attributes. Without ``languages=all`` only English reviews are listed, as on the real
site. A page past the last answers 404.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import Brand, DemoReview
from . import iso_ms, render

__all__ = ["PER_PAGE", "TrustpilotQuery", "page"]

PER_PAGE = 20
_BUILD_ID = "businessunitprofile-consumersite-2.3836.0"
_LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "français", "es": "español"}
_COUNT_WORDS = ("one", "two", "three", "four", "five")


@dataclass(frozen=True)
class TrustpilotQuery:
    """The page's query string: which page, and whether all languages are shown."""

    page: int = 1
    all_languages: bool = False
    sort: str = "recency"


def _hex_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _review_json(review: DemoReview, as_of: datetime | None) -> dict[str, Any]:
    body, rating, updated_at, reply = review.shown(as_of)
    source_name = str(review.extra.get("source_name", "Organic"))
    verified = review.verified
    return {
        "id": review.id,
        "filtered": False,
        "pending": False,
        "text": body,
        "rating": rating,
        "labels": {
            "merged": None,
            "verification": {
                "isVerified": verified,
                "createdDateTime": iso_ms(review.published_at),
                "reviewSourceName": "AFSv2" if verified else source_name if source_name != "AFSv2" else "Organic",
                "verificationSource": "invitation",
                "verificationLevel": "verified"
                if verified
                else "invited"
                if source_name == "BasicLink"
                else "not-verified",
                "hasDachExclusion": False,
            },
        },
        "title": review.title,
        "likes": review.likes,
        "source": "AFSv2" if verified else source_name if source_name != "AFSv2" else "Organic",
        "dates": {
            "experiencedDate": iso_ms(review.experienced_at),
            "publishedDate": iso_ms(review.published_at),
            "updatedDate": iso_ms(updated_at) if updated_at else None,
            "submittedDate": None,
        },
        "report": None,
        "hasUnhandledReports": False,
        "consumer": {
            "id": _hex_id("consumer", review.author, review.id),
            "displayName": review.author,
            "imageUrl": "",
            "numberOfReviews": int(review.extra.get("consumer_reviews", 1)),
            "countryCode": review.country,
            "hasImage": False,
            "isVerified": False,
        },
        "reply": {"message": reply.text, "publishedDate": iso_ms(reply.at), "updatedDate": None} if reply else None,
        "consumersReviewCountOnSameDomain": 1,
        "consumersReviewCountOnSameLocation": None,
        "productReviews": [],
        "language": review.language,
        "location": None,
    }


def _stats(reviews: list[DemoReview], as_of: datetime | None) -> tuple[dict[str, int], list[int], float]:
    languages: dict[str, int] = {}
    stars = [0, 0, 0, 0, 0]
    for review in reviews:
        languages[review.language] = languages.get(review.language, 0) + 1
        stars[review.shown(as_of)[1] - 1] += 1
    total = max(1, len(reviews))
    trust_score = round(sum((i + 1) * n for i, n in enumerate(stars)) / total, 1) if reviews else 0.0
    return languages, stars, trust_score


def _business_unit(
    brand: Brand, base_url: str, total: int, trust_score: float, replies: int, negatives: int
) -> dict[str, Any]:
    return {
        "id": brand.business_unit_id,
        "displayName": brand.name,
        "identifyingName": brand.domain,
        "numberOfReviews": total,
        "trustScore": trust_score,
        "websiteUrl": f"https://www.{brand.domain}",
        "websiteTitle": brand.domain,
        "profileImageUrl": "",
        "customHeaderUrl": "",
        "promotion": None,
        "hideCompetitorModule": False,
        "stars": round(trust_score * 2) / 2,
        "categories": [
            {
                "id": "pizza_restaurant",
                "name": "Pizza Restaurant",
                "rank": "4",
                "cardinality": "212",
                "isPrimary": True,
            },
            {
                "id": "takeaway_restaurant",
                "name": "Takeaway Restaurant",
                "rank": "9",
                "cardinality": "340",
                "isPrimary": False,
            },
        ],
        "breadcrumb": {
            "topLevelId": "restaurants_bars",
            "topLevelDisplayName": "Restaurants & Bars",
            "midLevelId": "restaurants",
            "midLevelDisplayName": "Restaurants",
            "bottomLevelId": "pizza_restaurant",
            "bottomLevelDisplayName": "Pizza Restaurant",
        },
        "isClaimed": True,
        "isClosed": False,
        "isTemporarilyClosed": False,
        "locationsCount": 0,
        "isCollectingReviews": True,
        "verification": {
            "verifiedByGoogle": False,
            "verifiedBusiness": True,
            "verifiedPaymentMethod": True,
            "verifiedUserIdentity": False,
        },
        "hasCollectedIncentivisedReviews": False,
        "consumerAlert": None,
        "consumerAlerts": [],
        "isMerged": False,
        "contactInfo": {
            "email": f"help@{brand.domain}",
            "address": "1 Demo Street",
            "city": "Leeds",
            "country": "GB",
            "phone": "",
            "zipCode": "LS1 1AA",
        },
        "activity": {
            "isUsingPaidFeatures": True,
            "hasSubscription": True,
            "isAskingForReviews": True,
            "claimedDate": "2019-03-04T10:00:00.000Z",
            "isClaimed": True,
            "previouslyClaimed": True,
            "replyBehavior": {
                "averageDaysToReply": 2.4,
                "negativeReviewsWithRepliesCount": replies,
                "replyPercentage": round(100 * replies / negatives, 2) if negatives else 0.0,
                "totalNegativeReviewsCount": negatives,
            },
        },
    }


def _json_ld(
    brand: Brand,
    page_url: str,
    base_url: str,
    shown: list[DemoReview],
    as_of: datetime | None,
    total: int,
    trust_score: float,
) -> dict[str, Any]:
    org_id = f"{base_url}/#/schema/Organization/{brand.domain}"
    reviews = []
    for review in shown:
        body, rating, _, _ = review.shown(as_of)
        reviews.append(
            {
                "@type": "Review",
                "@id": f"{base_url}/#/schema/Review/{brand.domain}/{review.id}",
                "itemReviewed": {"@id": org_id},
                "author": {
                    "@type": "Person",
                    "name": review.author,
                    "url": f"{base_url}/users/{_hex_id('consumer', review.author, review.id)}/",
                },
                "datePublished": iso_ms(review.published_at),
                "headline": review.title,
                "reviewBody": body,
                "reviewRating": {"@type": "Rating", "bestRating": "5", "worstRating": "1", "ratingValue": str(rating)},
                "publisher": {"@id": f"{base_url}/#/schema/Organization/1"},
                "inLanguage": review.language,
            }
        )
    graph: list[dict[str, Any]] = [
        {
            "@type": "Organization",
            "@id": f"{base_url}/#/schema/Organization/1",
            "name": "Trustpilot (demo replica)",
            "url": f"{base_url}/",
        },
        {
            "@type": "WebPage",
            "@id": page_url,
            "url": page_url,
            "name": f"{brand.name} Reviews",
            "about": {"@id": org_id},
            "mainEntity": {"@id": org_id},
            "inLanguage": "en-US",
        },
        {
            "@type": "LocalBusiness",
            "@id": org_id,
            "url": f"{base_url}/review/{brand.domain}",
            "sameAs": f"https://www.{brand.domain}",
            "name": brand.name,
            "aggregateRating": {
                "@type": "AggregateRating",
                "bestRating": "5",
                "worstRating": "1",
                "ratingValue": f"{trust_score:.1f}",
                "reviewCount": str(total),
            },
            "review": [{"@id": r["@id"]} for r in reviews],
        },
        *reviews,
    ]
    return {"@context": "https://schema.org", "@graph": graph}


def _dataset_ld(brand: Brand, base_url: str, stars: list[int]) -> dict[str, Any]:
    total = max(1, sum(stars))
    columns = [
        {
            "csvw:name": f"{i + 1} star" + ("s" if i else ""),
            "csvw:datatype": "integer",
            "csvw:cells": [{"csvw:value": str(n), "csvw:notes": [f"{round(100 * n / total)}%"]}],
        }
        for i, n in enumerate(stars)
    ]
    columns.append(
        {
            "csvw:name": "Total",
            "csvw:datatype": "integer",
            "csvw:cells": [{"csvw:value": str(sum(stars)), "csvw:notes": ["100%"]}],
        }
    )
    return {
        "@context": ["https://schema.org", {"csvw": "http://www.w3.org/ns/csvw#"}],
        "@graph": {
            "@type": "Dataset",
            "@id": f"{base_url}/#/schema/DataSet/{brand.domain}/1",
            "name": brand.name,
            "mainEntity": {"@type": "csvw:Table", "csvw:tableSchema": {"csvw:columns": columns}},
        },
    }


def page(
    brand: Brand,
    reviews: list[DemoReview],
    query: TrustpilotQuery,
    *,
    base_url: str,
    competitors: list[Brand],
    as_of: datetime | None = None,
) -> tuple[int, bytes]:
    """(status, HTML) of one page; ``reviews`` are the brand's Trustpilot reviews visible now, newest first."""
    languages, stars, trust_score = _stats(reviews, as_of)
    listed = reviews if query.all_languages else [r for r in reviews if r.language == "en"]
    total_pages = max(1, math.ceil(len(listed) / PER_PAGE))
    if query.page < 1 or query.page > total_pages:
        return 404, render("notfound.html.j2", what=f"page {query.page} of {brand.domain}")
    shown = listed[(query.page - 1) * PER_PAGE : query.page * PER_PAGE]
    path = f"/review/{brand.domain}"
    page_url = f"{base_url}{path}"
    params = {"languages": "all"} if query.all_languages else {}
    negatives = [r for r in reviews if r.shown(as_of)[1] <= 2]
    replied = sum(1 for r in negatives if r.shown(as_of)[3] is not None)
    relevant = sorted((r for r in listed if len(r.body) > 200), key=lambda r: (-r.shown(as_of)[1], r.id))[:3]
    page_props = {
        "pageUrl": page_url,
        "businessUnit": _business_unit(brand, base_url, len(reviews), trust_score, replied, len(negatives)),
        "reviews": [_review_json(r, as_of) for r in shown],
        "relevantReviews": [_review_json(r, as_of) for r in relevant] if query.page == 1 else [],
        "products": None,
        "filters": {
            "hasActiveFilters": False,
            "totalNumberOfReviews": len(reviews),
            "totalNumberOfFilteredReviews": len(listed),
            "pagination": {
                "currentPage": query.page,
                "perPage": PER_PAGE,
                "totalCount": len(listed),
                "totalPages": total_pages,
            },
            "selected": {
                "languages": "all" if query.all_languages else "en",
                "date": None,
                "stars": None,
                "aspects": None,
                "topics": None,
                "search": None,
                "locationId": None,
                "sort": query.sort,
                "verified": False,
                "replies": False,
            },
            "reviewStatistics": {
                "hasMultipleLanguages": len(languages) > 1,
                "reviewLanguages": [{"isoCode": "all", "reviewCount": len(reviews), "displayName": "all"}]
                + [
                    {"isoCode": code, "reviewCount": n, "displayName": _LANGUAGE_NAMES.get(code, code)}
                    for code, n in sorted(languages.items())
                ],
                "ratings": {"total": len(reviews), **dict(zip(_COUNT_WORDS, stars, strict=True))},
            },
        },
        "seoData": {"locale": "en-US", "canonicalUrl": page_url},
        "filteredReviewMetrics": None,
        "aiSummary": None,
        "showFilteredReviewMetrics": False,
        "showAdvertisement": False,
        "showProductReviews": False,
        "similarBusinessUnits": [
            {
                "businessUnitId": c.business_unit_id,
                "businessUnitDisplayName": c.name,
                "businessUnitIdentifyingName": c.domain,
                "businessUnitLogo": "",
                "numberOfReviews": None,
                "stars": None,
                "statusCode": 1,
                "trustScore": None,
                "consumerAlert": None,
            }
            for c in competitors
        ],
        "noIndex": False,
        "relevanceSortingEnabled": True,
    }
    next_data = {
        "props": {"pageProps": page_props, "__N_SSP": True},
        "page": "/review/[businessUnit]",
        "query": {
            "businessUnit": brand.domain,
            **params,
            "sort": query.sort,
            **({"page": str(query.page)} if query.page > 1 else {}),
        },
        "buildId": _BUILD_ID,
        "assetPrefix": f"{base_url}/_next",
        "runtimeConfig": {"trustpilotHost": "trustpilot.com"},
        "isFallback": False,
        "isExperimentalCompile": False,
        "gssp": True,
        "appGip": True,
        "scriptLoader": [],
    }
    cards = []
    for review in shown:
        body, rating, updated_at, reply = review.shown(as_of)
        cards.append({"review": review, "body": body, "rating": rating, "updated_at": updated_at, "reply": reply})
    link_query = "&".join(f"{k}={v}" for k, v in params.items())
    return 200, render(
        "trustpilot.html.j2",
        brand=brand,
        cards=cards,
        page=query.page,
        total_pages=total_pages,
        total=len(reviews),
        trust_score=trust_score,
        path=path,
        link_query=link_query,
        json_ld=_json_ld(brand, page_url, base_url, shown, as_of, len(reviews), trust_score),
        dataset_ld=_dataset_ld(brand, base_url, stars),
        next_data=next_data,
        iso_ms=iso_ms,
    )
