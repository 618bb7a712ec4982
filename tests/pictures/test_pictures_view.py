"""The view text: every option, its canonical text, and one clear message per bad word."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcas.errors import UsageError
from voxcas.pictures.view import View, parse_view


def test_the_empty_text_is_the_default_view() -> None:
    assert parse_view("") == View()
    assert parse_view("   ") == View()


def test_plane_names_and_letters_name_the_same_axes() -> None:
    assert parse_view("axis=sagittal") == parse_view("axis=x") == View(axis="x")
    assert parse_view("axis=Coronal").axis == "y"
    assert parse_view("axis=axial").axis == "z"


def test_every_option_is_read() -> None:
    view = parse_view(
        "axis=coronal slice=12 window=-10:250.5 zoom=3 style=outline opacity=0.25 color=red,#00ff00 legend=no"
    )
    assert view == View(
        axis="y",
        slice=12,
        window=(-10.0, 250.5),
        zoom=3,
        style="outline",
        opacity=0.25,
        colors=((255, 0, 0), (0, 255, 0)),
        legend=False,
    )


def test_level_and_width_are_a_window_by_its_centre() -> None:
    assert parse_view("level=40 width=400").window == (-160.0, 240.0)


def test_a_mosaic_is_a_count_or_a_layout() -> None:
    assert parse_view("mosaic=12").layout() == (4, 3)
    assert parse_view("mosaic=5x2").layout() == (5, 2)
    assert parse_view("mosaic=5x2").mosaic == 10
    assert parse_view("mosaic=7").layout() == (3, 3)


def test_the_default_opacity_depends_on_the_style() -> None:
    assert parse_view("").overlay_opacity() == 0.5
    assert parse_view("style=outline").overlay_opacity() == 1.0
    assert parse_view("style=outline opacity=0.3").overlay_opacity() == 0.3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("windw=0:1", "unknown view option 'windw' (did you mean 'window'?)"),
        (
            "qqq=1",
            "unknown view option 'qqq' (use axis, slice, window, level, width, mosaic, zoom, style, "
            "opacity, color, legend)",
        ),
        ("axis", "view word 'axis' is not key=value (e.g. axis=coronal)"),
        ("axis=top", "view axis=top: use axial, coronal, sagittal (or z, y, x)"),
        ("axis=x axis=y", "view option 'axis' is given twice"),
        ("slice=-1", "view slice=-1: expected a slice index, middle or centre"),
        ("window=600:0", "view window=600:0: the upper end must be above the lower end"),
        ("window=600", "view window=600: expected LO:HI (e.g. window=0:600) or auto"),
        ("window=a:1", "view window=a:1: expected a number"),
        ("window=0:inf", "view window=0:inf: expected a finite number"),
        ("level=40", "view: level= and width= go together (e.g. level=40 width=400)"),
        ("level=40 width=0", "view width=0: expected a positive number"),
        ("window=0:1 level=1 width=2", "view: give either window=LO:HI or level= and width=, not both"),
        ("mosaic=0", "view mosaic=0: expected a whole number from 1 to 400"),
        ("mosaic=30x30", "view mosaic=30x30: at most 400 slices"),
        (
            "slice=3 mosaic=4",
            "view: slice and mosaic cannot be combined (a mosaic shows evenly spaced slices)",
        ),
        ("zoom=0", "view zoom=0: expected a whole number from 1 to 32"),
        ("style=dotted", "view style=dotted: use filled or outline"),
        ("opacity=2", "view opacity=2: expected a number from 0 to 1"),
        ("legend=maybe", "view legend=maybe: use yes or no"),
        (
            "color=bleu",
            "unknown colour 'bleu' (use #rrggbb or one of red, green, blue, yellow, cyan, magenta, "
            "orange, purple, pink, white, black)",
        ),
    ],
)
def test_a_bad_word_is_named_in_one_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_view(text)
    assert str(info.value) == message


views = st.builds(
    View,
    axis=st.sampled_from(["x", "y", "z"]),
    slice=st.one_of(st.sampled_from(["auto", "middle", "centre"]), st.integers(0, 500)),
    window=st.one_of(
        st.none(),
        st.tuples(st.integers(-2000, 2000), st.integers(1, 3000)).map(
            lambda t: (float(t[0]), float(t[0] + t[1]))
        ),
    ),
    zoom=st.one_of(st.none(), st.integers(1, 32)),
    style=st.sampled_from(["filled", "outline"]),
    opacity=st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 1.0])),
    colors=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)), max_size=3).map(
        tuple
    ),
    legend=st.booleans(),
)


@given(views)
def test_the_canonical_text_of_a_view_reads_back_as_the_same_view(view: View) -> None:
    assert parse_view(view.text()) == view


@given(st.integers(1, 400))
def test_a_mosaic_text_reads_back_as_the_same_view(count: int) -> None:
    view = parse_view(f"mosaic={count}")
    assert parse_view(view.text()) == view
