"""Imports run one way: core at the bottom, domains above it, the entry points on top."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# Nothing imports these: the staff pages, the API, the feeds, the scheduled jobs, the demo, the
# privacy export and erasure, and the modules directly under app/ (main, cli, models, checkup).
TOP = {"admin", "api", "feeds", "jobs", "demo", "site", "privacy"}


def _package(path: Path) -> str:
    """The top-level name under app/ a file belongs to (a module directly under app/ is its own)."""
    parts = path.relative_to(APP).with_suffix("").parts
    return parts[0]


def _imported(tree: ast.AST) -> list[str]:
    """Every `app.*` module a file imports, at the top or inside a function."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app":
                names += [f"app.{alias.name}" for alias in node.names]
            elif node.module.startswith("app."):
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names if alias.name.startswith("app.")]
    return names


def domain_graph() -> dict[str, dict[str, list[str]]]:
    """For each package under app/, the packages it imports and the files that do it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(APP.rglob("*.py")):
        source = _package(path)
        for module in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            target = module.split(".")[1]
            if target != source:
                graph[source][target].append(str(path.relative_to(APP.parent)))
    return graph


def entry_points() -> set[str]:
    return {path.stem for path in APP.glob("*.py") if path.stem != "__init__"}


def test_no_two_domains_import_each_other() -> None:
    graph = domain_graph()
    pairs = {
        frozenset({source, target})
        for source, targets in graph.items()
        for target in targets
        if source in graph.get(target, {})
    }
    report = [
        f"{a} <-> {b}: {sorted(set(graph[a][b]))} / {sorted(set(graph[b][a]))}"
        for a, b in sorted(tuple(sorted(pair)) for pair in pairs)
    ]
    assert not report, "domains that import each other:\n" + "\n".join(report)


def test_core_imports_no_domain() -> None:
    assert not dict(domain_graph().get("core", {}))


def test_nothing_imports_the_top() -> None:
    top = TOP | entry_points()
    found = [
        f"{source} imports {target}: {sorted(set(files))}"
        for source, targets in domain_graph().items()
        if source not in entry_points()
        for target, files in targets.items()
        if target in top and source not in TOP
    ]
    assert not found, "\n".join(found)
