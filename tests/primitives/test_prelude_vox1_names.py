"""VoxLogicA 1's remaining standard-library names in the vox1 prelude (`.&.`, `ifN`, `collect`,
`divZ`, ...), each checked against numpy and scipy computing what VoxLogicA 1's `stdlib.imgql`
defines, and `import "NAME"` reading `NAME.imgql` as VoxLogicA 1 does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import ndimage
from test_prelude import evaluate

from voxcas.errors import ResolutionError
from voxcas.lang import reduce_source
from voxcas.primitives.imageio import write_image
from voxcas.values import Image

RNG = np.random.default_rng(15)
VALUES = RNG.integers(0, 9, (5, 6, 7)).astype(np.int16)
BOX = ndimage.generate_binary_structure(3, 3)


def run(tmp_path: Path, body: str) -> dict[str, Any]:
    path = tmp_path / "v.nii.gz"
    write_image(Image.from_array(VALUES), path)
    return evaluate(f'import "vox1"\nv = intensity(load("{path}"))\nb = v >. 4\n{body}', tmp_path)


def array(value: Any) -> np.ndarray:
    assert isinstance(value, Image)
    return value.array


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("(1 .<. 2) .&. (2 .<. 1)", False),
        ("(1 .<. 2) .&. (1 .<. 2)", True),
        ("(2 .<. 1) .|. (1 .<. 2)", True),
        ("(2 .<. 1) .|. (2 .<. 1)", False),
        ("!. (2 .<. 1)", True),
    ],
)
def test_the_boolean_operators_on_booleans_follow_voxlogica1(
    tmp_path: Path, expr: str, expected: bool
) -> None:
    assert run(tmp_path, f'print "r" {expr}')["r"] is expected


def test_t_and_s_are_touch_and_surrounded(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        'print "t" T(b, !(b))\nprint "t2" touch(b, !(b))\nprint "s" S(b, v >. 6)\n'
        'print "s2" surrounded(b, v >. 6)',
    )
    assert np.array_equal(array(out["t"]), array(out["t2"]))
    assert np.array_equal(array(out["s"]), array(out["s2"]))


def test_boolean_to_number_norm_and_overlay_b_are_masks_and_rescales(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        'print "b2n" booleanToNumber(7, b)\nprint "norm" norm(10, v)\n'
        'print "ov" overlayB(b, v, constant(100))',
    )
    b = VALUES > 4
    assert np.array_equal(array(out["b2n"]), np.where(b, 7.0, 0.0))
    assert np.allclose(array(out["norm"]), 10.0 * VALUES / VALUES.max())
    assert np.array_equal(array(out["ov"]), np.where(b, 100.0, VALUES))


@pytest.mark.parametrize("cond", [True, False])
def test_if_b_and_if_n_choose_by_a_boolean(tmp_path: Path, cond: bool) -> None:
    c = "true" if cond else "false"
    out = run(tmp_path, f'print "b" ifB({c}, b, !(b))\nprint "n" ifN({c}, v, constant(2))')
    b = VALUES > 4
    assert np.array_equal(array(out["b"]), b if cond else ~b)
    assert np.array_equal(array(out["n"]), VALUES if cond else np.full(VALUES.shape, 2.0))


def oracle_collect(a: np.ndarray, b: np.ndarray) -> bool:
    """VoxLogicA 1's collect: a is empty, or min = max > 0 of mask(Lcc(b), a) over the whole image
    (so the 0 outside a counts whenever a is not the whole image)."""
    labels, _ = ndimage.label(b, BOX)
    masked = np.where(a, labels, 0)
    return bool(not a.any() or (masked.min() == masked.max() and masked.max() > 0))


@pytest.mark.parametrize("a", ["b", "ff", "v .=. 8", "tt"])
def test_collect_follows_voxlogica1s_definition(tmp_path: Path, a: str) -> None:
    out = run(tmp_path, f'print "r" collect({a}, b)\nprint "a" {a}')
    assert out["r"] is oracle_collect(array(out["a"]), VALUES > 4)


def test_div_z_is_i1_where_i2_is_non_zero_and_i3_elsewhere_as_voxlogica1_computes(tmp_path: Path) -> None:
    out = run(tmp_path, 'print "d" divZ(v +. 1, v, constant(-3))')
    assert np.array_equal(array(out["d"]), np.where(VALUES != 0, VALUES + 1.0, -3.0))


def test_import_without_extension_reads_the_imgql_file_of_that_name(tmp_path: Path) -> None:
    (tmp_path / "RegionCalculus.imgql").write_text("let twice(x) = x * 2\n")
    plan = reduce_source('import "RegionCalculus"\nprint "r" twice(21)', str(tmp_path / "p.imgql"))
    assert [shown for shown, _ in plan.imports] == [str(tmp_path / "RegionCalculus.imgql")]
    with pytest.raises(ResolutionError) as info:
        reduce_source('import "Nowhere"', str(tmp_path / "p.imgql"))
    assert str(info.value).startswith(
        f"{tmp_path / 'p.imgql'}:1:1: error: unknown namespace or file 'Nowhere'"
    )
