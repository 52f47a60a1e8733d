"""The tree is the architecture: no import cycle, nothing private across packages, small modules.

Read from the source with ``ast`` (lazy imports inside functions and ``TYPE_CHECKING`` imports
count too), so a cycle held apart only by a lazy import still fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import REPO

PACKAGE = REPO / "hwsim"
#: "no module over about 400 lines" (the project's layout rule); a little slack for a docstring.
MAX_MODULE_LINES = 420


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package_of(module: str) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to the package itself)."""
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _resolve(name: str) -> str | None:
    """The hwsim module an imported dotted name lives in (``hwsim.cost.evaluate.evaluate`` -> ``hwsim.cost.evaluate``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


@dataclass(frozen=True)
class Import:
    importer: str
    module: str  #: the hwsim module imported from
    names: tuple[str, ...]  #: names taken from it (empty for ``import x``)
    line: int


def _imports(module: str) -> Iterator[Import]:
    path = MODULES[module]
    package = _package_of(module)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    yield Import(module, target, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # `from hwsim.cost import evaluate` imports a module
                    yield Import(module, full, (), node.lineno)
                else:
                    target = _resolve(base)
                    if target:
                        yield Import(module, target, (alias.name,), node.lineno)


IMPORTS: list[Import] = [imp for m in MODULES for imp in _imports(m)]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        own_child = MODULES[imp.importer].name == "__init__.py" and imp.module.startswith(imp.importer + ".")
        if imp.module != imp.importer and not own_child:
            edges[imp.importer].add(imp.module)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(MODULES)))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_imports():
    """Guard against a checker that passes because it reads nothing."""
    assert len(MODULES) > 50
    assert any(i.importer == "hwsim.simulate" and i.module == "hwsim.cost.evaluate" for i in IMPORTS)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    assert _cycles(_edges()) == []


def test_nothing_private_is_imported_across_packages():
    crossing = [
        f"{imp.importer}:{imp.line} imports {name} from {imp.module}"
        for imp in IMPORTS
        for name in imp.names
        if name.startswith("_") and not name.startswith("__") and _package_of(imp.module) != _package_of(imp.importer)
    ]
    assert crossing == []


def test_cost_core_knows_neither_graphs_nor_yaml_nor_torch():
    outside = sorted(
        f"{imp.importer} imports {imp.module}"
        for imp in IMPORTS
        if imp.importer.startswith("hwsim.cost") and not imp.module.startswith(("hwsim.cost", "hwsim.errors"))
    )
    assert outside == []
    sources = "\n".join(p.read_text() for m, p in MODULES.items() if m.startswith("hwsim.cost"))
    for heavy in ("import torch", "import yaml", "import pydantic", "from pydantic", "import pandas"):
        assert heavy not in sources


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{MODULES[module].relative_to(REPO)} has {lines} lines"


def test_import_hwsim_and_the_cost_core_do_not_import_torch():
    code = "import sys, hwsim, hwsim.simulate, hwsim.cost.evaluate; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"
