"""A brand's product page with schema.org reviews, ``/menu/<brand>/<product>``.

Three markups, as found on real sites (../shared/fixtures/schema-org): one JSON-LD Product object with
``review`` and ``aggregateRating``; the same wrapped in a list with ``@type`` as a list (allrecipes); and
Bazaarvoice-style microdata with ``description`` instead of ``reviewBody`` (williams-sonoma). Every page also
carries a BreadcrumbList JSON-LD block that parsers must skip.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..model import Brand, DemoReview, Product
from . import iso_ms, render

__all__ = ["page"]


def _rating_count(product: Product, reviews: int) -> int:
    """Star-only ratings come on top of written reviews, so ratingCount >= reviewCount (as on real pages)."""
    return reviews + int(hashlib.sha256(product.slug.encode()).hexdigest()[:4], 16) % 40


def _product_ld(brand: Brand, product: Product, reviews: list[DemoReview], url: str, average: float) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": ["Product"] if product.markup == "jsonld-list" else "Product",
        "@id": f"{url}#product",
        "name": product.name,
        "description": f"{product.name} from {brand.name}: hand-stretched dough, baked to order.",
        "sku": f"{brand.slug.upper()}-{product.slug.upper()}",
        "brand": {"@type": "Brand", "name": brand.name},
        "image": f"{url}/image.jpg",
        "offers": {
            "@type": "Offer",
            "price": f"{product.price:.2f}",
            "priceCurrency": "GBP",
            "availability": "https://schema.org/InStock",
            "url": url,
        },
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": f"{average:.1f}",
            "bestRating": "5",
            "worstRating": "1",
            "reviewCount": str(len(reviews)),
            "ratingCount": str(_rating_count(product, len(reviews))),
        },
        "review": [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": r.author},
                "datePublished": iso_ms(r.published_at),
                "name": r.title,
                "reviewBody": r.body,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": str(r.rating),
                    "bestRating": "5",
                    "worstRating": "1",
                },
            }
            for r in reviews
        ],
    }


def page(brand: Brand, product: Product, reviews: list[DemoReview], *, base_url: str) -> bytes:
    """The HTML page; ``reviews`` are the product's reviews visible now, newest first (nobody edits them)."""
    url = f"{base_url}{brand.product_path(product)}"
    average = sum(r.rating for r in reviews) / len(reviews) if reviews else 0.0
    breadcrumb = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": brand.name, "item": f"{base_url}/menu/{brand.slug}"},
            {"@type": "ListItem", "position": 2, "name": product.name, "item": url},
        ],
    }
    product_ld = _product_ld(brand, product, reviews, url, average)
    return render(
        "product.html.j2",
        brand=brand,
        product=product,
        reviews=reviews,
        url=url,
        average=average,
        rating_count=_rating_count(product, len(reviews)),
        breadcrumb=breadcrumb,
        product_ld=None
        if product.markup == "microdata"
        else ([product_ld] if product.markup == "jsonld-list" else product_ld),
    )
