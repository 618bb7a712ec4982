"""The mask argument check shared by the namespaces that take boolean images (vox1, geometry,
metrics): a leaf module, so that none of them imports another just for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voxcas.errors import PrimitiveError
from voxcas.values import Image, kind_of

if TYPE_CHECKING:
    import numpy as np


def mask_arg(prim: str, value: Any, arg: str) -> np.ndarray:
    """The bool array of a boolean image (bool, or uint8 holding only 0 and 1). `prim` is the
    primitive's qualified name (an unqualified name is taken as vox1's)."""
    import numpy as np

    name = prim if "." in prim else f"vox1.{prim}"
    if not isinstance(value, Image):
        raise PrimitiveError(name, f"expected a boolean image, got {kind_of(value)}", arg)
    array = value.array
    if value.components != 1:
        raise PrimitiveError(name, f"expected a boolean image, got {value.components}-component pixels", arg)
    if array.dtype == np.bool_:
        return array
    if array.dtype == np.uint8:
        if array.size == 0 or int(array.max()) <= 1:
            return array.view(np.bool_)
        raise PrimitiveError(name, "expected a boolean image, got uint8 values other than 0 and 1", arg)
    raise PrimitiveError(name, f"expected a boolean image, got {array.dtype} values", arg)
