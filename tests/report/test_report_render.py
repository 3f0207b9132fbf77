"""HTML and Markdown rendering: self-contained, escaped everywhere, fast enough."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from _report_data import BAD_URL, HOSTILE, SPIKE, hostile

from reviewmine.demo.database import DemoDb
from reviewmine.report import build_report, render, render_html, render_markdown
from reviewmine.report.charts import figure_svg
from reviewmine.report.markdown import md_escape
from reviewmine.report.model import ReportModel


class _Page(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def model() -> ReportModel:
    return build_report(hostile(), SPIKE.brand, vs=["Brand 00"], period="12w", resamples=30)


@pytest.fixture(scope="module")
def page(model: ReportModel) -> tuple[str, _Page]:
    html = render_html(model)
    parser = _Page()
    parser.feed(html)
    return html, parser


def test_html_is_self_contained(page: tuple[str, _Page]) -> None:
    html, parsed = page
    names = {tag for tag, _ in parsed.tags}
    assert not names & {"script", "link", "iframe", "object", "embed", "img", "base", "form"}
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            reference = name in ("src", "srcset", "data", "poster", "xlink:href") or (name == "href" and tag != "a")
            if reference and not (value or "").startswith("#"):  # SVG <use> of a marker in the same page is fine
                pytest.fail(f"external or embedded reference {tag} {name}={value!r}")
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids)), "element ids collide between charts"
    assert "@import" not in html and "@font-face" not in html
    assert not re.findall(r"url\((?!#)", html)  # only references inside the page (SVG clip paths)
    csp = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0] or "")
    assert html.count("<svg") >= 6  # trend, categories, risk, drivers, quadrant, emotions, loyalty


def test_links_are_http_only_and_do_not_leak_the_referrer(page: tuple[str, _Page]) -> None:
    links = [a for t, a in page[1].tags if t == "a"]
    assert links
    for attrs in links:
        assert (attrs["href"] or "").startswith("https://synthetic.example/")
        assert set((attrs.get("rel") or "").split()) >= {"noopener", "noreferrer"}
    assert BAD_URL not in page[0]


def test_review_text_is_escaped_text_not_markup(page: tuple[str, _Page]) -> None:
    html, parsed = page
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert f"“{HOSTILE}”" in "".join(parsed.text)  # shown verbatim as text
    assert "&lt;script&gt;" in html


def test_brand_names_are_escaped_in_page_and_charts() -> None:
    data = hostile()
    sentences = data.sentences.assign(brand=data.sentences["brand"].astype(str).replace("Brand 02", "<b>Evil & Co</b>"))
    reviews = data.reviews.assign(brand=data.reviews["brand"].astype(str).replace("Brand 02", "<b>Evil & Co</b>"))
    model = build_report({"sentences": sentences, "reviews": reviews}, "<b>Evil & Co</b>", period="8w", resamples=20)
    html = render_html(model)
    assert "<b>Evil" not in html and "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in html
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        assert "<b>" not in svg
    markdown = render_markdown(model)
    assert "<b>" not in markdown and "&lt;b&gt;Evil & Co&lt;/b&gt;" in markdown


def test_svg_text_is_escaped_and_never_parsed_as_math() -> None:
    import pandas as pd

    from reviewmine import plots

    scores = pd.DataFrame(
        {"brand": "x", "category": ["</text><script>alert(1)</script>", "$x^2$"], "score": [10.0, 70.0]}
    )
    svg = figure_svg(plots.risk(scores), "t", 'label " <x>')
    assert "<script" not in svg and "&lt;/text&gt;&lt;script&gt;" in svg
    assert "$x^2$" in svg  # kept as typed, not typeset
    assert svg.startswith("<svg") and 'aria-label="label &quot; &lt;x&gt;"' in svg


def test_markdown_is_inert(model: ReportModel) -> None:
    text = render_markdown(model)
    assert "<script" not in text and "<img" not in text
    assert "javascript:" not in text.replace("\\](javascript:alert(2))", "")  # only inside escaped review text
    assert r"\[click\](javascript:alert(2)) \| \*bold\*" in text
    for url in re.findall(r"(?<!\\)\]\(([^)]*)\)", text):  # real links, not an escaped \] in review text
        assert url.startswith("https://synthetic.example/")
    assert text.startswith("# Brand 01: reputation report")
    for heading in ("## What happened", "## What drives the rating", "## How customers feel", "## Data and method"):
        assert heading in text
    assert md_escape("a|b*c_[d]`e`<f>") == r"a\|b\*c\_\[d\]\`e\`&lt;f&gt;"


def test_render_picks_the_format(model: ReportModel) -> None:
    assert render(model, "json").lstrip().startswith("{")
    assert render(model, "md").startswith("#")
    with pytest.raises(Exception, match="unknown format"):
        render(model, "pdf")


def test_one_brand_and_two_competitors_render_in_seconds(demo_db: DemoDb) -> None:
    import reviewmine

    with reviewmine.open(demo_db.path) as db:
        started = time.perf_counter()
        model = build_report(db, "Crustline", vs=["Napoli Nest", "Forno Fresco"], period="90d")
        html = render_html(model)
        elapsed = time.perf_counter() - started
    assert model.coverage.reviews_in_period > 300 and len(html) < 400_000
    assert elapsed < 20, f"report took {elapsed:.1f}s"  # ~4 s on the 2-core development machine


def test_a_brand_with_little_data_still_renders_and_says_so() -> None:
    from reviewmine.testing.synthetic import synthetic_brands

    tiny = synthetic_brands(1, weeks=3, reviews_per_week=4, seed=5)
    model = build_report(tiny, "Brand 00", period="30d", resamples=10)
    assert model.risk.score is None and model.headline.level == "unknown"
    assert model.drivers.status == "insufficient reviews"
    assert any("Too few reviews" in c for c in model.caveats) and any(
        "drivers not estimated" in c for c in model.caveats
    )
    html = render_html(model)
    assert "risk not scored" in html and "Not enough rated reviews" in html
    assert "<svg" not in render_html(model, charts=False)
    assert render_markdown(model).count("## ") >= 5
