"""The line finder behind job-file errors: tomllib gives no line numbers, so the key's line is found in the text."""

from __future__ import annotations

import tomllib

import pytest

from reviewmine.jobs._toml_lines import KeyPath, TomlLines, format_key_path

TEXT = """\
# a job
job_kind = "demo"
[job]
name = "nightly"

[[brands]]
name = "Acme"
  [[ brands.sources ]]   # spaces and a comment
  source = "trustpilot"
  [[brands.sources]]
  source = "steam"
  "locator" = "1"

[[brands]]
name = "Rival"
sources = [{ source = "steam", locator = "2" }]

[[brands]]
name = "Third"
  [[brands.sources]]
  source = "appstore"
  delay = 1

[[alerts]]
min_score = 60
brands = [
  "Acme",
]
job.name = "dotted"
"""


def _line(marker: str, occurrence: int = 0) -> int:
    return [number for number, line in enumerate(TEXT.splitlines(), 1) if marker in line][occurrence]


@pytest.mark.parametrize(
    ("path", "marker", "occurrence"),
    [
        (("job_kind",), "job_kind", 0),  # a key of the root, before any header
        (("job",), "[job]", 0),
        (("job", "name"), 'name = "nightly"', 0),
        (("brands", 0), "[[brands]]", 0),
        (("brands", 2), "[[brands]]", 2),
        (("brands", 1, "name"), 'name = "Rival"', 0),
        (("brands", 0, "sources", 0), "brands.sources", 0),
        (("brands", 0, "sources", 1, "source"), 'source = "steam"', 0),
        (("brands", 0, "sources", 1, "locator"), '"locator" = "1"', 0),  # a quoted key
        (("brands", 2, "sources", 0), "brands.sources", 2),  # counted within the third brand only
        (("brands", 2, "sources", 0, "delay"), "delay = 1", 0),
        (("brands", 1, "sources", 0, "locator"), "sources = [{", 0),  # inline: the line of the key holding it
        (("alerts", 0, "min_score"), "min_score", 0),
        (("alerts", 0, "brands", 0), "brands = [", 0),  # an element of a multi-line array: where the key is
    ],
)
def test_line_of_finds_headers_and_keys(path: KeyPath, marker: str, occurrence: int) -> None:
    assert TomlLines(TEXT).line_of(path) == _line(marker, occurrence)


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("job", "output"),  # not written
        ("brands", 3),  # no fourth [[brands]]
        ("brands", 0, "delay"),  # `delay` is written, but in another table
        ("alerts", 0, "job", "name"),  # dotted keys are not followed
    ],
)
def test_line_of_answers_none_where_the_text_does_not_show_it(path: KeyPath) -> None:
    assert TomlLines(TEXT).line_of(path) is None


def test_sample_is_valid_toml_and_paths_read_like_toml() -> None:
    assert tomllib.loads(TEXT)["brands"][1]["sources"][0]["locator"] == "2"
    assert format_key_path(("brands", 1, "sources", 0, "max_pages")) == "brands[1].sources[0].max_pages"
    assert format_key_path(("job",)) == "job" and format_key_path(()) == ""
