"""Values as the HTTP API shows them: JSON for scalars and containers, summaries for images, PNG slices.

- `value_to_json(value)`: null/bool/int/float/str as themselves (non-finite floats as the strings
  "nan", "inf", "-inf": JSON has no such numbers), sequences as lists, mappings as objects, images
  as `{"kind": "image", "summary", "size", "spacing", "origin", "direction", "pixel_type", ...}`,
  arrays as their shape and dtype, bytes as their length. Sequences longer than `max_items` are cut
  and say so (a dataset listing stays a small response).
- `image_png(image, slice, axis)`: a PNG of a 2D image, or of one slice of a 3D image (the middle
  one by default) across ITK axis x, y or z, windowed over the whole volume exactly as `save`
  windows `.png` files (`voxcas.primitives.imageio.window_uint8`). Slices across x or y have z
  pointing up (the highest z row at the top), as image viewers show sagittal and coronal views.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from voxcas.errors import UsageError
from voxcas.values import Image, kind_of

AXES = ("x", "y", "z")


def value_to_json(value: Any, *, max_items: int = 1_000) -> Any:
    kind = kind_of(value)
    if kind == "null":
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        f = float(value)
        if math.isfinite(f):
            return f
        return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
    if kind == "str":
        return str(value)
    if kind == "image":
        return image_summary(value)
    if kind == "ndarray":
        return {"kind": "ndarray", "shape": list(value.shape), "dtype": str(value.dtype)}
    if kind == "bytes":
        return {"kind": "bytes", "length": len(value)}
    if kind == "mapping":
        assert isinstance(value, Mapping)
        return {str(k): value_to_json(v, max_items=max_items) for k, v in value.items()}
    if kind == "sequence":
        assert isinstance(value, Sequence)
        n = len(value)
        if n > max_items:
            items = [value_to_json(value[i], max_items=max_items) for i in range(max_items)]
            return {"kind": "sequence", "length": n, "items": items, "truncated": True}
        return [value_to_json(v, max_items=max_items) for v in value]
    return {"kind": kind, "text": repr(value)}


def image_summary(image: Image) -> dict[str, Any]:
    import numpy as np

    out: dict[str, Any] = {
        "kind": "image",
        "summary": image.summary(),
        "size": list(image.size),
        "pixel_type": image.pixel_type,
        "components": image.components,
        "spacing": list(image.spacing),
        "origin": list(image.origin),
        "direction": list(image.direction),
    }
    data = image.array
    if data.size and data.dtype.kind in "biuf":
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        if finite.size:
            out["min"] = value_to_json(finite.min().item())
            out["max"] = value_to_json(finite.max().item())
    return out


def slice_image(image: Image, index: int | None, axis: str) -> Image:
    """A 2D image: `image` itself when 2D, else its slice `index` (default: the middle) across `axis`."""
    if axis not in AXES:
        raise UsageError(f"unknown axis {axis!r}: expected x, y or z")
    if image.dim == 2:
        if index is not None:
            raise UsageError(f"slice={index} given for a 2D image")
        return image
    if image.dim != 3:
        raise UsageError(f"cannot draw a {image.dim}D image")
    k = AXES.index(axis)  # ITK axis
    np_axis = image.dim - 1 - k
    n = image.array.shape[np_axis]
    chosen = n // 2 if index is None else index
    if not 0 <= chosen < n:
        raise UsageError(f"slice {chosen} is out of range: axis {axis} has {n} slices (0..{n - 1})")
    import numpy as np

    plane = np.take(image.array, chosen, axis=np_axis)
    if axis != "z":
        plane = plane[::-1]  # rows are z: draw the last slice at the top (superior up, as viewers do)
    keep = [i for i in range(3) if i != k]
    return Image.from_array(
        plane,
        spacing=[image.spacing[i] for i in keep],
        origin=[image.origin[i] for i in keep],
        components=image.components,
    )


def image_png(image: Image, index: int | None = None, axis: str = "z") -> bytes:
    """PNG bytes of a slice of `image`, windowed over the whole image."""
    from voxcas.primitives.imageio import window_uint8, write_image

    windowed = image.with_array(window_uint8(image.array), image.components)
    picture = slice_image(windowed, index, axis)
    if picture.components not in (1, 3, 4):
        raise UsageError(f"cannot draw an image with {picture.components} components as PNG")
    with tempfile.TemporaryDirectory(prefix="vox-png-") as tmp:
        path = Path(tmp) / "slice.png"
        write_image(picture, path)
        return path.read_bytes()
