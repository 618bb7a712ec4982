"""write_value: the file a `save` goal or `vox cat -o` writes, chosen by extension."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.errors import PrimitiveError
from voxcas.output import write_value
from voxcas.primitives.imageio import read_image
from voxcas.values import Image


def test_an_image_is_written_in_the_format_of_its_extension_with_parents_created(tmp_path: Path) -> None:
    image = Image.from_array(np.arange(24, dtype=np.float32).reshape(2, 3, 4), spacing=(1, 2, 3))
    path = tmp_path / "a" / "b" / "out.nrrd"
    write_value(image, path)
    assert read_image(path).equals(image)


def test_a_boolean_mask_png_is_black_and_white(tmp_path: Path) -> None:
    mask = Image.from_array(np.array([[True, False], [False, True]]))
    write_value(mask, tmp_path / "m.png")
    assert read_image(tmp_path / "m.png").array.tolist() == [[255, 0], [0, 255]]


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_json_keeps_values_exactly(tmp_path_factory: pytest.TempPathFactory, value: object) -> None:
    path = tmp_path_factory.mktemp("j") / "v.json"
    write_value(value, path)
    assert json.loads(path.read_text(encoding="utf-8")) == value


def test_json_writes_tuples_and_numpy_scalars_as_plain_numbers(tmp_path: Path) -> None:
    write_value((np.int64(3), np.float32(0.5), range(2)), tmp_path / "v.json")
    assert json.loads((tmp_path / "v.json").read_text()) == [3, 0.5, [0, 1]]


def test_csv_writes_one_number_per_line_or_one_row_per_sequence(tmp_path: Path) -> None:
    write_value([1, 2.5, 0.1], tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text() == "1\n2.5\n0.1\n"
    write_value([[1, "x", True], [2, "y, z", math.inf]], tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text() == '1,x,true\n2,"y, z",inf\n'


def test_txt_writes_what_print_shows(tmp_path: Path) -> None:
    write_value([1, 2.5, "a"], tmp_path / "t.txt")
    assert (tmp_path / "t.txt").read_text() == '[1, 2.5, "a"]\n'
    write_value(Image.from_array(np.zeros((2, 3), np.uint8)), tmp_path / "i.txt")
    assert (tmp_path / "i.txt").read_text() == "image(3x2, uint8, spacing 1.0x1.0)\n"


def test_an_unknown_extension_for_an_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_value(Image.from_array(np.zeros((2, 2))), tmp_path / "x.xyz")
    assert str(info.value) == (
        f"save: cannot write an image to '{tmp_path / 'x.xyz'}': unknown extension '.xyz' "
        "(use .nii.gz, .mha, .nrrd, .png, ...)"
    )


def test_an_unknown_extension_for_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_value(3, tmp_path / "x")
    assert (
        str(info.value)
        == f"save: cannot write an int to '{tmp_path / 'x'}': unknown extension 'x' (use .json, .csv or .txt)"
    )


def test_a_number_cannot_be_saved_as_an_image(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_value(3.5, tmp_path / "x.nii.gz")
    assert (
        str(info.value)
        == f"save: cannot write a float to '{tmp_path / 'x.nii.gz'}': '.nii.gz' is an image format"
    )


def test_an_image_cannot_go_in_json_or_csv(tmp_path: Path) -> None:
    image = Image.from_array(np.zeros((2, 2)))
    with pytest.raises(PrimitiveError) as info:
        write_value([image], tmp_path / "x.json")
    assert str(info.value) == (
        f"save: cannot write an image to the JSON file '{tmp_path / 'x.json'}' "
        "(use .nii.gz, .mha, .nrrd or .png)"
    )
    with pytest.raises(PrimitiveError) as info:
        write_value(5, tmp_path / "x.csv")
    assert (
        str(info.value)
        == f"save: cannot write an int to the CSV file '{tmp_path / 'x.csv'}': expected a sequence"
    )


def test_a_sequence_saved_to_a_name_with_a_format_field_writes_one_file_per_item(tmp_path: Path) -> None:
    images = [Image.from_array(np.full((2, 2), k, np.int16)) for k in range(3)]
    write_value(images, tmp_path / "out" / "case_{:03d}.nii.gz")
    for k in range(3):
        assert read_image(tmp_path / "out" / f"case_{k:03d}.nii.gz").equals(images[k])
    write_value([1, 2], tmp_path / "n_{}.json")
    assert json.loads((tmp_path / "n_1.json").read_text()) == 2


def test_a_file_name_template_reaching_into_attributes_writes_nothing(tmp_path: Path) -> None:
    slash = "{0.__truediv__.__doc__[11]}"  # "/" with plain str.format
    with pytest.raises(PrimitiveError, match="is not allowed"):
        write_value([1, 2], tmp_path / "sub" / f"..{slash}x_{{}}.json")
    assert not list(tmp_path.rglob("x_*"))


def test_a_bad_file_name_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        write_value([1], tmp_path / "x_{name}.json")
    assert (
        str(info.value)
        == "save: bad file name template 'x_{name}.json': "
        "field {name} is not allowed: use {} or a field number such as {0} (no names, attributes or indexing)"
    )
