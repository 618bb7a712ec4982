"""Every third-party module the voxcas package imports is installed by `pip install voxcas`.

The oracle is independent of voxcas: the imports are read from the source files with `ast`, the
distributions that provide them from the installed metadata, and what a plain install brings from
`pyproject.toml`'s `[project] dependencies` followed through each distribution's own requirements
(only those without an extra the install did not ask for). A module only the dev extras provide
(httpx once was, so `vox push` crashed on a normal install) fails this test.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _imported_top_modules() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "voxcas").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "voxcas" and n not in sys.stdlib_module_names}


def _installed_by_a_plain_install() -> set[str]:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    todo = [Requirement(text) for text in declared]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(req.name) or []:
            sub = Requirement(text)
            env = [{"extra": extra} for extra in req.extras] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(e) for e in env):
                todo.append(sub)
    return seen


def test_every_third_party_import_comes_with_a_plain_install() -> None:
    providers = metadata.packages_distributions()
    installed = _installed_by_a_plain_install()
    missing = {
        module: providers.get(module, ["(not installed)"])
        for module in sorted(_imported_top_modules())
        if not any(canonicalize_name(d) in installed for d in providers.get(module, []))
    }
    assert missing == {}


def test_httpx_for_push_and_pull_is_a_runtime_dependency() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "httpx" in {canonicalize_name(Requirement(text).name) for text in declared}
