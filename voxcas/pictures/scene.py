"""What a picture is drawn from: an image and its overlays, oriented and checked once (`Scene`).

`prepare(image, masks=(), labels=None)` does the work that concerns whole volumes, so that every
slice drawn afterwards (`voxcas.pictures.draw`) costs only that slice; the viewer keeps scenes
in memory while a user scrolls:

- the image and each overlay are turned to radiological orientation (`orient.oriented`);
- the automatic window: the 0.5th–99.5th percentiles of the whole image
  (`imageio.window_limits`), so all slices of a volume share one window; uint8 images are shown as
  stored (0 black … 255 white), masks as 0 black / 1 white;
- the overlay becomes one label volume (uint16): mask *i* (counted from 1) is label *i*, a later
  mask drawn over an earlier one; a label map keeps its values, and the values present are kept
  for the legend.

Overlays must have the image's size, spacing, origin and direction (relative tolerance 1e-4, as
NIfTI stores geometry in float32); masks must be boolean or hold only 0 and 1; label maps must
hold whole numbers from 0 to 65535. Each problem is a `UsageError` naming the overlay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voxcas.errors import UsageError
from voxcas.pictures.orient import oriented
from voxcas.values import Image, format_number

if TYPE_CHECKING:
    import numpy as np

GEOMETRY_TOLERANCE = 1e-4
MAX_LABEL = 65535


@dataclass(frozen=True, slots=True)
class Scene:
    """An oriented image with its automatic window and its overlay (a label volume, or None)."""

    volume: Image
    auto_window: tuple[float, float]
    overlay: np.ndarray | None = None  # uint16, oriented like `volume.array`
    kind: str = "none"  # none | masks | labels
    values: tuple[int, ...] = ()  # the labels present in the overlay (masks: 1 … number of masks)

    @property
    def is_grey(self) -> bool:
        return self.volume.components == 1


def prepare(image: Image, masks: Sequence[Image] = (), labels: Image | None = None) -> Scene:
    """Check and orient an image and its overlays once (see the module docstring)."""
    if image.dim not in (2, 3):
        raise UsageError(f"cannot draw a {image.dim}D image")
    if image.components not in (1, 3, 4):
        raise UsageError(f"cannot draw an image with {image.components} components")
    if masks and labels is not None:
        raise UsageError("give masks or a label map to overlay, not both")
    if (masks or labels is not None) and image.components != 1:
        raise UsageError("overlays are drawn on grey images, and this image has colour pixels")
    volume = oriented(image)
    window = auto_window(volume.array, volume.components)
    if masks:
        layers = [oriented(_checked(image, m, f"mask {i + 1}")) for i, m in enumerate(masks)]
        return Scene(volume, window, _combine(layers), "masks", tuple(range(1, len(masks) + 1)))
    if labels is not None:
        label_volume = _label_values(oriented(_checked(image, labels, "the label map")))
        import numpy as np

        present = tuple(int(v) for v in np.unique(label_volume) if v > 0)
        return Scene(volume, window, label_volume, "labels", present)
    return Scene(volume, window)


def auto_window(array: np.ndarray, components: int = 1) -> tuple[float, float]:
    """The window a picture of `array` gets when none is asked for (see the module docstring)."""
    from voxcas.primitives.imageio import window_limits

    if array.dtype.kind == "b":
        return 0.0, 1.0
    if str(array.dtype) == "uint8":
        return 0.0, 255.0
    limits = window_limits(array if components == 1 else array[..., :3])
    if limits is None:  # nothing finite
        return 0.0, 1.0
    lo, hi = limits
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _geometry(image: Image) -> str:
    spacing = "x".join(format_number(s) for s in image.spacing)
    return f"size {'x'.join(str(n) for n in image.size)}, spacing {spacing}"


def _checked(image: Image, overlay: Image, what: str) -> Image:
    if overlay.components != 1:
        raise UsageError(f"{what} has {overlay.components} components: an overlay is a grey image")
    close = overlay.size == image.size and all(
        abs(a - b) <= GEOMETRY_TOLERANCE * max(1.0, abs(a), abs(b))
        for a, b in zip(
            (*overlay.spacing, *overlay.origin, *overlay.direction),
            (*image.spacing, *image.origin, *image.direction),
            strict=True,
        )
    )
    if not close:
        raise UsageError(
            f"{what} does not lie on the image's grid: it has {_geometry(overlay)}, "
            f"the image {_geometry(image)} (or a different origin or direction)"
        )
    return overlay


def _combine(masks: Sequence[Image]) -> np.ndarray:
    import numpy as np

    out = np.zeros(masks[0].array.shape, np.uint16)
    for i, mask in enumerate(masks):
        data = mask.array
        if data.dtype.kind != "b":
            if data.dtype.kind not in "iu" or not np.isin(data, (0, 1)).all():
                raise UsageError(
                    f"mask {i + 1} is not a mask: it holds {data.dtype} values other than 0 and 1 "
                    "(overlay it as a label map)"
                )
            data = data.astype(bool)
        out[data] = i + 1
    return out


def _label_values(labels: Image) -> np.ndarray:
    import numpy as np

    data = labels.array
    if data.dtype.kind == "b":
        return data.astype(np.uint16)
    if data.dtype.kind == "f":
        finite = np.isfinite(data).all()
        if not finite or not np.array_equal(data, np.round(data)):
            raise UsageError("the label map holds fractional values: labels are whole numbers")
    elif data.dtype.kind not in "iu":
        raise UsageError(f"the label map holds {data.dtype} values: labels are whole numbers")
    if data.size and (data.min() < 0 or data.max() > MAX_LABEL):
        raise UsageError(
            f"the label map holds values from {format_number(data.min().item())} to "
            f"{format_number(data.max().item())}: labels go from 0 to {MAX_LABEL}"
        )
    return data.astype(np.uint16)
