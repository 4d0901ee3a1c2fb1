"""The package graph points downwards: every import of every module of ``pocket_cnn``
(function-local ones included) goes to its own layer or one below, and no modules or
subpackages import each other in a circle. The layer order is written once, in LAYERS.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "pocket_cnn"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE

#: Parts of the package (subpackages and top-level modules), lowest layer first. A part
#: may import parts of its own layer (no circle) and of layers below, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "errors", "atomic", "ip", "tools", "hdl_text"),
    ("ir",),
    ("onnx_import", "reference", "emit"),
    ("zoo", "loader"),
    ("simulation", "boards", "quantizer"),
    ("synth", "host"),
    ("fusesoc",),
    ("cli",),
    ("api", "__init__", "__main__"),
)
LAYER = {part: i for i, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path, root: Path = SOURCE) -> str:
    """``pocket_cnn/a/b.py`` -> ``pocket_cnn.a.b``; a package's ``__init__`` -> the package."""
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources(root: Path = SOURCE) -> dict[str, str]:
    """Module name -> source text of every module of the package (not the bundled IP)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if rel[0] == "_ip" or "__pycache__" in rel:
            continue
        out[module_name(path, root)] = path.read_text()
    return out


def imports_of(module: str, source: str, is_package: bool, known: Iterable[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its text (relative imports
    resolved; ``from X import Y`` is module X.Y when that is a module, else X)."""
    modules = set(known)
    base = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def part_of(module: str) -> str:
    """The layer part a module belongs to: ``pocket_cnn.emit.vhdl`` -> ``emit``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_graph(sources: Mapping[str, str], packages: set[str]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (itself excluded)."""
    return {
        mod: imports_of(mod, text, mod in packages, sources) - {mod}
        for mod, text in sources.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
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
            comp = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                comp.append(top)
                if top == node:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def part_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The module graph folded onto layer parts (imports inside one part dropped)."""
    out: dict[str, set[str]] = {}
    for mod, targets in graph.items():
        src = part_of(mod)
        out.setdefault(src, set()).update(part_of(t) for t in targets if part_of(t) != src)
    return out


def upward_imports(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import from a part to a part of a higher layer, and parts LAYERS misses."""
    problems = []
    for mod, targets in sorted(graph.items()):
        for target in sorted(targets):
            src, dst = part_of(mod), part_of(target)
            for part in (src, dst):
                if part not in LAYER:
                    problems.append(f"{part} (from {mod}) is in no layer: add it to LAYERS")
            if src in LAYER and dst in LAYER and LAYER[dst] > LAYER[src]:
                problems.append(f"{mod} imports {target}: layer {src} is below {dst}")
    return sorted(set(problems))


def problems(sources: Mapping[str, str], packages: set[str]) -> list[str]:
    """Everything wrong with the graph of ``sources``: circles and upward imports."""
    graph = module_graph(sources, packages)
    found = [f"modules import each other in a circle: {c}" for c in cycles(graph)]
    found += [f"parts import each other in a circle: {c}" for c in cycles(part_graph(graph))]
    return found + upward_imports(graph)


def _packages(root: Path = SOURCE) -> set[str]:
    return {module_name(p, root) for p in root.rglob("__init__.py") if "_ip" not in p.parts}


def test_package_graph_points_downwards() -> None:
    assert problems(package_sources(), _packages()) == []


def test_every_part_has_a_layer() -> None:
    parts = {part_of(m) for m in package_sources()}
    assert parts <= set(LAYER), f"add to LAYERS: {sorted(parts - set(LAYER))}"


def test_nothing_inside_imports_the_api() -> None:
    graph = module_graph(package_sources(), _packages())
    importers = sorted(m for m, targets in graph.items() if f"{PACKAGE}.api" in targets)
    assert importers == [PACKAGE], "only the package's front door re-exports the API"


def test_the_check_fails_on_a_bad_graph() -> None:
    """An upward import inside a function and a circle are both found."""
    sources = {
        "pocket_cnn": "",
        "pocket_cnn.ir": "",
        "pocket_cnn.ir.network": "def f():\n    from pocket_cnn.emit import vhdl\n",
        "pocket_cnn.emit": "",
        "pocket_cnn.emit.vhdl": "from pocket_cnn.emit import names\n",
        "pocket_cnn.emit.names": "from . import vhdl\n",
    }
    found = problems(sources, {"pocket_cnn", "pocket_cnn.ir", "pocket_cnn.emit"})
    assert any("pocket_cnn.ir.network imports pocket_cnn.emit.vhdl" in p for p in found)
    assert any("circle" in p and "pocket_cnn.emit.names" in p for p in found)
