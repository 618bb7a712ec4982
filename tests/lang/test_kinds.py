"""Argument kinds known before running are refused at reduction, with the call's position and the
words the run would have used; what only the run can tell is left to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxcas.errors import ResolutionError
from voxcas.lang import reduce_source
from voxcas.primitives.imageio import write_image
from voxcas.values import Image


def error_of(src: str) -> str:
    with pytest.raises(ResolutionError) as info:
        reduce_source(src, "p.imgql")
    return str(info.value)


def test_a_constant_of_the_wrong_kind_is_refused_at_the_call() -> None:
    assert error_of('n = 4\nprint "r" range(0, "ten")\n') == (
        "p.imgql:2:11: error: default.range: argument 'b': expected an integer, got str"
    )


def test_a_float_constant_that_is_not_integral_is_refused_where_an_integer_is_declared() -> None:
    assert error_of('print "r" range(2.5)\n') == (
        "p.imgql:1:11: error: default.range: argument 'a': expected an integer, got 2.5"
    )


def test_constants_the_run_would_coerce_are_accepted() -> None:
    reduce_source('print "r" range(0, 4.0)\nprint "s" format_string("{}", 1)\n', "p.imgql")


def test_a_computed_image_where_a_number_is_declared_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_image(Image.from_array(np.zeros((4, 5, 6), np.float32)), tmp_path / "img.nii.gz")
    monkeypatch.chdir(tmp_path)
    src = 'import "vox1"\nimg = load("img.nii.gz")\nprint "r" range(0, img >. 1)\n'
    assert error_of(src) == (
        "p.imgql:3:11: error: default.range: argument 'b': expected an integer, got a boolean image"
    )


def test_an_argument_of_undeclared_kind_waits_for_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_image(Image.from_array(np.zeros((4, 5, 6), np.float32)), tmp_path / "img.nii.gz")
    monkeypatch.chdir(tmp_path)
    reduce_source('import "vox1"\nimg = load("img.nii.gz")\nprint "v" volume(near(img))\n', "p.imgql")
