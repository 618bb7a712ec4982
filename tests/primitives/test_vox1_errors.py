"""vox1 refuses bad arguments with one clear line naming the primitive and the argument."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"vox1.{name}")(*args)


def img(array: np.ndarray, spacing: tuple[float, ...] | None = None) -> Image:
    return Image.from_array(np.asarray(array), spacing=spacing)


def test_a_float_image_where_a_mask_is_expected_names_primitive_argument_and_pixel_type() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("near", img(np.zeros((3, 3), np.float32)))
    assert str(info.value) == "vox1.near: argument 'a': expected a boolean image, got float32 values"
    assert info.value.primitive == "vox1.near" and info.value.argument == "a"


def test_an_integer_image_is_a_mask_of_its_non_zero_voxels() -> None:
    import SimpleITK as sitk

    values = np.random.default_rng(3).integers(0, 40, (6, 5, 4)).astype(np.int16)
    # the 0/255 mask SimpleITK's BinaryThreshold writes, as VoxLogicA-2 programs get it
    thresholded = sitk.BinaryThreshold(sitk.GetImageFromArray(values), 20, 1000, 255, 0)
    mask = sitk.GetArrayFromImage(thresholded)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 255}
    assert call("volume", img(mask)) == int(np.sum(values >= 20))
    labels = np.where(values > 30, -2, values % 3).astype(np.int32)
    assert call("volume", img(labels)) == int(np.sum(labels != 0))
    near = call("near", img(mask)).array
    assert near.dtype == np.bool_ and np.array_equal(near, call("near", img(mask > 0)).array)


def test_a_float64_image_where_a_mask_is_expected_is_refused() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("through", img(np.zeros((2, 2), bool)), img(np.full((2, 2), 1.0)))
    assert str(info.value) == "vox1.through: argument 'b': expected a boolean image, got float64 values"


def test_a_number_where_a_mask_is_expected_is_refused() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("interior", 3)
    assert str(info.value) == "vox1.interior: argument 'a': expected a boolean image, got int"


def test_images_of_different_sizes_are_refused_naming_both_sizes() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("and", img(np.zeros((4, 5, 6), bool)), img(np.zeros((4, 5, 7), bool)))
    assert str(info.value) == "vox1.and: images of different sizes: a is 6x5x4, b is 7x5x4"


def test_images_of_the_same_size_with_different_spacing_are_refused() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("mask", img(np.zeros((2, 3), np.int16), (1.0, 1.0)), img(np.zeros((2, 3), bool), (1.0, 2.0)))
    assert str(info.value) == (
        "vox1.mask: images of size 3x2 with different geometry: i has spacing 1.0x1.0 origin (0.0,0.0), "
        "b has spacing 1.0x2.0 origin (0.0,0.0)"
    )


def test_avg_over_an_empty_mask_is_an_error() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("avg", img(np.ones((2, 2))), img(np.zeros((2, 2), bool)))
    assert str(info.value) == "vox1.avg: argument 'b': the mask is empty: no voxels to average"


def test_otsu_over_an_empty_mask_is_an_error() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("otsu", img(np.ones((2, 2))), img(np.zeros((2, 2), bool)), 8)
    assert str(info.value) == "vox1.otsu: argument 'b': the mask is empty: no voxels to threshold"


def test_a_non_integral_bin_count_is_refused_by_coercion() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("otsu", img(np.ones((2, 2))), img(np.ones((2, 2), bool)), 4.5)
    assert str(info.value) == "vox1.otsu: argument 'bins': expected an integer, got 4.5"


def test_cross_correlation_refuses_an_empty_histogram_range() -> None:
    i = img(np.ones((2, 2), np.float32))
    with pytest.raises(PrimitiveError) as info:
        call("crossCorrelation", 1, i, i, img(np.ones((2, 2), bool)), 3, 3, 4)
    assert str(info.value) == "vox1.crossCorrelation: argument 'm2': empty histogram range [3.0, 3.0)"


def test_alpha_of_an_image_without_an_alpha_channel_is_opaque_255_as_in_voxlogica() -> None:
    for image in (
        Image.from_array(np.zeros((2, 3, 3), np.uint8), components=3),
        img(np.arange(6, dtype=np.int16).reshape(2, 3)),
    ):
        out = call("alpha", image)
        assert out.array.dtype == np.float32 and out.array.shape == (2, 3)
        assert np.all(out.array == 255.0) and out.spacing == image.spacing


def test_thresholds_refuse_vector_images() -> None:
    rgb = Image.from_array(np.zeros((2, 2, 3), np.uint8), components=3)
    with pytest.raises(PrimitiveError) as info:
        call("geq_sv", 1, rgb)
    assert str(info.value) == "vox1.geq_sv: argument 'i': expected a scalar image, got 3 components"


def test_max_of_an_empty_sequence_is_an_error() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("max", [])
    assert str(info.value) == "vox1.max: argument 'i': empty sequence"


def test_geometry_primitives_need_a_base_image() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("tt", None)
    assert str(info.value) == "vox1.tt: no base image: load an image before using it"


def test_every_vox1_primitive_has_a_one_line_doc_and_version_1() -> None:
    for prim in default_registry().namespace("vox1").primitives.values():
        assert prim.doc and "\n" not in prim.doc, prim.name
        assert prim.version == "1"


def test_vox_run_reports_bad_image_input_with_the_source_position(tmp_path: Any) -> None:
    import gzip
    import subprocess
    import sys
    from pathlib import Path

    from voxcas.primitives.imageio import write_image

    root = Path(__file__).resolve().parents[2]
    write_image(Image.from_array(np.zeros((4, 5, 6), np.float32)), tmp_path / "img.nii.gz")
    write_image(Image.from_array(np.zeros((4, 5, 7), bool)), tmp_path / "other.nii.gz")
    (tmp_path / "corrupt.nii.gz").write_bytes(gzip.compress(b"garbage"))
    (tmp_path / "p.imgql").write_text(
        'import "vox1"\n'
        'img = load("img.nii.gz")\n'
        'other = load("other.nii.gz") >. 0\n'
        'print "n" volume(near(img))\n'
        'print "a" volume(and(img >. 0, other))\n'
        'save concat("x", ".xyz") img\n'  # computed: a literal path is checked before running
        'print "c" max(load("corrupt.nii.gz"))\n'
        'print "ok" volume(img >. -1)\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", "run", "p.imgql", "--store", str(tmp_path / ".vox")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stdout == "ok=120\n"  # the independent goal still completes
    errors = [line for line in done.stderr.splitlines() if line.startswith("p.imgql:")]
    assert errors == [
        "p.imgql:4:18: error: vox1.near: argument 'a': expected a boolean image, got float32 values",
        "p.imgql:5:18: error: vox1.and: images of different sizes: a is 6x5x4, b is 7x5x4",
        "p.imgql:6:1: error: save: cannot write an image to 'x.xyz': unknown extension '.xyz' "
        "(use .nii.gz, .mha, .nrrd, .png, ...)",
        "p.imgql:7:15: error: default.load: cannot read image 'corrupt.nii.gz': "
        "the file is corrupt or not a .nii.gz image",
    ]


def test_max_and_min_of_sequences_refuse_what_default_refuses_under_their_own_name() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("min", [1, "x", [2]])
    assert str(info.value) == "vox1.min: argument 'i[2]': expected a number, got sequence"
    with pytest.raises(PrimitiveError) as info:
        call("max", 3)
    assert str(info.value) == "vox1.max: argument 'i': expected a sequence, got int"
    assert call("max", ["a", "c", "b"]) == default_registry().get("default.max")(["a", "c", "b"]) == "c"
