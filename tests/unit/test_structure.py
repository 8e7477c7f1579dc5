"""Structural rules of the code, checked from its source: module size, no import cycle, pure generators, and
no reading of files outside the repository."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mockapi"
MAX_MODULE_LINES = 400
FRAMEWORKS = ("fastapi", "starlette")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package (a folder holding __init__.py), by its dotted name."""
    return {module_name(path, package.parent): path for path in sorted(package.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, typing_too: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements under `node`, at any depth (functions' too); those in `if TYPE_CHECKING:`
    blocks only when `typing_too`, since they never run."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test) and not typing_too:
            yield from _imports(ast.Module(child.orelse, []), typing_too)  # the `else:` does run
        else:
            yield from _imports(child, typing_too)


def imported_modules(name: str, path: Path, known: set[str], typing_too: bool = False) -> set[str]:
    """Which of the `known` modules the module `name` (at `path`) imports. `from a import b` imports the
    module a.b if there is one, else a (b is a name defined in a)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(tree, typing_too):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join([*parts[: len(parts) - (node.level - 1)], *([base] if base else [])])
        for alias in node.names:
            found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {imported for imported in found if imported in known} - {name}


def external_imports(path: Path) -> set[str]:
    """The top-level names of everything a module imports, `if TYPE_CHECKING:` blocks included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in _imports(tree, typing_too=True):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """Which of the package's modules each of its modules imports when it runs (at load or in a function)."""
    known = modules(package)
    return {name: imported_modules(name, path, set(known)) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# The rules.


def test_no_module_is_over_400_lines() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules(PACKAGE).items()}
    assert len(sizes) > 40
    assert {name: size for name, size in sizes.items() if size > MAX_MODULE_LINES} == {}


def test_no_import_cycle_among_the_modules() -> None:
    graph = import_graph(PACKAGE)
    assert "mockapi.files_store" in graph["mockapi.files_directory"]  # the graph sees imports
    assert cycles(graph) == []


def test_generators_import_no_web_framework() -> None:
    generators = {name: path for name, path in modules(PACKAGE).items() if name.startswith("mockapi.generators")}
    assert len(generators) >= 10
    used = {name: sorted(external_imports(path) & set(FRAMEWORKS)) for name, path in generators.items()}
    assert {name: frameworks for name, frameworks in used.items() if frameworks} == {}


# Ways of naming the material outside the repository: an absolute path to it, or a climb to it from here.
OUTSIDE_PATTERNS = [
    re.compile(r"/work/shared"),
    re.compile(r"\.\./shared\b"),
    re.compile(r"""["']\.\.["']\s*[,/]\s*["']shared["']"""),
    re.compile(r"""parents?\b[^\n]{0,12}/\s*["']shared["']"""),
]


def outside_references(roots: list[Path], skip: Path) -> list[str]:
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path == skip or "__pycache__" in path.parts:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            for pattern in OUTSIDE_PATTERNS:
                found.extend(f"{path}: {match.group()}" for match in pattern.finditer(text))
    return found


def test_nothing_reads_material_outside_the_repository() -> None:
    # This file is skipped: it spells the patterns out.
    assert outside_references([PACKAGE, ROOT / "tests"], skip=Path(__file__).resolve()) == []


# The checks themselves, on a made-up package: each finds what it is for.


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_graph_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "store.py": "def open_store():\n    from pkg.directory import DirectoryStore\n    return DirectoryStore\n",
            "directory.py": "from pkg.store import open_store\n\nclass DirectoryStore: ...\n",
            "sub/__init__.py": "",
            "sub/a.py": "from . import b\n",
            "sub/b.py": "from ..sub import a\nfrom pkg import store\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.store"] == {"pkg.directory"} and graph["pkg.sub.b"] == {"pkg.sub.a", "pkg.store"}
    assert cycles(graph) == [["pkg.directory", "pkg.store"], ["pkg.sub.a", "pkg.sub.b"]]


def test_the_graph_ignores_type_checking_imports(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from pkg.b import B\nelse:\n    import json\n",
            "b.py": "import typing\nfrom pkg.a import A\nif typing.TYPE_CHECKING:\n    import fastapi\n",
        },
    )
    graph = import_graph(package)
    assert graph == {"pkg": set(), "pkg.a": set(), "pkg.b": {"pkg.a"}} and cycles(graph) == []
    assert external_imports(package / "b.py") == {"typing", "pkg", "fastapi"}  # the framework check sees it


@pytest.mark.parametrize(
    "text",
    ['Path("/work/shared/reference/x.yaml")', 'ROOT / "../shared/spec"', 'Path(__file__).parents[3] / "shared"'],
)
def test_a_reference_outside_the_repository_is_found(tmp_path: Path, text: str) -> None:
    (tmp_path / "uses.py").write_text(f"SPEC = {text}\n")
    assert len(outside_references([tmp_path], skip=tmp_path / "none")) == 1
