"""The simpleitk namespace: generated from SimpleITK's signatures, images crossing without loss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from voxcas.errors import InputFileError, PrimitiveError
from voxcas.primitives.imageio import from_sitk, to_sitk, write_image
from voxcas.primitives.registry import default_registry
from voxcas.primitives.simpleitk import kind_of_ctype, parse_signatures, split_top_level
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"simpleitk.{name}")(*args)


def volume() -> Image:
    data = np.arange(6 * 7 * 8, dtype=np.int16).reshape(6, 7, 8)
    return Image.from_array(data, spacing=(0.5, 1.5, 2.0), origin=(1.0, 2.0, 3.0))


def test_signatures_are_split_outside_brackets_and_parsed_into_names_and_types() -> None:
    doc = (
        "Extract(Image image1, VectorUInt32 size=std::vector< unsigned int >(5, 1), "
        "VectorInt32 index=std::vector< int >(5, 0)) -> Image"
    )
    (ov,) = parse_signatures("Extract", doc)
    assert [(p.name, p.ctype, p.optional) for p in ov.params] == [
        ("image1", "Image", False),
        ("size", "VectorUInt32", True),
        ("index", "VectorInt32", True),
    ]
    assert split_top_level("a, f(1, 2), b<c, d>") == ["a", "f(1, 2)", "b<c, d>"]
    assert [kind_of_ctype(t) for t in ("Image", "uint8_t", "double", "VectorDouble", "bool")] == [
        "image",
        "number",
        "number",
        "seq",
        "bool",
    ]


def test_every_procedural_filter_is_registered_with_a_one_line_doc() -> None:
    ns = default_registry().namespace("simpleitk")
    for name in ("BinaryThreshold", "CurvatureFlow", "RescaleIntensity", "Extract", "Add", "OtsuThreshold"):
        prim = ns.primitives[name]
        assert prim.doc.startswith(f"SimpleITK {name}(") and "\n" not in prim.doc
        assert prim.version == "1"
    assert len(ns.primitives) > 250
    assert "Show" not in ns.primitives and "GetArrayFromImage" not in ns.primitives


def test_arity_follows_the_overloads() -> None:
    prim = default_registry().get("simpleitk.BinaryThreshold")
    assert (prim.min_arity, prim.max_arity) == (1, 5)
    assert default_registry().get("simpleitk.Add").accepts(2)


def test_a_filter_gives_the_same_voxels_as_calling_simpleitk_directly() -> None:
    image = volume()
    ours = call("BinaryThreshold", image, 10, 200.0, 1, 0)
    direct = from_sitk(sitk.BinaryThreshold(to_sitk(image), 10.0, 200.0, 1, 0))
    assert ours.equals(direct)
    assert ours.spacing == image.spacing and ours.origin == image.origin


def test_integral_floats_are_accepted_where_simpleitk_wants_integers() -> None:
    ours = call("BinaryThreshold", volume(), 10, 200, 1.0, 0.0)
    assert ours.array.dtype == np.uint8 and int(ours.array.max()) == 1


def test_a_fractional_number_where_an_integer_is_expected_names_the_argument() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("BinaryThreshold", volume(), 10, 200, 1.5)
    assert (
        str(info.value) == "simpleitk.BinaryThreshold: argument 'insideValue': expected an integer, got 1.5"
    )


def test_overloads_are_chosen_by_argument_kind() -> None:
    image = volume()
    assert np.array_equal(call("Add", image, 2).array, image.array + 2)
    assert np.array_equal(call("Add", 3, image).array, image.array + 3)
    assert np.array_equal(call("Add", image, image).array, image.array * 2)


def test_no_matching_overload_is_a_clear_error() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("Add", "x", volume())
    assert str(info.value).startswith("simpleitk.Add: no form of Add accepts (str, image); its forms take ")


def test_vector_arguments_and_enumerations_by_name() -> None:
    image = volume()
    sub = call("Extract", image, [8, 7, 1], [0, 0, 2])
    assert sub.size == (8, 7, 1) and np.array_equal(sub.array[0], image.array[2])
    cast = call("Cast", image, "sitkFloat32")
    assert cast.array.dtype == np.float32


def test_minimum_maximum_and_statistics_are_lists() -> None:
    image = volume()
    assert call("MinimumMaximum", image) == [0.0, float(image.array.max())]
    stats = call("Statistics", image)
    data = image.array.astype(np.float64)
    assert stats[:3] == [0.0, float(data.max()), pytest.approx(data.mean())]
    assert stats[3] == pytest.approx(data.std(ddof=1))
    assert stats[4] == pytest.approx(data.var(ddof=1))
    assert stats[5:] == [float(data.sum()), data.size]


def test_read_image_reads_a_file_and_can_cast_it(tmp_path: Path) -> None:
    write_image(volume(), tmp_path / "v.nii.gz")
    prim = default_registry().get("simpleitk.ReadImage")
    assert prim.reads_files and prim.path_params == (0,)
    assert call("ReadImage", str(tmp_path / "v.nii.gz")).equals(volume())
    assert call("ReadImage", str(tmp_path / "v.nii.gz"), "sitkFloat64").array.dtype == np.float64


def test_read_image_of_a_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        call("ReadImage", str(tmp_path / "none.nii"))
    assert str(info.value) == f"cannot read image '{tmp_path / 'none.nii'}': no such file or directory"


def test_smoothing_wrappers_accept_one_sigma_for_every_axis() -> None:
    image = call("Cast", volume(), "sitkFloat32")
    ours = call("SmoothingRecursiveGaussian", image, 2.0)
    direct = from_sitk(sitk.SmoothingRecursiveGaussian(to_sitk(image), [2.0, 2.0, 2.0]))
    assert ours.equals(direct)
    assert call("DiscreteGaussian", image).equals(from_sitk(sitk.DiscreteGaussian(to_sitk(image))))


def test_itk_failures_become_one_line_errors_without_addresses() -> None:
    flat = Image.from_array(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(PrimitiveError) as info:
        call("SmoothingRecursiveGaussian", flat, 1.0)
    message = str(info.value)
    assert message.startswith("simpleitk.SmoothingRecursiveGaussian: ")
    assert "\n" not in message and "0x" not in message
    assert "minimum of four pixels" in message


def test_write_image_writes_and_returns_the_file_name(tmp_path: Path) -> None:
    target = str(tmp_path / "w.mha")
    assert call("WriteImage", volume(), target) == target
    assert not default_registry().get("simpleitk.WriteImage").pure
    assert from_sitk(sitk.ReadImage(target)).equals(volume())
