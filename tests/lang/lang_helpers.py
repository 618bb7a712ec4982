"""Helpers for the language tests: a registry with fake image namespaces and a prelude."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxcas.primitives.registry import Namespace, Param, Registry

PRELUDE = """\
// the fake image namespace's prelude
let ~~(a, b) = combine(a, b)
grow(a) = near(a) ~~ a
"""


class ProbeRegistry(Registry):
    """A registry that records which namespaces were loaded."""

    def __init__(self, modules: dict[str, str]) -> None:
        super().__init__(modules)
        self.requested: list[str] = []

    def namespace(self, name: str) -> Namespace:
        if name not in self.requested:
            self.requested.append(name)
        return super().namespace(name)


def _fn(*args: Any) -> Any:
    return args


def make_registry(tmp_path: Path) -> ProbeRegistry:
    prelude = tmp_path / "img_prelude.imgql"
    prelude.write_text(PRELUDE)
    registry = ProbeRegistry(
        {
            "default": "voxcas.primitives.default",
            "strings": "voxcas.primitives.strings",
            "broken": "voxcas.no_such_namespace_module",
        }
    )
    img = Namespace("img", doc="fake images", prelude=str(prelude))
    img.primitive("read", params=(Param("path", "str"),), reads_files=True, path_params=(0,), result="image")(
        _fn
    )
    img.primitive("tt", params=(), base_image=True, result="mask")(_fn)
    img.primitive("near", params=(Param("a"),))(_fn)
    img.primitive("combine", params=(Param("a"), Param("b")))(_fn)
    img.primitive("shared", params=(Param("a"),))(_fn)
    registry.add_namespace(img)
    other = Namespace("other", doc="another namespace")
    other.primitive("shared", params=(Param("a"),))(_fn)
    other.primitive("only_other", params=(Param("a"),))(_fn)
    registry.add_namespace(other)
    third = Namespace("third")
    third.primitive("twin", params=(Param("a"),))(_fn)
    registry.add_namespace(third)
    fourth = Namespace("fourth")
    fourth.primitive("twin", params=(Param("a"),))(_fn)
    registry.add_namespace(fourth)
    return registry
