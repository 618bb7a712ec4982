"""A literal `save` path that cannot be written is known before running: `save_target_problem`
says why, and the reducer refuses the program at the goal."""

from __future__ import annotations

import pytest

from voxcas.errors import ResolutionError
from voxcas.lang import reduce_source
from voxcas.output import TEXT_EXTENSIONS, save_target_problem
from voxcas.primitives.imageio import WRITE_EXTENSIONS


@pytest.mark.parametrize("ext", [*TEXT_EXTENSIONS, *WRITE_EXTENSIONS])
def test_every_writable_extension_is_accepted(ext: str) -> None:
    assert save_target_problem(f"out/x{ext}") is None


def test_an_unknown_extension_or_none_is_named() -> None:
    hint = "(use .json, .csv or .txt for values; .nii.gz, .mha, .nrrd, .png, ... for images)"
    assert save_target_problem("out/x.xyz") == f"cannot save to 'out/x.xyz': unknown extension '.xyz' {hint}"
    assert save_target_problem("out/x") == f"cannot save to 'out/x': unknown extension 'x' {hint}"


def test_a_path_leaving_the_output_directory_is_named() -> None:
    for target in ("/tmp/x.png", "../x.png", ""):
        assert save_target_problem(target) == (
            f"save path {target!r} must be relative and stay inside the run's output directory"
        )


def test_the_reducer_refuses_a_literal_save_with_an_unknown_extension_at_the_goal() -> None:
    with pytest.raises(ResolutionError) as info:
        reduce_source('x = 1\nsave "out/x.xyz" x\n', "p.imgql")
    assert str(info.value).startswith("p.imgql:2:1: error: cannot save to 'out/x.xyz': unknown extension")
    assert info.value.render().splitlines()[1:] == ['    save "out/x.xyz" x', "    ^"]
