"""The import graph of wattlens: no cycles, and the faces stay on top of the library.

The graph is grimp's (the one import-linter checks in ``make lint``), with every
import counted: at module level, inside functions and under ``TYPE_CHECKING``.
A failure names the cycle as a chain of imports with their line numbers.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping

import grimp
import pytest

FACES = ("wattlens.cli", "wattlens.web", "wattlens.report")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("wattlens", cache_dir=None)


def _components(nodes: Iterable[str], edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (each one holds a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:
        # Iterative Tarjan: the graph is deep enough to matter for recursion.
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def _cycle(start: str, members: set[str], edges: Mapping[str, set[str]]) -> list[str]:
    """A shortest cycle through ``start`` inside one component: start, …, start."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges.get(node, set()) & members):
            if child == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(previous[chain[-1]])
                return [*reversed(chain), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is in no cycle")  # pragma: no cover - components have cycles


def _line(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    lines = ", ".join(f"l.{d['line_number']}" for d in details)
    return f"{importer} -> {imported} ({lines})"


def _module_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _sibling_edges(
    graph: grimp.ImportGraph, package: str
) -> tuple[dict[str, set[str]], dict[tuple[str, str], tuple[str, str]]]:
    """Imports between the children of ``package``, each child with all it contains.

    Returns the edges and, for each, one import that makes it (importer, imported).
    """
    children = graph.find_children(package)

    def child_of(module: str) -> str | None:
        return next((c for c in children if module == c or module.startswith(c + ".")), None)

    edges: dict[str, set[str]] = {}
    example: dict[tuple[str, str], tuple[str, str]] = {}
    for module in sorted(graph.modules):
        source = child_of(module)
        if source is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            target = child_of(imported)
            if target is not None and target != source:
                edges.setdefault(source, set()).add(target)
                example.setdefault((source, target), (module, imported))
    return edges, example


def test_no_import_cycles_between_modules(graph: grimp.ImportGraph) -> None:
    edges = _module_edges(graph)
    cycles = []
    for component in _components(graph.modules, edges):
        chain = _cycle(component[0], set(component), edges)
        cycles.append(
            f"{len(component)} modules: {', '.join(component)}\n    "
            + "\n    ".join(_line(graph, a, b) for a, b in itertools.pairwise(chain))
        )
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycles)


def test_no_import_cycles_between_sibling_packages(graph: grimp.ImportGraph) -> None:
    """A package's children (modules and subpackages, with what they contain) form no cycle."""
    cycles = []
    for package in sorted(m for m in graph.modules if graph.find_children(m)):
        edges, example = _sibling_edges(graph, package)
        for component in _components(graph.find_children(package), edges):
            chain = _cycle(component[0], set(component), edges)
            steps = [
                f"{a} -> {b}: " + _line(graph, *example[a, b]) for a, b in itertools.pairwise(chain)
            ]
            cycles.append(f"in {package}: " + " -> ".join(chain) + "\n    " + "\n    ".join(steps))
    assert not cycles, "cycles between sibling packages:\n  " + "\n  ".join(cycles)


def test_the_library_imports_no_face(graph: grimp.ImportGraph) -> None:
    library = {
        m
        for m in graph.modules
        if m != "wattlens.__main__" and not any(m == f or m.startswith(f + ".") for f in FACES)
    }
    wrong = [
        _line(graph, m, imported)
        for m in sorted(library)
        for imported in sorted(graph.find_modules_directly_imported_by(m))
        if any(imported == f or imported.startswith(f + ".") for f in FACES)
    ]
    assert wrong == []


def test_only_the_entry_point_imports_the_cli(graph: grimp.ImportGraph) -> None:
    importers = {
        m
        for imported in {"wattlens.cli", *graph.find_descendants("wattlens.cli")}
        for m in graph.find_modules_that_directly_import(imported)
        if not m.startswith("wattlens.cli")
    }
    assert importers == {"wattlens.__main__"}


def test_the_cycle_finder_names_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _components("abcde", edges) == [["a", "b", "c"]]
    assert _cycle("b", {"a", "b", "c"}, edges) == ["b", "c", "a", "b"]
