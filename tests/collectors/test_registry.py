"""The source registry: built-ins, third-party plug-ins found through a real (temporary) distribution's entry
points, and plug-ins that are broken or clash with a built-in name."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from reviewmine.collectors import registry
from reviewmine.collectors.registry import (
    BUILTIN_SOURCES,
    ENTRY_POINT_GROUP,
    available_sources,
    get_source,
    make_collector,
)
from reviewmine.errors import InputError

PLUGIN = """
from reviewmine.collectors.base import Collector, ParsedPage, Request


class ForumCollector(Collector):
    name = "forum"
    locator_format = "<thread id>"
    example = "42"
    description = "A test forum."
    default_base_url = "https://forum.example"

    def start_cursor(self):
        return {"page": 1}

    def request_for(self, cursor):
        return Request(f"{self.base_url}/t/{self.locator}?page={cursor['page']}")

    def parse(self, response):
        return ParsedPage(reviews=[])

    def next_cursor(self, cursor, page):
        return None


class NotACollector:
    name = "notone"
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution on sys.path that declares good, broken and clashing sources."""
    (tmp_path / "rm_test_plugin.py").write_text(PLUGIN, encoding="utf-8")
    dist = tmp_path / "rm_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rm-test-plugin\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""\
            [{ENTRY_POINT_GROUP}]
            forum = rm_test_plugin:ForumCollector
            missing = rm_test_plugin_nowhere:Collector
            notone = rm_test_plugin:NotACollector
            steam = rm_test_plugin:ForumCollector
            trustpilot = reviewmine.collectors.trustpilot:TrustpilotCollector
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("rm_test_plugin", None)


def test_builtins_load_without_installed_metadata() -> None:
    sources = available_sources()
    assert list(sources)[: len(BUILTIN_SOURCES)] == list(BUILTIN_SOURCES)
    for name, cls in sources.items():
        assert cls.name == name
    assert get_source("Steam") is sources["steam"]


def test_builtins_are_declared_as_entry_points_in_pyproject() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert declared == BUILTIN_SOURCES


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(InputError) as info:
        get_source("yelp")
    for name in BUILTIN_SOURCES:
        assert name in str(info.value)


def test_plugin_is_found_and_broken_ones_only_warn(plugins: Path) -> None:
    with pytest.warns(UserWarning) as caught:
        sources = available_sources()
    assert sources["forum"].__module__ == "rm_test_plugin"
    assert "missing" not in sources and "notone" not in sources
    assert sources["steam"].__module__ == "reviewmine.collectors.steam"  # a built-in name cannot be taken over
    messages = " | ".join(str(w.message) for w in caught)
    assert "'missing'" in messages and "'notone'" in messages and "'steam'" in messages
    assert "trustpilot" not in messages  # the built-ins' own declaration (as in an installed reviewmine) is fine
    with pytest.warns(UserWarning, match="'steam'"):
        forum = get_source("forum")("42", brand="b")
    assert forum.request_for(forum.start_cursor()).url == "https://forum.example/t/42?page=1"


def test_asking_for_a_broken_plugin_is_an_input_error(plugins: Path) -> None:
    with pytest.warns(UserWarning), pytest.raises(InputError, match="cannot be loaded"):
        get_source("missing")
    with pytest.warns(UserWarning), pytest.raises(InputError, match="not a Collector subclass"):
        get_source("notone")


def test_registry_module_imports_no_source_module_up_front() -> None:
    import subprocess

    code = (
        "import sys, reviewmine.collectors.registry as r; "
        "print(any(m.startswith('reviewmine.collectors.') and m.rsplit('.', 1)[1] in r.BUILTIN_SOURCES "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert registry.ENTRY_POINT_GROUP == "reviewmine.sources"


def test_make_collector_paces_only_the_collector_it_makes() -> None:
    paced = make_collector("steam", "1346200", "Game", delay=0.25)
    assert paced.min_delay == 0.25
    assert get_source("steam").min_delay == 1.5  # the class keeps the source's own pace
    assert make_collector("steam", "1346200", "Game").min_delay == 1.5
    with pytest.raises(InputError, match=r"^delay: "):
        make_collector("steam", "1346200", "Game", delay=-1)


def test_make_collector_takes_the_base_url_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEWMINE_STEAM_BASE_URL", "http://127.0.0.1:8/mirror/")
    assert make_collector("steam", "1346200", "G").base_url == "http://127.0.0.1:8/mirror"
    assert make_collector("steam", "1346200", "G", "http://127.0.0.1:9/").base_url == "http://127.0.0.1:9"
    with pytest.raises(InputError, match=r"^--base-url: only http and https"):
        make_collector("steam", "1346200", "G", "ftp://mirror", base_url_where="--base-url")
    monkeypatch.setenv("REVIEWMINE_STEAM_BASE_URL", "ftp://mirror")  # checked for scheduled jobs too
    with pytest.raises(InputError, match=r"^REVIEWMINE_STEAM_BASE_URL: only http and https"):
        make_collector("steam", "1346200", "G")
    monkeypatch.delenv("REVIEWMINE_STEAM_BASE_URL")
    assert make_collector("steam", "1346200", "G").base_url == "https://store.steampowered.com"
