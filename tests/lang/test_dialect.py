"""Dialects: reading a program as VoxLogicA 1 or VoxLogicA-2, detection and its note, the
warning where the two grammars group a formula differently, and the same ids for the same
computation written in either."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxcas.errors import UsageError, VoxSyntaxError
from voxcas.lang import parse, reduce_source
from voxcas.primitives.imageio import write_image
from voxcas.values import Image


@pytest.fixture
def image(tmp_path: Path) -> str:
    path = tmp_path / "img.nii.gz"
    write_image(Image.from_array((np.arange(60).reshape(3, 4, 5) % 7).astype(np.int16)), path)
    return str(path)


def test_a_program_only_voxlogica1_reads_is_read_as_voxlogica1_with_a_note(image: str) -> None:
    wp = reduce_source(f'load img = "{image}"\nlet b = intensity(img) >. 3\nprint "v" volume(N b)', "p.imgql")
    assert wp.warnings[0] == (
        "p.imgql: note: reading it as VoxLogicA 1 (voxcas's grammar does not read it); "
        "--dialect voxlogica2 reads it otherwise"
    )


def test_the_load_command_makes_a_program_both_read_voxlogica1(image: str) -> None:
    program = parse(f'load img = "{image}"\nlet v = 1 + 2 * 3\nprint "v" v', "p.imgql", None)
    assert program.dialect == "voxlogica1"
    assert program.notes == (
        "p.imgql: note: reading it as VoxLogicA 1 (its line 1 is VoxLogicA 1's load command); "
        "--dialect voxlogica2 reads it otherwise",
    )
    assert parse('x = 1\nprint "x" x', "q.imgql", None).dialect == "voxlogica2"


def test_the_same_computation_has_the_same_ids_in_either_dialect(image: str) -> None:
    vox1 = reduce_source(
        f'load img = "{image}"\nlet b = intensity(img) >. 3\nlet g(x) = x & !b & N x\n'
        'print "v" volume(g(b))\nprint "n" volume(b) .=. 0',
        "p.imgql",
        dialect="voxlogica1",
    )
    vox2 = reduce_source(
        f'import "vox1"\nimg = load("{image}")\nb = intensity(img) >. 3\ng(x) = x & !(b & N(x))\n'
        'print "v" volume(g(b))\nprint "n" volume(b) .=. 0',
        "p.imgql",
        dialect="voxlogica2",
    )
    assert [g.node for g in vox1.goals] == [g.node for g in vox2.goals]


def test_a_formula_grouped_differently_by_voxlogica1_gets_a_warning_with_both_readings() -> None:
    program = parse('import "vox1"\nlet f(x) = i(x) & !g(x) & !h(x)', "p.imgql", "voxlogica2")
    assert program.notes == (
        "p.imgql:2:5: warning: VoxLogicA 1 groups this differently: here it is "
        "((i(x) & !(g(x))) & !(h(x))), in VoxLogicA 1 (i(x) & !((g(x) & !(h(x)))))",
    )
    assert parse("let f(x) = a & (b | c)", "p.imgql", "voxlogica2").notes == ()


def test_a_program_mixing_both_dialects_is_one_error_with_both_positions() -> None:
    with pytest.raises(VoxSyntaxError) as info:
        parse('load x = "a.nii.gz"\ny = [1, 2]\nlet z = N x\n', "p.imgql", None)
    assert str(info.value) == (
        "p.imgql:2:1: error: the program mixes VoxLogicA 1 and VoxLogicA-2 forms: VoxLogicA 1 syntax: "
        "expected a command (let, load, save, print, import), found 'y' (as VoxLogicA-2, at 3:12: "
        "expected '=' after 'x', found end of file); --dialect chooses one"
    )


def test_an_unknown_dialect_is_a_usage_error_naming_the_dialects() -> None:
    with pytest.raises(UsageError) as info:
        parse("x = 1", "p.imgql", "voxlogica3")
    assert str(info.value) == "unknown dialect 'voxlogica3' (use voxlogica1 or voxlogica2)"


def test_a_voxlogica1_program_imports_voxlogica1_files(tmp_path: Path, image: str) -> None:
    # a library in VoxLogicA 1's own style: capitalised operators declared and used prefix
    (tmp_path / "mylib.imgql").write_text("let B+(a) = (near(a)) \\ a\nlet E(a) = N a \\ a\n")
    program = f'import "mylib"\nload img = "{image}"\nlet b = intensity(img) >. 3\nprint "v" volume(B+ b)'
    wp = reduce_source(program, str(tmp_path / "p.imgql"), dialect="voxlogica1")
    same = reduce_source(
        f'import "vox1"\nimg = load("{image}")\nb = intensity(img) >. 3\nprint "v" volume(near(b) \\ b)',
        str(tmp_path / "q.imgql"),
    )
    assert wp.goals[0].node == same.goals[0].node


def test_a_wrong_program_with_forty_nested_parentheses_is_answered_not_backtracked_for_ever() -> None:
    # VoxLogicA 1 detection used to parse a lone bracketed operand twice per level: 2^40 steps
    text = 'print "x" ' + "(" * 40 + "1" + ")" * 40 + " +\n"
    with pytest.raises(VoxSyntaxError):
        parse(text, "p.imgql", dialect=None)  # detection: tried as VoxLogicA 1 too
