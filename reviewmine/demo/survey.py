"""The demo's NPS survey feed: Crustline's post-order survey, "How likely are you to recommend Crustline to a
friend?" (0-10) with an optional "What is the main reason for your score?".

Survey answers do not live on a review site: a user exports them as a file and imports them with
``reviewmine import FILE --brand Crustline --source survey --rating-scale 0-10``, which is what the demo does
(`write_survey_csv` + `import_survey`). The comments are written like the brand's reviews on the same day (the
same `Profile`, so the delivery crisis fills September's detractor comments with late, cold deliveries and
unanswered calls), shorter, and the score follows the comment's tone. About a third of the respondents leave the
comment blank; import keeps those as rating-only reviews, so the NPS counts every respondent. A separate random
stream keeps the served reviews identical with or without the survey.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compose import Composer, load_bank
from .model import Brand, DemoReview

if TYPE_CHECKING:
    from ..importing import ImportResult
    from ..store.db import Store
    from .model import DemoData

__all__ = [
    "SURVEY_BRAND",
    "SURVEY_FILE",
    "SURVEY_SCALE",
    "SURVEY_SOURCE",
    "generate_survey",
    "import_command",
    "import_survey",
    "nps_of",
    "survey_summary",
    "write_survey_csv",
]

SURVEY_BRAND = "Crustline"
SURVEY_SOURCE = "survey"
SURVEY_SCALE = "0-10"
SURVEY_FILE = "crustline-nps-survey.csv"
_DAILY = 1.6  # responses a day: a fixed share of orders answer, crisis or not
_BLANK = 0.33  # respondents who leave the comment empty
# The 0-10 score by the comment's tone (a blank comment still had a tone: the score keeps it).
_SCORES: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "positive": ((10, 9, 8, 7), (38, 36, 18, 8)),
    "mixed": ((8, 7, 6, 5, 4), (15, 30, 30, 15, 10)),
    "negative": ((6, 5, 4, 3, 2, 1, 0), (13, 15, 15, 15, 14, 12, 16)),
}
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 8, 8, 7, 6, 6, 7, 9, 10, 10, 8, 5, 2)


def generate_survey(seed: int, start: datetime, end: datetime, brand: Brand, competitors: tuple[str, ...],
                    scale: float = 1.0) -> tuple[DemoReview, ...]:  # fmt: skip
    """The survey responses of ``brand`` from ``start`` to ``end`` (exclusive), oldest first; deterministic for
    a seed and independent of the reviews' random stream."""
    from .generate import _poisson, _profile

    rng = random.Random(seed * 7919 + 21)
    composer = Composer(
        rng, load_bank(), brand=brand.name, domain=brand.domain, menu=brand.menu, item_price=brand.item_price,
        competitors=competitors, has_app=brand.app_id is not None,
    )  # fmt: skip
    out: list[DemoReview] = []
    day = start
    while day < end:
        for _ in range(_poisson(rng, _DAILY * scale)):
            when = day + timedelta(hours=rng.choices(range(24), _HOUR_WEIGHTS)[0], minutes=rng.randrange(60),
                                   seconds=rng.randrange(60))  # fmt: skip
            profile, story = _profile(brand.name, when, SURVEY_SOURCE)
            written = composer.review(profile, source=SURVEY_SOURCE)
            score = rng.choices(*_SCORES[written.tone])[0]
            blank = rng.random() < _BLANK
            out.append(DemoReview(
                id=f"R_{rng.getrandbits(80):020x}", brand=brand.name, source=SURVEY_SOURCE, target="nps-survey",
                author="", rating=score, title="", body="" if blank else written.body,
                sentences=() if blank else tuple(written.sentences), language="en", published_at=when,
                experienced_at=when, story=story.id if story else None,
            ))  # fmt: skip
        day += timedelta(days=1)
    out.sort(key=lambda r: (r.published_at, r.id))
    return tuple(out)


def write_survey_csv(data: DemoData, path: str | Path) -> Path:
    """The survey as its tool would export it: id, submitted_at (ISO 8601), score (0-10) and comment (may be
    empty); column names `reviewmine import` recognises without --map."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "submitted_at", "score", "comment"])
        for r in data.survey:
            writer.writerow([r.id, r.published_at.isoformat().replace("+00:00", "Z"), r.rating, r.body])
    return path


def import_command(path: str | Path) -> str:
    """The command a user would type for this import (the demo logs it)."""
    return f"reviewmine import {path} --brand {SURVEY_BRAND} --source {SURVEY_SOURCE} --rating-scale {SURVEY_SCALE}"


def import_survey(store: Store, path: str | Path) -> ImportResult:
    """Import the survey file as `reviewmine import ... --source survey --rating-scale 0-10` does."""
    from ..importing import import_file

    return import_file(store, path, brand=SURVEY_BRAND, source=SURVEY_SOURCE, rating_scale=SURVEY_SCALE)


def nps_of(responses: tuple[DemoReview, ...] | list[DemoReview]) -> float:
    """The true NPS of responses (promoters 9-10 minus detractors 0-6, in points); NaN for none."""
    if not responses:
        return math.nan
    promoters = sum(r.rating >= 9 for r in responses)
    detractors = sum(r.rating <= 6 for r in responses)
    return 100 * (promoters - detractors) / len(responses)


def survey_summary(data: DemoData) -> dict[str, Any]:
    """What the survey holds, for `reviewmine demo --describe`."""
    return {"brand": SURVEY_BRAND, "source": SURVEY_SOURCE, "scale": SURVEY_SCALE, "responses": len(data.survey),
            "comments": sum(bool(r.body) for r in data.survey), "file": SURVEY_FILE}  # fmt: skip
