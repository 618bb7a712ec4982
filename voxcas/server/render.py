"""Values as the HTTP API shows them: JSON for scalars and containers, summaries for images, PNG slices.

- `value_to_json(value)`: null/bool/int/float/str as themselves (non-finite floats as the strings
  "nan", "inf", "-inf": JSON has no such numbers), sequences as lists, mappings as objects, images
  as `{"kind": "image", "summary", "size", "spacing", "origin", "direction", "pixel_type", ...}`,
  arrays as their shape and dtype, bytes as their length. Sequences longer than `max_items` are cut
  and say so (a dataset listing stays a small response).
- `image_png(image, slice, axis, view)`: a PNG of the picture `save "x.png"` would write
  (`voxcas.pictures`): radiological orientation, window, square pixels, readable size; `view` is
  the view text, `axis` (x sagittal, y coronal, z axial) and `slice` override its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


def image_png(image: Image, index: int | None = None, axis: str | None = None, view: str = "") -> bytes:
    """PNG bytes of the picture `voxcas.pictures` draws of `image`: the view text, with `axis` and
    the slice `index` (when given) in place of its own."""
    from dataclasses import replace

    from voxcas.pictures import parse_view, png_bytes, render

    parsed = parse_view(view)
    if axis is not None:
        if axis not in AXES:
            raise UsageError(f"unknown axis {axis!r}: expected x, y or z")
        parsed = replace(parsed, axis=axis)
    if index is not None:
        if parsed.mosaic is not None:
            raise UsageError("slice and mosaic cannot be combined (a mosaic shows evenly spaced slices)")
        parsed = parsed.with_slice(index)
    return png_bytes(render(image, parsed))
