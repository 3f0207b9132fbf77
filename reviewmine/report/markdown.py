"""The report as Markdown: the same content as the HTML minus the charts, for chat, tickets and e-mail.

Review text and names are untrusted: Markdown renderers pass raw HTML through, so ``<`` and ``>`` become
entities and the punctuation of emphasis, code, links and tables is backslash-escaped; links are written only
for http(s) URLs, percent-encoded so they cannot break out of the link syntax.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from . import _format
from ._nps import nps_markdown
from ._values import safe_url
from ._worth_render import worth_markdown
from .model import Quote, ReportModel

__all__ = ["md_escape", "render_markdown"]

_PUNCT = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: object) -> str:
    """Untrusted text as inert Markdown on one line."""
    value = " ".join(str(text).split())
    value = value.replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", value)


def _link(url: str | None, label: str) -> str:
    safe = safe_url(url)
    if not safe:
        return ""
    encoded = quote(safe, safe=":/?#@!$&'*+,;=%~").replace("(", "%28").replace(")", "%29")
    return f" · [{label}]({encoded})"


def _quote(q: Quote) -> str:
    parts = (_format.stars_text(q.stars) if q.stars is not None else "", md_escape(q.source or ""),
             _format.day(q.published_at))  # fmt: skip
    meta = " · ".join(p for p in parts if p)
    return f"> “{md_escape(q.text)}”  \n> <sub>{meta}{_link(q.url, 'read the review')}</sub>\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(model: ReportModel) -> str:
    """The report as a Markdown document."""
    m, out = model, []
    brand = md_escape(m.brand)
    out += [f"# {brand}: reputation report", "", f"*{_format.period_text(m.period)}*"]
    if m.competitors:
        out.append(f"*Compared with {', '.join(md_escape(c) for c in m.competitors)}*")
    out += ["", f"## {md_escape(m.headline.title)}", ""]
    out += [f"- {md_escape(r)}" for r in m.headline.reasons] + [""]
    out += _table(["", *(k.label for k in m.kpis)], [
        ["This period", *(_format.fmt_kpi(k) for k in m.kpis)],
        ["Vs period before", *(_format.fmt_change(k, short=True) for k in m.kpis)],
    ])  # fmt: skip

    out += ["## What happened", ""]
    if not m.risk.events:
        out += ["No week in the period stood out from the brand's usual level.", ""]
    for e in m.risk.events:
        when = f"{_format.day(e.start, False)} – {_format.day_before(e.end)}"
        out += [f"**{md_escape(e.category_name)}, {when}**: worst in the week of {_format.day(e.peak_week, False)}: "
                f"{md_escape(e.description)}.", ""]  # fmt: skip
        out += [_quote(q) for q in e.quotes]

    out += ["## Risk now, by category", ""]
    out += _table(["Category", "Score", "Level", "Negative now", "Usually"], [
        [c["name"], "–" if c["score"] is None else f"{c['score']:.0f}", c["level"],
         _format.pct(c["negative_share"]), _format.pct(c["baseline_negative_share"])]
        for c in m.risk.categories
    ])  # fmt: skip

    out += ["## What drives the rating", ""]
    ok = [i for i in m.drivers.items if i.status == "ok"]
    if ok:
        out += _table(["Driver", "Importance", "Impact (stars)", "95% range", "Mentions"], [
            [i.label, _format.pct(i.importance_share), _format.stars_signed(i.impact_stars),
             f"{_format.stars_signed(i.impact_low)} to {_format.stars_signed(i.impact_high)}", str(i.mentions)]
            for i in ok
        ])  # fmt: skip
        for i in ok[:3]:
            out += [f"**{i.label}**", ""] + [_quote(q) for q in i.quotes]
    else:
        out += [f"Not enough rated reviews in the period ({md_escape(m.drivers.status)}).", ""]

    out += nps_markdown(m.nps)  # nothing without survey data
    out += ["## How customers feel", ""]
    out += _table(["Emotion", "Share of sentences", "Period before"], [
        [e.label, _format.pct(e.share), _format.pct(e.previous_share)] for e in m.emotions
    ])  # fmt: skip
    out += _table(["Loyalty signal", "Share of reviews", "Period before"], [
        [i.label, _format.pct(i.rate, 1), _format.pct(i.previous_rate, 1)] for i in m.loyalty
    ])  # fmt: skip

    out += worth_markdown(m.worth)
    if len(m.comparison) > 1:
        out += ["## Against competitors", ""]
        out += _table(["Brand", "Risk", "Net sentiment", "Rating", "Negative reviews", "Recommend", "Top driver"], [
            [f"**{md_escape(c.brand)}**" if c.main else md_escape(c.brand),
             "–" if c.risk_score is None else f"{c.risk_score:.0f} {c.risk_level}", _format.net(c.net_sentiment),
             _format.stars_text(c.rating_stars), _format.pct(c.negative_share), _format.pct(c.recommend_rate),
             f"{c.top_driver or '–'} ({_format.stars_signed(c.top_driver_stars)})"]
            for c in m.comparison
        ])  # fmt: skip

    out += ["## Data and method", ""]
    out += _table(["Brand", "Source", "Listed", "Stored", "Coverage"], [
        [md_escape(s["brand"]), md_escape(s["source"]), "–" if s["expected"] is None else f"{s['expected']:,.0f}",
         f"{s['stored']:,}", _format.pct(s["coverage"])]
        for s in m.coverage.sources
    ])  # fmt: skip
    versions = ", ".join(md_escape(v) for v in m.coverage.model_versions) or "–"
    out += [f"{m.coverage.reviews_in_period} reviews in the period; model {versions}.", ""]
    if m.coverage.other_languages:
        out += [f"{md_escape(_format.other_languages_text(m.coverage.other_languages))}", ""]
    out += [f"- {md_escape(c)}" for c in m.caveats]
    return "\n".join(out) + "\n"
