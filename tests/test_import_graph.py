"""The import graph of marketplace_spiders/ and analysis/ has no cycle, and classify/ imports nothing of storage/.

The graph is built with ``ast`` from the source files, every ``import`` counted wherever it is written (a
function-level import is how the old cycle storage.database → classify.history → storage.database hid).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sample_files import ROOT

PACKAGES = ("marketplace_spiders", "analysis")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules ``module`` imports (``from pkg import name`` counts as pkg.name when that is a module)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {t for t in targets if t in known and t != module}


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imports(module, path, known) for module, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_of_the_packages_is_acyclic() -> None:
    graph = import_graph()
    assert "marketplace_spiders.storage.database" in graph and "analysis.report" in graph  # the graph is real
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_a_function_level_import_closing_a_loop_is_found_as_a_cycle() -> None:
    """The detector sees the shape the old storage.database ↔ classify.history cycle had."""
    graph = {"storage.database": {"classify.history"}, "classify.history": {"storage.database"}, "sql": set()}
    assert find_cycle(graph) == ["classify.history", "storage.database", "classify.history"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_are_edges(tmp_path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from marketplace_spiders.storage.database import Database\n", "utf-8")
    known = {"pkg.m": source, "marketplace_spiders.storage.database": source}
    assert _imports("pkg.m", source, known) == {"marketplace_spiders.storage.database"}


def test_classify_imports_nothing_of_storage() -> None:
    graph = import_graph()
    offending = sorted(f"{m} imports {t}" for m, targets in graph.items()
                       if m.startswith("marketplace_spiders.classify")
                       for t in targets if t.startswith("marketplace_spiders.storage"))
    assert offending == []
