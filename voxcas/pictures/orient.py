"""Radiological orientation: which way a slice is drawn, decided by the image's direction cosines.

`oriented(image)` turns a 3D image into the axis order and signs DICOM calls LPS, with
SimpleITK's `DICOMOrient`: voxel index x then runs from the patient's right to left, y from
anterior to posterior, z from inferior to superior, whatever order the file stored them in
(a NIfTI stored RAS, an LPS DICOM series, a sagittal acquisition). The voxels are only permuted
and flipped, never resampled; an oblique volume takes the closest such axes.

`plane(volume, axis, index)` then cuts one slice of an oriented volume and lays it out as
radiologists read it (and ITK-SNAP and 3D Slicer show it):

| axis | plane | right of the picture | top of the picture |
|---|---|---|---|
| z | axial | patient's left | anterior |
| y | coronal | patient's left | superior |
| x | sagittal | posterior | superior |

A 2D image is drawn as stored (row 0 at the top), with no reorientation. The returned `Plane`
carries the physical size of its pixels (row and column spacing), so pictures keep the voxel
aspect of the acquisition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voxcas.errors import UsageError
from voxcas.values import Image

if TYPE_CHECKING:
    import numpy as np

AXIS_INDEX = {"x": 0, "y": 1, "z": 2}  # ITK axis of each name


@dataclass(frozen=True, slots=True)
class Plane:
    """A slice laid out for display: `array[row, column(, channel)]`, rows top to bottom."""

    array: np.ndarray
    row_mm: float
    col_mm: float


def orientation_code(image: Image) -> str:
    """The three-letter DICOM orientation of a 3D image's axes ("LPS", "RAS", ...)."""
    from voxcas.primitives.imageio import sitk_module

    code: str = sitk_module().DICOMOrientImageFilter.GetOrientationFromDirectionCosines(image.direction)
    return code


def oriented(image: Image) -> Image:
    """The 3D image with its axes in LPS order (index x right→left, y anterior→posterior, z
    inferior→superior); a 2D image as it is."""
    if image.dim == 2:
        return image
    if image.dim != 3:
        raise UsageError(f"cannot draw a {image.dim}D image")
    if orientation_code(image) == "LPS":
        return image
    from voxcas.primitives.imageio import from_sitk, sitk_module, to_sitk

    result = from_sitk(sitk_module().DICOMOrient(to_sitk(image), "LPS"))
    if image.array.dtype.kind == "b":  # to_sitk stores masks as uint8 0/1: give the bools back
        result = result.with_array(result.array.astype(bool), result.components)
    return result


def slice_count(volume: Image, axis: str) -> int:
    """How many slices an oriented volume has across `axis` (1 for a 2D image)."""
    if volume.dim == 2:
        return 1
    return volume.size[AXIS_INDEX[axis]]


def plane(volume: Image, axis: str, index: int) -> Plane:
    """Slice `index` across `axis` of an oriented volume (a 2D image is its own only slice)."""
    if volume.dim == 2:
        if index != 0:
            raise UsageError(f"slice {index} is out of range: a 2D image has one slice (0)")
        return Plane(volume.array, volume.spacing[1], volume.spacing[0])
    n = slice_count(volume, axis)
    if not 0 <= index < n:
        raise UsageError(f"slice {index} is out of range: axis {axis} has {n} slices (0..{n - 1})")
    a = volume.array  # [z, y, x(, c)]
    sx, sy, sz = volume.spacing
    if axis == "z":
        return Plane(a[index], sy, sx)
    if axis == "y":
        return Plane(a[::-1, index], sz, sx)
    return Plane(a[::-1, :, index], sz, sy)


def centre_index(mask: np.ndarray, axis: str) -> int | None:
    """The slice (across `axis`) through the centre of mass of an oriented mask's voxels; None if empty."""
    import numpy as np

    if mask.ndim == 2:
        return 0
    np_axis = 2 - AXIS_INDEX[axis]
    others = tuple(i for i in range(3) if i != np_axis)
    profile = np.count_nonzero(mask, axis=others)
    total = int(profile.sum())
    if total == 0:
        return None
    mean = float((profile * np.arange(profile.size)).sum()) / total
    return int(np.floor(mean + 0.5))
