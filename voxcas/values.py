"""Runtime values of VoxLogicA programs and how `print` renders them.

Kinds (the store encodes each, see `voxcas.store.codec`):

| kind      | Python representation                                                 |
|-----------|-----------------------------------------------------------------------|
| null      | `None`                                                                |
| bool      | `bool`                                                                |
| int       | `int` (also numpy integer scalars, normalised to `int` when stored)   |
| float     | `float` (also numpy floating scalars)                                 |
| str       | `str`                                                                 |
| bytes     | `bytes`                                                               |
| sequence  | a `collections.abc.Sequence` but str/bytes: `list`, `tuple`, `range`, `StoredSequence` |
| mapping   | `collections.abc.Mapping` with `str` keys                             |
| ndarray   | `numpy.ndarray`                                                       |
| image     | `Image` below                                                         |

**Image axis convention.** `Image.array` is in numpy order, exactly as
`SimpleITK.GetArrayFromImage` returns it: for a 3D image `array[z, y, x]`, with a trailing
component axis for vector (RGB) pixels. Geometry (`spacing`, `origin`, `direction`) is in ITK
order `(x, y, z)`, as SimpleITK reports it. So ITK axis k (VoxLogicA's `x`/`y`/`z` are axes
0/1/2) is numpy axis `dim - 1 - k`, and `scipy.ndimage` sampling is `spacing[::-1]`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class Image:
    """An n-dimensional image (2D or 3D) with its physical geometry.

    `components` > 1 means vector pixels (RGB/RGBA), held on a trailing array axis.
    Images compare by content: use `Image.equals`.
    """

    array: np.ndarray
    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]
    components: int = 1
    _checked: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        dim = len(self.spacing)
        expected = dim + (1 if self.components > 1 else 0)
        if self.array.ndim != expected:
            raise ValueError(
                f"image array has {self.array.ndim} axes, expected {expected} "
                f"for a {dim}D image with {self.components} component(s)"
            )
        if len(self.origin) != dim or len(self.direction) != dim * dim:
            raise ValueError("image origin/direction do not match its dimension")

    @classmethod
    def from_array(
        cls,
        array: np.ndarray,
        spacing: Sequence[float] | None = None,
        origin: Sequence[float] | None = None,
        direction: Sequence[float] | None = None,
        components: int = 1,
    ) -> Image:
        """An image with the given geometry; unit spacing, zero origin, identity direction by default."""
        dim = array.ndim - (1 if components > 1 else 0)
        sp = tuple(float(s) for s in spacing) if spacing is not None else (1.0,) * dim
        org = tuple(float(o) for o in origin) if origin is not None else (0.0,) * dim
        if direction is not None:
            dirn = tuple(float(d) for d in direction)
        else:
            dirn = tuple(1.0 if i == j else 0.0 for i in range(dim) for j in range(dim))
        return cls(array, sp, org, dirn, components)

    @property
    def dim(self) -> int:
        return len(self.spacing)

    @property
    def size(self) -> tuple[int, ...]:
        """Size in ITK order (x, y, z)."""
        return tuple(int(n) for n in self.array.shape[: self.dim][::-1])

    @property
    def pixel_type(self) -> str:
        name = str(self.array.dtype)
        return name if self.components == 1 else f"vector<{name}>x{self.components}"

    def with_array(self, array: np.ndarray, components: int = 1) -> Image:
        """A new image with this image's geometry and another array of the same spatial shape."""
        return Image(array, self.spacing, self.origin, self.direction, components)

    def same_geometry(self, other: Image, tolerance: float = 1e-5) -> bool:
        if self.size != other.size:
            return False
        pairs = zip(
            (*self.spacing, *self.origin, *self.direction),
            (*other.spacing, *other.origin, *other.direction),
            strict=True,
        )
        return all(abs(a - b) <= tolerance * max(1.0, abs(a), abs(b)) for a, b in pairs)

    def equals(self, other: object) -> bool:
        import numpy as np

        return (
            isinstance(other, Image)
            and self.components == other.components
            and self.spacing == other.spacing
            and self.origin == other.origin
            and self.direction == other.direction
            and self.array.dtype == other.array.dtype
            and self.array.shape == other.array.shape
            and bool(np.array_equal(self.array, other.array, equal_nan=self.array.dtype.kind in "fc"))
        )

    def summary(self) -> str:
        """One line for `print`: size, pixel type, spacing."""
        size = "x".join(str(n) for n in self.size)
        spacing = "x".join(format_number(s) for s in self.spacing)
        return f"image({size}, {self.pixel_type}, spacing {spacing})"


def kind_of(value: Any) -> str:
    """The value kind name used in error messages and by the store."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Image):
        return "image"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes"
    if isinstance(value, Mapping):
        return "mapping"
    type_name = type(value).__module__
    if type_name == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return "ndarray"
        if isinstance(value, np.bool_):
            return "bool"
        if isinstance(value, np.integer):
            return "int"
        if isinstance(value, np.floating):
            return "float"
    if isinstance(value, Sequence):
        return "sequence"
    return type(value).__name__


def format_number(x: float | int) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


MAX_PRINTED_ITEMS = 100_000  # a longer sequence prints its first items and its length


def format_value(value: Any, *, nested: bool = False) -> str:
    """Render a value the way `print "label" e` shows it (language.md §4 Goals)."""
    kind = kind_of(value)
    if kind == "null":
        return "null"
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return format_number(float(value))
    if kind == "str":
        if nested:
            import json

            return json.dumps(value, ensure_ascii=False)
        return str(value)
    if kind == "image":
        return str(value.summary())
    if kind == "ndarray":
        return f"array(shape {tuple(value.shape)}, {value.dtype})"
    if kind == "bytes":
        return f"bytes({len(value)})"
    if kind == "mapping":
        inner = ", ".join(
            f"{format_value(k, nested=True)}: {format_value(v, nested=True)}" for k, v in value.items()
        )
        return "{" + inner + "}"
    if kind == "sequence":
        n = len(value)
        if n > MAX_PRINTED_ITEMS:  # `print "r" range(0, 10^9)` must not build a 10 GB line
            shown = ", ".join(format_value(value[i], nested=True) for i in range(MAX_PRINTED_ITEMS))
            return f"[{shown}, … ({n:,} items, the first {MAX_PRINTED_ITEMS:,} shown)]"
        return "[" + ", ".join(format_value(v, nested=True) for v in value) + "]"
    return repr(value)
