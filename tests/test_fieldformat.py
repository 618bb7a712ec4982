"""Templates written by users fill only numbered fields: no attribute access, indexing or names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcas.fieldformat import check_template, fill


@pytest.mark.parametrize(
    "template",
    ["{0.__truediv__.__doc__[11]}", "{0[0]}", "{name}", "{.real}", "{:{}}", "{0:{1}}"],
)
def test_attribute_access_indexing_names_and_nested_specs_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        fill(template, 1.5, 3)


def test_numbered_fields_conversions_and_format_specs_fill_as_str_format_does() -> None:
    assert fill("case_{:03d}.png", 7) == "case_007.png"
    assert fill("{1}-{0!r}-{0:.2f}", 1.5, "a") == "a-1.5-1.50"


def test_a_missing_value_or_unbalanced_brace_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no value"):
        fill("{1}", 0)
    with pytest.raises(ValueError):
        check_template("{0")


@given(st.lists(st.sampled_from(["a", "/", "{}", "{0}", "{:>4}", "{0:03d}", "{{", "}}"]), max_size=6))
def test_an_accepted_template_formats_exactly_like_str_format(parts: list[str]) -> None:
    template = "".join(parts)
    try:
        expected = template.format(5)
    except (ValueError, IndexError):
        with pytest.raises(ValueError):
            fill(template, 5)
        return
    assert fill(template, 5) == expected


@pytest.mark.parametrize("template", ["{:>1000000000}", "{0:.20000f}", "{:x<10001}"])
def test_a_width_or_precision_over_the_bound_is_refused_before_anything_is_built(template: str) -> None:
    with pytest.raises(ValueError, match="more than 10000 characters"):
        fill(template, 1)


def test_a_width_at_the_bound_still_fills() -> None:
    assert len(fill("{:>10000}", 1)) == 10000
