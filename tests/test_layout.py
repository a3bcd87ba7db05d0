"""The layering holds: the engine is a library, and no package or module imports in a circle.

``knowledge`` imports neither face; ``runtime`` (settings, logging) imports neither face; the
faces ``bot`` and ``archivist`` import the engine and ``runtime``, and ``archivist`` reaches
``bot`` only to start it. Every import counts, at module level, inside functions and under
``TYPE_CHECKING``: a circle there still means two modules that cannot be read, or moved,
apart.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "bot", "archivist", "runtime")


def test_importing_knowledge_leaves_discord_and_dotenv_out():
    probe = (
        "import sys, knowledge, knowledge.service, knowledge.fetch, knowledge.sources;"
        "print(sorted(m for m in ('discord', 'dotenv', 'bot', 'archivist', 'runtime')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the import graph ----------------------------------------------------------------------


def modules_under(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``packages`` under ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> list[str]:
    """Every module name ``module`` imports, anywhere in the file, relative imports resolved.

    ``from a import b`` names ``a.b``: the module ``a.b`` if there is one, else a name
    defined in ``a``, which :func:`import_graph` turns into ``a``.
    """
    is_package = path.name == "__init__.py"
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".")
                anchor = here if is_package else here[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports (the most specific one that exists)."""
    modules = modules_under(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in imported_names(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of nodes, as ``[a, b, ..., a]``, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_circle_in(graph, group) for group in groups)


def _circle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way round the group, from its first member back to it."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no circle through {start}")  # a group always has one


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        home = module.split(".")[0]
        packages[home] |= {t.split(".")[0] for t in targets} - {home}
    return dict(packages)


def within(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The part of the graph between modules of one package."""
    mine = {m for m in graph if m.split(".")[0] == package}
    return {m: graph[m] & mine for m in mine}


def describe(circles: list[list[str]]) -> str:
    return "; ".join(" -> ".join(circle) for circle in circles)


# --- the tests ----------------------------------------------------------------------------


def test_packages_import_each_other_in_one_direction_only():
    circles = cycles(package_graph(import_graph(ROOT, PACKAGES)))
    assert not circles, f"packages import each other: {describe(circles)}"


def test_the_layers():
    """What each package may import of ours; anything more is a new dependency to think about."""
    allowed = {
        "knowledge": set(),
        "runtime": {"knowledge"},
        "bot": {"knowledge", "runtime"},
        "archivist": {"knowledge", "runtime", "bot"},
    }
    imports = package_graph(import_graph(ROOT, PACKAGES))
    extra = {p: sorted(imports.get(p, set()) - allowed[p]) for p in PACKAGES}
    assert not any(extra.values()), f"imports across layers: {extra}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_modules_of_a_package_import_each_other_in_a_circle(package):
    circles = cycles(within(import_graph(ROOT, PACKAGES), package))
    assert not circles, f"modules of {package} import each other: {describe(circles)}"


TWO_PACKAGES_IN_A_CIRCLE = {
    "alpha/__init__.py": "",
    "alpha/one.py": "from . import two\n",
    "alpha/two.py": "def later():\n    from .one import helper\n",
    "alpha/three.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import beta.four\n",
    "beta/__init__.py": "",
    "beta/four.py": "import os\nfrom alpha.three import x\n",
    "beta/five.py": "from .four import y\n",
}


def test_the_check_finds_circles_however_they_are_imported(tmp_path):
    """The graph sees relative, function-level and type-only imports: a circle cannot hide."""
    for name, text in TWO_PACKAGES_IN_A_CIRCLE.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ("alpha", "beta"))
    assert cycles(within(graph, "alpha")) == [["alpha.one", "alpha.two", "alpha.one"]]
    assert cycles(within(graph, "beta")) == []
    assert cycles(package_graph(graph)) == [["alpha", "beta", "alpha"]]
    assert graph["beta.five"] == {"beta.four"}
