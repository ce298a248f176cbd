"""The shape of core's import graph, read by grimp: no module of ``queuectl_core`` imports
itself back through others (every import counts: lazy ones in functions and those only
for type checking too)."""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "queuectl_core"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE)


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_core_has_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    described = [
        " -> ".join(graph.find_shortest_chain(importer=group[0], imported=group[-1]) or group)
        for group in cycles
    ]
    assert cycles == [], "\n".join(described)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]


def depends_on(graph: grimp.ImportGraph, module: str, prefix: str) -> list[str]:
    """The modules under ``prefix`` that ``module`` imports, directly or not."""
    return sorted(m for m in graph.find_upstream_modules(module) if m.startswith(prefix))


@pytest.mark.parametrize(
    "module",
    ["queuectl_core.worker.loop", "queuectl_core.worker.supervisor", "queuectl_core.dispatch"],
)
def test_the_worker_runtime_imports_no_cli(graph: grimp.ImportGraph, module: str) -> None:
    assert depends_on(graph, module, "queuectl_core.cli") == []


def test_the_plugin_kit_imports_neither_cli_nor_worker(graph: grimp.ImportGraph) -> None:
    kit = sorted(m for m in graph.modules if m.startswith("queuectl_core.pluginkit."))
    assert kit, "no pluginkit modules found"
    for module in kit:
        assert depends_on(graph, module, "queuectl_core.cli") == [], module
        assert depends_on(graph, module, "queuectl_core.worker") == [], module
