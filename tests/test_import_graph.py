"""No module of voxcas imports itself back, however indirectly (lazy and type-only imports count)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "voxcas"


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports anywhere in its text (at the top, in
    functions, under `if TYPE_CHECKING`). `from pkg import name` counts as importing `pkg.name`
    when that is a module, else `pkg`; a module does not depend on the `__init__` of its parents."""
    files: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names if alias.name in files)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in files:
                        graph[name].add(target)
                    elif base in files:
                        graph[name].add(base)
        graph[name].discard(name)
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def test_no_module_of_voxcas_imports_itself_back() -> None:
    assert cycle_in(import_graph(PACKAGE)) is None


def test_a_lazy_import_back_is_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import f\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    (package / "c.py").write_text("from . import a\n")
    graph = import_graph(package)
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}}
    assert sorted(set(cycle_in(graph) or [])) == ["pkg.a", "pkg.b"]


def test_a_type_only_import_back_is_a_circle_too(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.a import x\n")
    (package / "a.py").write_text("x = 1\nif TYPE_CHECKING:\n    import pkg.b\n")
    (package / "b.py").write_text("from pkg import a\n")
    assert sorted(set(cycle_in(import_graph(package)) or [])) == ["pkg.a", "pkg.b"]
