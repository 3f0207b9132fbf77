"""Imports only point down: no circles between reviewmine's modules, and no arrow up into the CLI, from the report
into the notebook API, or from the store into the NLP or the report.

Read from the source with ``ast`` (nothing is imported, so it takes milliseconds). An edge goes to the module an
import names (``from .base import Request`` -> ``reviewmine.collectors.base``; ``from .. import x`` -> the package,
or ``reviewmine.x`` when that is a module); the parent packages that Python also initialises are left out, or every
``pkg/__init__.py`` that imports its own submodules would be a circle. Circles count module-level and
``if TYPE_CHECKING:`` imports; the layering rules also count imports inside functions.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "reviewmine"
REPO = PACKAGE_DIR.parent


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``line``; ``level`` is "module", "type" (TYPE_CHECKING) or "function"."""

    source: str
    target: str
    path: str
    line: int
    level: str

    def describe(self) -> str:
        where = {"module": "", "type": ", under TYPE_CHECKING", "function": ", inside a function"}[self.level]
        return f"{self.path} imports {self.target} (line {self.line}{where})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _known(dotted: str) -> str:
    """The module an import of ``dotted`` runs: itself, or its longest existing prefix (a name in a package)."""
    modules = _modules()
    while dotted not in modules and "." in dotted:
        dotted = dotted.rsplit(".", 1)[0]
    return dotted


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, level: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import under ``node`` with where it runs; a function's imports are "function" whatever their block."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, level
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _imports(child, "function")
        elif isinstance(child, ast.If) and level == "module" and _is_type_checking(child.test):
            for statement in child.body:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), "type")
            for statement in child.orelse:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), "module")
        else:
            yield from _imports(child, level)


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = ".".join(package[: len(package) - (node.level - 1)])
        base = f"{anchor}.{base}" if base else anchor
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in _modules() else base


@cache
def import_edges() -> tuple[Edge, ...]:
    """Every import of a reviewmine module by a reviewmine module."""
    edges = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        shown = path.relative_to(REPO).as_posix()
        for node, level in _imports(tree, "module"):
            for target in _targets(module, path.name == "__init__.py", node):
                if target == "reviewmine" or target.startswith("reviewmine."):
                    edges.append(Edge(module, _known(target), shown, node.lineno, level))
    return tuple(edges)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle (first node repeated at the end) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle_in(graph, set(group)) for group in groups]


def _circle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A path from the group's first member back to itself through the group (breadth first: a shortest one)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, set()) & group):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no circle through {start}")  # a strongly connected group always has one


def _broken(rule: str, edges: list[Edge]) -> str:
    return f"{rule}:\n  " + "\n  ".join(edge.describe() for edge in edges)


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read_at_every_level() -> None:
    """A parser that found nothing would pass every rule: check edges of each kind that must be there."""
    expected = {
        ("reviewmine.collectors.base", "reviewmine.http.messages", "module"),  # from ..http.messages import
        ("reviewmine.http.settings", "reviewmine._version", "module"),  # from .._version import
        ("reviewmine.nlp.review_head", "reviewmine.nlp.model", "type"),  # under TYPE_CHECKING
        ("reviewmine.jobs.runner", "reviewmine.collectors.registry", "function"),  # inside a function
    }
    missing = expected - {(edge.source, edge.target, edge.level) for edge in import_edges()}
    assert len(_modules()) > 50
    assert not missing, f"imports the graph should hold but does not: {sorted(missing)}"


def test_find_cycles_names_the_circle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"a"}}) == [["a", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    where: dict[tuple[str, str], Edge] = {}
    for edge in import_edges():
        if edge.level != "function" and edge.source != edge.target:
            graph.setdefault(edge.source, set()).add(edge.target)
            where.setdefault((edge.source, edge.target), edge)
    circles = find_cycles(graph)
    messages = [
        " -> ".join(circle) + "\n    " + "\n    ".join(where[pair].describe() for pair in itertools.pairwise(circle))
        for circle in circles
    ]
    assert not circles, "import circles (module level and TYPE_CHECKING):\n  " + "\n  ".join(messages)


def test_the_library_never_imports_the_cli() -> None:
    upward = [
        edge
        for edge in import_edges()
        if _under(edge.target, "reviewmine.cli")
        and not _under(edge.source, "reviewmine.cli")
        and edge.source != "reviewmine.__main__"
    ]
    assert not upward, _broken("only reviewmine/cli/ and reviewmine/__main__.py may import reviewmine.cli", upward)


def test_the_report_never_imports_the_notebook_api() -> None:
    upward = [
        edge
        for edge in import_edges()
        if _under(edge.source, "reviewmine.report") and _under(edge.target, "reviewmine.workspace")
    ]
    assert not upward, _broken("reviewmine/report/ must not import reviewmine.workspace", upward)


def test_the_store_imports_neither_nlp_nor_report() -> None:
    upward = [
        edge
        for edge in import_edges()
        if _under(edge.source, "reviewmine.store")
        and (_under(edge.target, "reviewmine.nlp") or _under(edge.target, "reviewmine.report"))
    ]
    assert not upward, _broken("reviewmine/store/ must not import reviewmine.nlp or reviewmine.report", upward)
