"""An example voxcas plugin: the namespace `example`, found through the `voxcas.namespaces` entry
point of this package (see docs/plugins.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param

NAMESPACE = Namespace("example", doc="An example plugin namespace.", libraries=("python", "numpy"))


@NAMESPACE.primitive(params=(Param("x", "number"),), version="2")
def double(x: float) -> float:
    """Twice a number."""
    return x * 2


@NAMESPACE.primitive(params=(Param("image", "image"), Param("k", "number")))
def scale(image: Any, k: float) -> Any:
    """Every voxel of an image times k (the image's geometry is kept)."""
    return image.with_array(image.array * k)


@NAMESPACE.primitive(params=(Param("path", "str"),), reads_files=True, path_params=(0,))
def count_lines(path: str) -> int:
    """The number of lines of a text file (a file input: its content is part of the node id)."""
    return len(Path(path).read_text(encoding="utf-8").splitlines())


@NAMESPACE.primitive(params=(Param("x", "number"),))
def positive(x: float) -> float:
    """x itself, or an error naming the argument if x is not positive."""
    if x <= 0:
        raise PrimitiveError("example.positive", f"expected a positive number, got {x}", "x")
    return x
