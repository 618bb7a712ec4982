"""The mask argument check shared by the namespaces that take boolean images (vox1, geometry,
metrics): a leaf module, so that none of them imports another just for it.

A mask is a one-component image of `bool`, or of any integer type standing for its non-zero
voxels: the 0/255 masks SimpleITK's `BinaryThreshold` writes, label maps, 0/1 uint8 files. This
follows VoxLogicA-2, whose vox1 kernels cast a mask to uint8 and keep the voxels above 0
(`implementation/python/voxlogica/primitives/vox1/kernels.py`, `_as_bool_image`, `volume`).
Floating-point images are refused: "non-zero" of a float image is seldom what was meant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voxcas.errors import PrimitiveError
from voxcas.values import Image, kind_of

if TYPE_CHECKING:
    import numpy as np


def mask_arg(prim: str, value: Any, arg: str) -> np.ndarray:
    """The bool array of a boolean image: bool as it is, an integer image as its non-zero voxels.
    `prim` is the primitive's qualified name (an unqualified name is taken as vox1's)."""
    import numpy as np

    name = prim if "." in prim else f"vox1.{prim}"
    if not isinstance(value, Image):
        raise PrimitiveError(name, f"expected a boolean image, got {kind_of(value)}", arg)
    array = value.array
    if value.components != 1:
        raise PrimitiveError(name, f"expected a boolean image, got {value.components}-component pixels", arg)
    if array.dtype == np.bool_:
        return array
    if np.issubdtype(array.dtype, np.integer):
        if array.dtype == np.uint8 and (array.size == 0 or int(array.max()) <= 1):
            return array.view(np.bool_)  # a 0/1 uint8 file: no copy
        nonzero: np.ndarray = array != 0
        return nonzero
    raise PrimitiveError(name, f"expected a boolean image, got {array.dtype} values", arg)
