"""The default namespace: operators on numbers, sequences and images; sequences; fold; conversions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"default.{name}")(*args)


def error(name: str, *args: Any) -> str:
    with pytest.raises(PrimitiveError) as info:
        call(name, *args)
    return str(info.value)


def test_arithmetic_on_numbers() -> None:
    assert call("+", 1, 2) == 3
    assert call("-", 10, 2.5) == 7.5
    assert call("-", 4) == -4
    assert call("*", 3, 4) == 12
    assert call("/", 7, 2) == 3.5
    assert call("%", 7, 4) == 3
    assert call("+", "a", "b") == "ab"


def test_division_by_zero_is_a_primitive_error() -> None:
    assert error("/", 1, 0) == "default./: division by zero"


def test_arithmetic_refuses_booleans_and_strings_naming_the_argument() -> None:
    assert error("+", 1, True) == "default.+: argument 'b': expected a number, got bool"
    assert error("*", "a", 2) == "default.*: argument 'a': expected a number, got str"


def test_arithmetic_is_element_wise_on_sequences_with_scalar_broadcast() -> None:
    assert call("+", [1, 2], [10, 20]) == [11, 22]
    assert call("*", range(3), 2) == [0, 2, 4]
    assert call("-", 10, (1, 2)) == [9, 8]
    assert error("+", [1], [1, 2]) == "default.+: sequences of different lengths: 1 and 2"


def image(
    values: list[list[float]], dtype: Any = np.float32, spacing: tuple[float, float] = (1.0, 1.0)
) -> Image:
    return Image.from_array(np.array(values, dtype=dtype), spacing=spacing)


def test_arithmetic_and_comparison_are_voxel_wise_on_images_with_scalar_broadcast() -> None:
    a = image([[1, 2], [3, 4]])
    b = image([[10, 20], [30, 40]])
    total = call("+", a, b)
    assert isinstance(total, Image) and total.array.tolist() == [[11, 22], [33, 44]]
    assert call("*", 2, a).array.tolist() == [[2, 4], [6, 8]]
    mask = call(">", a, 2)
    assert mask.array.dtype == np.bool_ and mask.array.tolist() == [[False, False], [True, True]]
    assert mask.spacing == a.spacing


def test_images_of_different_sizes_are_an_error_naming_both_sizes() -> None:
    a = image([[1, 2], [3, 4]])
    c = image([[1, 2, 3]])
    assert error("+", a, c) == "default.+: images of different sizes: 2x2 and 3x1"
    d = image([[1, 2], [3, 4]], spacing=(2.0, 1.0))
    assert error("-", a, d) == "default.-: images of size 2x2 with different spacing, origin or direction"


def test_logic_on_booleans_and_boolean_images() -> None:
    assert call("&&", True, False) is False
    assert call("||", True, False) is True
    assert call("!", False) is True
    a = image([[1, 0]], dtype=np.bool_)
    b = image([[1, 1]], dtype=np.bool_)
    assert call("&", a, b).array.tolist() == [[True, False]]
    assert call("|", a, False).array.tolist() == [[True, False]]
    assert call("!", a).array.tolist() == [[False, True]]
    assert error("&", image([[2.5]]), a) == "default.&: expected a boolean image, got pixel type float32"
    assert error("&&", 1, True) == "default.&&: argument 'a': expected a boolean, got int"


def test_comparisons_on_scalars_give_booleans() -> None:
    assert call("<", 1, 2) is True
    assert call("==", "a", "a") is True
    assert call(">=", 2.5, 3) is False


def test_range_is_lazy_and_index_counts_from_the_end_when_negative() -> None:
    r = call("range", 10**12)
    assert isinstance(r, range) and len(r) == 10**12
    assert call("range", 2, 5) == range(2, 5)
    assert call("index", [1, 2, 3], -1) == 3
    assert call("index", r, 5) == 5
    assert (
        error("index", [1, 2, 3], 3)
        == "default.index: argument 'i': index 3 out of range for a sequence of length 3"
    )
    assert call("index", [1, 2, 3], 1.0) == 2  # an integral float is accepted where an integer is expected
    assert error("index", [1, 2], 1.5) == "default.index: argument 'i': expected an integer, got 1.5"


def test_slice_follows_python_and_subsequence_checks_bounds() -> None:
    assert call("slice", [1, 2, 3, 4], 1, -1) == [2, 3]
    assert call("slice", [1, 2, 3], 5) == []
    assert call("subsequence", [1, 2, 3, 4], 1, 3) == [2, 3]
    assert error("subsequence", [1, 2], 1, 3) == (
        "default.subsequence: bounds 1:3 out of range for a sequence of length 2"
    )


def test_reductions_over_sequences() -> None:
    assert call("length", range(7)) == 7
    assert call("sum", [1, 2, 3]) == 6
    assert call("sum", []) == 0
    assert call("mean", [1, 2, 3, 4]) == 2.5
    assert call("min", [3, 1, 2]) == 1
    assert call("max", (3, 1, 2)) == 3
    assert call("argmax", [1, 5, 5, 2]) == 1
    assert call("argmin", [4, 1, 1]) == 1
    assert error("argmax", []) == "default.argmax: argument 's': empty sequence"
    assert error("mean", []) == "default.mean: argument 's': empty sequence"
    assert error("min", []) == "default.min: argument 's': empty sequence"


def test_fold_starts_where_the_spec_says() -> None:
    assert call("fold", "+", [1, 2, 3]) == 6
    assert call("fold", "-", [1, 2, 3]) == -6
    assert call("fold", "*", []) == 1
    assert call("fold", "&&", []) is True
    assert call("fold", "||", [False, True]) is True
    assert call("fold", "max", [3, 9, 2]) == 9
    assert call("fold", "min", 0, [3, 9, 2]) == 0
    assert call("fold", "-", 10, [1, 2]) == 7
    assert error("fold", "max", []) == (
        "default.fold: argument 's': fold max of an empty sequence needs an initial value"
    )
    assert error("fold", "~>", [1]) == (
        "default.fold: argument 'op': cannot fold with '~>' (use one of +, -, *, /, &&, ||, min, max)"
    )


def test_fold_over_images_adds_them_voxel_wise() -> None:
    a = image([[1, 2]])
    total = call("fold", "+", [a, a, a])
    assert isinstance(total, Image) and total.array.tolist() == [[3, 6]]


def test_loop_primitives_are_run_by_the_executor_only() -> None:
    assert error("for", [1], None) == "default.for: loops are run by the executor, not called as functions"


def test_strings_and_conversions() -> None:
    assert call("concat", "a", 1, 2.5, True) == "a12.5true"
    assert call("concat", [1], (2, 3)) == [1, 2, 3]
    assert call("format_string", "{:.2f}-{}", 3.14159, "x") == "3.14-x"
    assert error("format_string", "{:d}", "x").startswith(
        "default.format_string: argument 'template': bad template"
    )
    assert call("int", 2.9) == 2
    assert call("int", "42") == 42
    assert call("float", "0.5") == 0.5
    assert call("str", 1.0) == "1.0"
    assert call("str", [1, "a"]) == '[1, "a"]'
    assert error("int", "x") == "default.int: argument 'x': not a number: 'x'"


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=20))
def test_fold_plus_equals_sum_and_max_equals_the_builtin(items: list[int]) -> None:
    assert call("fold", "+", items) == sum(items) == call("sum", items)
    if items:
        assert call("fold", "max", items) == max(items)
        assert items[call("argmax", items)] == max(items)


@given(st.lists(st.integers(), max_size=10), st.integers(min_value=-12, max_value=12))
def test_index_agrees_with_python_or_reports_the_index_and_length(items: list[int], i: int) -> None:
    if -len(items) <= i < len(items):
        assert call("index", items, i) == items[i]
    else:
        assert error("index", items, i).endswith(
            f"index {i} out of range for a sequence of length {len(items)}"
        )


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%"])
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.uint8])
def test_a_number_on_the_left_keeps_the_image_pixel_type_as_on_the_right(op: str, dtype: Any) -> None:
    values = (np.arange(24).reshape(2, 3, 4) % 7 + 1).astype(dtype)
    image = Image.from_array(values)
    left, right = call(op, 4, image).array, call(op, image, 4).array
    # numpy's own answer for a Python number on either side (NEP 50: it is weakly typed)
    py_op = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod}[op]
    assert left.dtype == py_op(4, values).dtype == right.dtype
    assert np.array_equal(left, py_op(4, values)) and np.array_equal(right, py_op(values, 4))
    if dtype is np.float32:
        assert left.dtype == np.float32


def test_concat_refuses_sequences_and_strings_over_the_bounds() -> None:
    half = call("range", 600_000)
    assert "1,200,000 items, over the limit of 1,000,000" in error("concat", half, half)
    text = "x" * (40 * 1024 * 1024)
    assert "83,886,080 characters, over the limit of 67,108,864" in error("concat", text, text)
    assert "over the limit of 67,108,864" in error("+", text, text)
    assert len(call("concat", "ab", "cd")) == 4
