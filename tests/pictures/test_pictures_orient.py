"""Radiological orientation: the same anatomy gives the same picture however the file stores it.

The oracle is the construction itself: the test volume is made in LPS index order (x towards the
patient's left, y towards posterior, z towards superior), where an axial picture is simply the
array's slice and coronal/sagittal pictures are that array read bottom-up; the same voxels are
then stored RAS (both in-plane axes flipped) and in a sagittal order (axes permuted), with
direction cosines and origins that put every voxel at the same physical point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxcas.pictures import parse_view, render
from voxcas.pictures.orient import orientation_code, oriented
from voxcas.primitives.imageio import read_image, write_image
from voxcas.values import Image

NZ, NY, NX = 6, 8, 10


def lps_volume() -> Image:
    """uint8 (shown as stored), dim background, a bright block at the patient's left, anterior,
    superior corner and a grey bar along the right side: nothing is symmetric."""
    a = np.full((NZ, NY, NX), 40, np.uint8)
    a[4:6, 1:3, 7:9] = 255  # left (high x), anterior (low y), superior (high z)
    a[:, 5, 0:2] = 120  # right (low x), posterior half, every slice
    return Image.from_array(a, spacing=(1.0, 1.0, 1.0), origin=(-20.0, 5.0, 7.0))


def ras_stored(lps: Image) -> Image:
    """The same voxels stored with x towards the right and y towards anterior (NIfTI's usual RAS)."""
    sx, sy, _ = lps.spacing
    ox, oy, oz = lps.origin
    origin = (ox + (NX - 1) * sx, oy + (NY - 1) * sy, oz)
    return Image(lps.array[:, ::-1, ::-1].copy(), lps.spacing, origin, (-1, 0, 0, 0, -1, 0, 0, 0, 1))


def sagittal_stored(lps: Image) -> Image:
    """Stored with index axis 0 along superior, 1 along posterior, 2 along left (axes permuted)."""
    sx, sy, sz = lps.spacing
    array = np.ascontiguousarray(lps.array.transpose(2, 1, 0))  # numpy [x, y, z]
    return Image(array, (sz, sy, sx), lps.origin, (0, 0, 1, 0, 1, 0, 1, 0, 0))


def physical(image: Image, index: tuple[int, int, int]) -> np.ndarray:
    d = np.array(image.direction).reshape(3, 3)
    return np.array(image.origin) + d @ (np.array(index) * np.array(image.spacing))


def test_the_three_storages_put_the_marker_at_the_same_physical_point() -> None:
    lps = lps_volume()
    ras, sag = ras_stored(lps), sagittal_stored(lps)
    assert (orientation_code(lps), orientation_code(ras)) == ("LPS", "RAS")
    point = physical(lps, (7, 1, 4))  # ITK index (x, y, z) of a marker voxel
    np.testing.assert_allclose(physical(ras, (NX - 1 - 7, NY - 1 - 1, 4)), point)
    np.testing.assert_allclose(physical(sag, (4, 1, 7)), point)
    assert ras.array[4, NY - 1 - 1, NX - 1 - 7] == 255 and sag.array[7, 1, 4] == 255


@pytest.mark.parametrize(
    "storage", [lambda v: v, ras_stored, sagittal_stored], ids=["lps", "ras", "sagittal"]
)
@pytest.mark.parametrize("axis", ["axial", "coronal", "sagittal"])
def test_every_storage_gives_the_radiological_picture(storage: object, axis: str) -> None:
    lps = lps_volume()
    stored = storage(lps)  # type: ignore[operator]
    view = parse_view(f"axis={axis} slice=4 zoom=1")
    a = lps.array
    expected = {"axial": a[4], "coronal": a[::-1, 4, :], "sagittal": a[::-1, :, 4]}[axis]
    assert np.array_equal(render(stored, view).array, expected)


def test_the_marker_is_where_a_radiologist_looks_for_it() -> None:
    ras = ras_stored(lps_volume())
    axial = render(ras, parse_view("slice=4 zoom=1")).array
    rows, cols = np.nonzero(axial == 255)
    assert cols.min() > NX // 2 and rows.max() < NY // 2  # patient's left on the right, anterior up
    coronal = render(ras, parse_view("axis=coronal slice=1 zoom=1")).array
    rows, cols = np.nonzero(coronal == 255)
    assert cols.min() > NX // 2 and rows.max() < NZ // 2  # left on the right, superior up
    sagittal = render(ras, parse_view("axis=sagittal slice=7 zoom=1")).array
    rows, cols = np.nonzero(sagittal == 255)
    assert cols.max() < NY // 2 and rows.max() < NZ // 2  # anterior on the left, superior up


def test_files_stored_ras_and_lps_save_the_same_png(tmp_path: Path) -> None:
    from voxcas.output import write_value

    lps = lps_volume()
    for name, image in (("lps", lps), ("ras", ras_stored(lps))):
        write_image(image, tmp_path / f"{name}.nii.gz")
        write_value(read_image(tmp_path / f"{name}.nii.gz"), tmp_path / f"{name}.png")
    assert read_image(tmp_path / "ras.nii.gz").direction == (-1, 0, 0, 0, -1, 0, 0, 0, 1)
    assert np.array_equal(read_image(tmp_path / "lps.png").array, read_image(tmp_path / "ras.png").array)


def test_orientation_keeps_masks_boolean_and_leaves_lps_volumes_alone() -> None:
    lps = lps_volume()
    assert oriented(lps) is lps
    mask = ras_stored(lps).with_array(ras_stored(lps).array == 255)
    turned = oriented(mask)
    assert turned.array.dtype == np.bool_
    assert np.array_equal(turned.array, lps.array == 255)
