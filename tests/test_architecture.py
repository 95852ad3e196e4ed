"""The package's architecture: each stage imports only the stages its docstring names, and nothing cycles.

Every package of segdsl says in its docstring what it may import ("May
import: segdsl.lang, segdsl.semantic."); this test holds every import of
every module to it, lazy imports inside functions and type-checking imports
included, so a lower stage never reaches into a higher one. The packages'
imports form no cycle, and neither do the modules' top-level imports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import segdsl

PACKAGE = Path(segdsl.__file__).parent


def _packages() -> dict[str, Path]:
    return {p.name: p for p in sorted(PACKAGE.iterdir()) if (p / "__init__.py").is_file()}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> list[tuple[str, int]]:
    """The segdsl modules (or their attributes) a file imports, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("segdsl"):
                continue
            if node.module:
                out.append((target, node.lineno))
            else:  # from . import a, b: modules or attributes of the package
                out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("segdsl")]
    return out


def _allowed(name: str, init: Path) -> set[str]:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    found = re.search(r"May import:(.*?)(?:\n\n|$)", doc, re.S)
    assert found, f"segdsl/{name}/__init__.py: its docstring must say what the package may import (May import: …)"
    sentence = found.group(1)
    if "every other package" in sentence:
        return set(_packages()) - {name}
    return set(re.findall(r"segdsl\.(\w+)", sentence))


def test_every_package_says_what_it_owns_and_may_import() -> None:
    for name, folder in _packages().items():
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) >= 3, f"segdsl/{name}: a docstring saying what the package owns"
        assert _allowed(name, folder / "__init__.py") <= set(_packages()), name


def test_lower_stages_never_import_higher_ones() -> None:
    packages = _packages()
    wrong = []
    for name, folder in packages.items():
        allowed = _allowed(name, folder / "__init__.py")
        for path in sorted(folder.rglob("*.py")):
            for target, line in _imports(path):
                parts = target.split(".")
                other = parts[1] if len(parts) > 1 else ""
                if other in packages and other != name and other not in allowed:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not wrong, "imports against the direction of the pipeline:\n" + "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph, if there is one (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles() -> None:
    packages = _packages()
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    between_packages: dict[str, set[str]] = {n: set() for n in packages}
    top_level: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        own = module.split(".")[1] if module.count(".") else ""
        for target, _ in _imports(path):
            other = target.split(".")[1] if target.count(".") else ""
            if own in packages and other in packages and other != own:
                between_packages[own].add(other)
        for target, _ in _imports(path, top_level_only=True):
            while target not in modules and "." in target:  # an attribute: its module
                target = target.rpartition(".")[0]
            if target in modules and target != module:
                top_level[module].add(target)
    assert _cycle(between_packages) is None, f"packages import each other: {_cycle(between_packages)}"
    # A package's __init__ is imported before its modules, so `from . import x` in it is no cycle of its own.
    for module in top_level:
        top_level[module] = {t for t in top_level[module] if not module.startswith(t + ".")}
    assert _cycle(top_level) is None, f"modules import each other: {_cycle(top_level)}"
