"""Image files: SimpleITK round trips, every readable format, clear errors, windowing and overlays."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.errors import InputFileError, PrimitiveError
from voxcas.primitives.imageio import (
    IMAGE_EXTENSIONS,
    extension_of,
    from_sitk,
    overlay_rgb,
    read_image,
    to_sitk,
    window_uint8,
    write_image,
)
from voxcas.values import Image

GEOMETRY = {
    "spacing": (0.5, 1.25, 2.0),
    "origin": (10.0, -3.5, 7.25),
    "direction": (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
}


def volume(dtype: str = "int16", shape: tuple[int, ...] = (4, 5, 6)) -> Image:
    data = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    return Image.from_array(data, **GEOMETRY)  # type: ignore[arg-type]


PIXEL_IDS = [
    sitk.sitkUInt8,
    sitk.sitkInt8,
    sitk.sitkUInt16,
    sitk.sitkInt16,
    sitk.sitkUInt32,
    sitk.sitkInt32,
    sitk.sitkUInt64,
    sitk.sitkInt64,
    sitk.sitkFloat32,
    sitk.sitkFloat64,
    sitk.sitkVectorUInt8,
    sitk.sitkVectorFloat32,
]


@pytest.mark.parametrize("pixel_id", PIXEL_IDS)
def test_a_simpleitk_image_round_trips_with_pixel_type_and_geometry(pixel_id: int) -> None:
    components = 3 if pixel_id in (sitk.sitkVectorUInt8, sitk.sitkVectorFloat32) else 1
    original = sitk.Image([6, 5, 4], pixel_id, components)
    original = sitk.Add(original, 3) if components == 1 else original
    original.SetSpacing(GEOMETRY["spacing"])
    original.SetOrigin(GEOMETRY["origin"])
    original.SetDirection(GEOMETRY["direction"])
    image = from_sitk(original)
    assert image.size == (6, 5, 4) and image.components == components
    back = to_sitk(image)
    assert back.GetPixelID() == original.GetPixelID()
    assert back.GetSpacing() == original.GetSpacing()
    assert back.GetOrigin() == original.GetOrigin()
    assert back.GetDirection() == original.GetDirection()
    assert np.array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(original))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["uint8", "int16", "uint16", "int32", "float32", "float64"]), st.integers(0, 1000))
def test_an_image_round_trips_through_simpleitk(dtype: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = (rng.random((3, 4, 5)) * 100).astype(dtype)
    image = Image.from_array(data, **GEOMETRY)  # type: ignore[arg-type]
    assert from_sitk(to_sitk(image)).equals(image)


def test_a_boolean_mask_becomes_uint8_zero_one_in_simpleitk() -> None:
    mask = Image.from_array(np.array([[True, False], [False, True]]))
    img = to_sitk(mask)
    assert img.GetPixelID() == sitk.sitkUInt8
    assert sitk.GetArrayFromImage(img).tolist() == [[1, 0], [0, 1]]


def test_the_numpy_axis_order_is_z_y_x_and_geometry_is_x_y_z() -> None:
    img = sitk.Image([6, 5, 4], sitk.sitkUInt8)  # x=6, y=5, z=4
    img[5, 1, 2] = 9  # SimpleITK indexes (x, y, z)
    image = from_sitk(img)
    assert image.array.shape == (4, 5, 6)
    assert image.array[2, 1, 5] == 9


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".tif"])
def test_volumes_written_and_read_back_are_identical(tmp_path: Path, ext: str) -> None:
    image = volume("int16")
    if ext == ".tif":  # TIFF keeps no origin or direction
        image = Image.from_array(image.array, spacing=(0.5, 1.25, 1.0))  # nor the z spacing
    path = tmp_path / "sub" / f"v{ext}"
    write_image(image, path)
    back = read_image(path)
    assert back.array.dtype == np.int16
    assert np.array_equal(back.array, image.array)
    np.testing.assert_allclose(back.spacing, image.spacing, rtol=1e-6)
    if ext != ".tif":
        np.testing.assert_allclose(back.origin, image.origin, rtol=1e-6)
        np.testing.assert_allclose(back.direction, image.direction, atol=1e-6)


def test_a_mask_saved_as_nifti_reads_back_as_uint8_zero_one(tmp_path: Path) -> None:
    mask = Image.from_array(np.eye(3, dtype=bool))
    write_image(mask, tmp_path / "m.nii.gz")
    back = read_image(tmp_path / "m.nii.gz")
    assert back.array.dtype == np.uint8 and back.array.tolist() == np.eye(3, dtype=int).tolist()


def test_a_picture_file_takes_only_a_picture_as_it_is(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_image(volume("float32", (5, 3, 4)), tmp_path / "p.png")
    assert str(info.value) == (
        f"save: cannot write a 3D float32 image to the picture '{tmp_path / 'p.png'}' as it is: "
        "draw it first (voxcas.pictures.render)"
    )
    grey = Image.from_array(np.arange(12, dtype=np.uint8).reshape(3, 4))
    write_image(grey, tmp_path / "g.png")
    assert np.array_equal(read_image(tmp_path / "g.png").array, grey.array)


def test_an_rgb_png_reads_back_as_three_components(tmp_path: Path) -> None:
    rgb = Image.from_array(np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3), components=3)
    write_image(rgb, tmp_path / "c.png")
    back = read_image(tmp_path / "c.png")
    assert back.components == 3 and np.array_equal(back.array, rgb.array)


def test_a_jpeg_is_written_and_read(tmp_path: Path) -> None:
    grey = Image.from_array(np.full((8, 8), 100, np.uint8))
    write_image(grey, tmp_path / "g.jpg")
    back = read_image(tmp_path / "g.jpg")
    assert back.size == (8, 8) and abs(int(back.array.mean()) - 100) <= 2


def test_a_dicom_series_directory_is_read_as_one_volume(tmp_path: Path) -> None:
    data = (np.arange(3 * 4 * 5).reshape(3, 4, 5) * 10).astype(np.int16)
    for k in range(3):
        sl = sitk.GetImageFromArray(data[k])
        sl.SetSpacing((0.5, 0.5))
        writer = sitk.ImageFileWriter()
        writer.KeepOriginalImageUIDOn()
        sl.SetMetaData("0020|0032", f"0\\0\\{k * 2.0}")  # image position: z = 2k
        sl.SetMetaData("0020|0013", str(k + 1))
        sl.SetMetaData("0020|000e", "1.2.826.0.1.3680043.2.1125.1")
        sl.SetMetaData("0020|0037", "1\\0\\0\\0\\1\\0")
        writer.SetFileName(str(tmp_path / f"s{k}.dcm"))
        writer.Execute(sl)
    image = read_image(tmp_path)
    assert image.size == (5, 4, 3)
    assert np.array_equal(image.array, data)
    assert image.spacing[2] == pytest.approx(2.0)


def test_a_missing_file_is_an_input_file_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        read_image(tmp_path / "nope.nii.gz")
    assert str(info.value) == f"cannot read image '{tmp_path / 'nope.nii.gz'}': no such file or directory"
    assert isinstance(info.value, OSError)


def test_a_corrupt_file_is_an_input_file_error_not_a_simpleitk_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.nii.gz"
    path.write_bytes(gzip.compress(b"not a nifti header" * 10))
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value) == f"cannot read image '{path}': the file is corrupt or not a .nii.gz image"


def test_a_truncated_file_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "t.nii"
    write_image(volume(), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value) == f"cannot read image '{path}': the file is corrupt or not a .nii image"


def test_an_unknown_extension_is_refused_when_reading(tmp_path: Path) -> None:
    path = tmp_path / "x.xyz"
    path.write_bytes(b"abc")
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value) == (
        f"cannot read image '{path}': unknown image extension '.xyz' "
        "(use .nii, .nii.gz, .mha, .mhd, .nrrd, .nhdr, .png, .jpg, ...)"
    )


def test_a_directory_without_dicom_files_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        read_image(tmp_path)
    assert str(info.value) == f"cannot read image '{tmp_path}': the directory holds no DICOM series"


def test_an_unknown_extension_is_refused_when_writing(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_image(volume(), tmp_path / "x.xyz")
    assert str(info.value) == (
        f"save: cannot write an image to '{tmp_path / 'x.xyz'}': unknown image extension '.xyz' "
        "(use .nii.gz, .mha, .nrrd, .png, ...)"
    )


def test_extensions_are_recognised_case_insensitively_with_double_suffixes() -> None:
    assert extension_of("A/B.NII.GZ") == ".nii.gz"
    assert extension_of("x.mha") == ".mha"
    assert ".nii.gz" in IMAGE_EXTENSIONS and ".dcm" in IMAGE_EXTENSIONS


def test_windowing_keeps_uint8_maps_masks_to_0_255_and_stretches_percentiles() -> None:
    u8 = np.array([[3, 200]], np.uint8)
    assert window_uint8(u8) is u8
    assert window_uint8(np.array([[True, False]])).tolist() == [[255, 0]]
    ramp = np.linspace(0, 1000, 1001)
    out = window_uint8(ramp)
    lo, hi = np.percentile(ramp, [0.5, 99.5])
    assert out[0] == 0 and out[-1] == 255
    mid = 500.0
    assert out[500] == round((mid - lo) * 255 / (hi - lo))
    assert window_uint8(np.full((2, 2), 7.0)).tolist() == [[0, 0], [0, 0]]


def test_overlay_is_rgb_with_the_mask_blended() -> None:
    image = Image.from_array(np.full((2, 2, 2), 100, np.uint8), spacing=(1, 2, 3))
    mask = np.zeros((2, 2, 2), bool)
    mask[1, 1, 1] = True
    out = overlay_rgb(image, mask, (255, 0, 0), 0.5)
    assert out.components == 3 and out.spacing == (1.0, 2.0, 3.0)
    assert out.array[1, 1, 1].tolist() == [178, 50, 50]
    assert out.array[0, 0, 0].tolist() == [100, 100, 100]


def test_large_images_are_windowed_from_a_fixed_stride_sample() -> None:
    from voxcas.primitives.imageio import WINDOW_SAMPLE, window_limits

    data = np.random.default_rng(5).normal(100, 20, WINDOW_SAMPLE * 3 + 7).astype(np.float32)
    lo, hi = window_limits(data)  # type: ignore[misc]
    sample = data[:: -(-data.size // WINDOW_SAMPLE)].astype(np.float64)
    assert (lo, hi) == tuple(float(v) for v in np.percentile(sample, [0.5, 99.5]))
    exact = np.percentile(data, [0.5, 99.5])
    assert abs(lo - exact[0]) < 1.0 and abs(hi - exact[1]) < 1.0
    assert window_limits(np.full(3, np.nan)) is None


def test_overlay_of_an_rgb_image_blends_each_channel() -> None:
    rgb = np.zeros((1, 2, 3), np.uint8)
    rgb[0, 0] = [10, 100, 200]
    rgb[0, 1] = [20, 40, 60]
    mask = np.array([[True, False]])
    out = overlay_rgb(Image.from_array(rgb, components=3), mask, (0, 255, 0), 0.5)
    assert out.array[0, 0].tolist() == [5, 178, 100]
    assert out.array[0, 1].tolist() == [20, 40, 60]
