"""Runtime values: the Image type and how print renders values."""

from __future__ import annotations

import numpy as np
import pytest

from voxcas.values import Image, format_value, kind_of


def test_an_image_reports_its_size_in_itk_order() -> None:
    img = Image.from_array(np.zeros((3, 4, 5), np.uint8), spacing=(1.0, 2.0, 3.0))
    assert img.size == (5, 4, 3)
    assert img.dim == 3
    assert img.direction == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    assert img.summary() == "image(5x4x3, uint8, spacing 1.0x2.0x3.0)"


def test_a_vector_image_keeps_its_components_on_the_last_axis() -> None:
    img = Image.from_array(np.zeros((4, 5, 3), np.uint8), components=3)
    assert img.size == (5, 4)
    assert img.pixel_type == "vector<uint8>x3"


def test_an_image_with_mismatched_geometry_is_refused() -> None:
    with pytest.raises(ValueError, match="image array has 2 axes, expected 3"):
        Image(np.zeros((2, 2)), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1.0,) * 9)


def test_images_compare_by_content_and_geometry() -> None:
    a = Image.from_array(np.arange(6.0).reshape(2, 3))
    assert a.equals(Image.from_array(np.arange(6.0).reshape(2, 3)))
    assert not a.equals(Image.from_array(np.arange(6.0).reshape(2, 3), spacing=(2.0, 1.0)))
    assert a.same_geometry(Image.from_array(np.zeros((2, 3))))
    assert not a.same_geometry(Image.from_array(np.zeros((3, 2))))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (2.5, "2.5"),
        (1.0, "1.0"),
        (True, "true"),
        (False, "false"),
        ("hello", "hello"),
        ([1, 2.5, "a"], '[1, 2.5, "a"]'),
        ([], "[]"),
        (range(3), "[0, 1, 2]"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (np.int64(4), "4"),
        (np.float32(0.5), "0.5"),
        (np.bool_(True), "true"),
        (None, "null"),
        ({"a": 1}, '{"a": 1}'),
    ],
)
def test_print_renders_each_kind_as_the_language_spec_says(value: object, text: str) -> None:
    assert format_value(value) == text


def test_kinds_are_named_for_error_messages() -> None:
    assert kind_of(np.zeros(2)) == "ndarray"
    assert kind_of(Image.from_array(np.zeros((2, 2)))) == "image"
    assert kind_of((1, 2)) == "sequence"
    assert kind_of(b"x") == "bytes"


def test_a_sequence_of_a_billion_items_prints_its_first_items_and_its_length() -> None:
    from voxcas.values import MAX_PRINTED_ITEMS

    text = format_value(range(10**9))
    assert text.startswith("[0, 1, 2, ")
    assert text.endswith(f", {MAX_PRINTED_ITEMS - 1}, … (1,000,000,000 items, the first 100,000 shown)]")
    assert format_value(range(3)) == "[0, 1, 2]"
