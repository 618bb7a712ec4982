"""Geometry and physical volumes of images, in the `default` namespace (always visible).

What a clinical user reads off an image before trusting a number computed on it:

- `size(i)`: voxels per axis, ITK order `[x, y, z]` (integers);
- `spacing(i)`: voxel size per axis in millimetres, `[x, y, z]`;
- `origin(i)`: physical position of the first voxel's centre, `[x, y, z]` in millimetres;
- `direction(i)`: the direction cosines, row-major (9 numbers in 3D);
- `voxel_volume(i)`: the volume of one voxel in mm³ (the product of the spacing; an area in
  mm² for a 2D image);
- `volume_mm3(m)` / `volume_ml(m)`: the physical volume of a mask's true voxels (1 mL = 1000 mm³);
- `label_volumes(l)`: one row `[label, voxels, mm³, mL]` per label present in an integer label
  map, label 0 (background) left out, in increasing label order, so that
  `save "volumes.csv" label_volumes(seg)` writes the table a paper reports.

Declared on `GEOMETRY`, a fragment of the `default` namespace that `voxcas.primitives.default`
merges into its own (so this module does not import that one back).
"""

from __future__ import annotations

import math
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.masks import mask_arg
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import Image, kind_of

GEOMETRY = Namespace(
    "default",
    doc="the geometry primitives of the default namespace",
    libraries=("python", "numpy", "SimpleITK"),
)
prim = GEOMETRY.primitive
MM3_PER_ML = 1000.0


def _image(name: str, value: Any, arg: str) -> Image:
    if isinstance(value, Image):
        return value
    raise PrimitiveError(f"default.{name}", f"expected an image, got {kind_of(value)}", arg)


def _voxel_volume(image: Image) -> float:
    return math.prod(image.spacing)


@prim("size", params=(Param("i", "image"),), result="seq")
def size(i: Any) -> list[int]:
    """Voxels per axis [x, y, z] of an image."""
    return list(_image("size", i, "i").size)


@prim("spacing", params=(Param("i", "image"),), result="seq")
def spacing(i: Any) -> list[float]:
    """Voxel size per axis [x, y, z] in millimetres."""
    return list(_image("spacing", i, "i").spacing)


@prim("origin", params=(Param("i", "image"),), result="seq")
def origin(i: Any) -> list[float]:
    """Physical position [x, y, z] (mm) of the centre of the first voxel."""
    return list(_image("origin", i, "i").origin)


@prim("direction", params=(Param("i", "image"),), result="seq")
def direction(i: Any) -> list[float]:
    """Direction cosines of the image axes, row-major (9 numbers in 3D, 4 in 2D)."""
    return list(_image("direction", i, "i").direction)


@prim("voxel_volume", params=(Param("i", "image"),), result="float")
def voxel_volume(i: Any) -> float:
    """Volume of one voxel in mm³ (the product of the spacing; mm² for a 2D image)."""
    return _voxel_volume(_image("voxel_volume", i, "i"))


def _mask_volume(name: str, m: Any) -> float:
    import numpy as np

    mask = mask_arg(f"default.{name}", m, "m")
    return int(np.count_nonzero(mask)) * _voxel_volume(m)


@prim("volume_mm3", params=(Param("m", "mask"),), result="float")
def volume_mm3(m: Any) -> float:
    """Physical volume in mm³ of the true voxels of a mask."""
    return _mask_volume("volume_mm3", m)


@prim("volume_ml", params=(Param("m", "mask"),), result="float")
def volume_ml(m: Any) -> float:
    """Physical volume in millilitres (1 mL = 1000 mm³) of the true voxels of a mask."""
    return _mask_volume("volume_ml", m) / MM3_PER_ML


@prim("label_volumes", params=(Param("l", "image"),), result="seq")
def label_volumes(l: Any) -> list[list[Any]]:  # noqa: E741 - the parameter is named as in the docs
    """Rows [label, voxels, mm³, mL] for each non-zero label of an integer label map, in label order."""
    import numpy as np

    image = _image("label_volumes", l, "l")
    if image.components != 1:
        raise PrimitiveError(
            "default.label_volumes", f"expected a label map, got {image.components}-component pixels", "l"
        )
    array = image.array
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
    if array.dtype.kind not in "iu":
        raise PrimitiveError(
            "default.label_volumes", f"expected a label map of integers, got {array.dtype} values", "l"
        )
    labels, counts = np.unique(array, return_counts=True)
    unit = _voxel_volume(image)
    rows: list[list[Any]] = []
    for label, count in zip(labels.tolist(), counts.tolist(), strict=True):
        if label == 0:
            continue
        mm3 = int(count) * unit
        rows.append([int(label), int(count), mm3, mm3 / MM3_PER_ML])
    return rows
