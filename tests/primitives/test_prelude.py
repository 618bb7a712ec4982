"""The vox1 prelude (vox1.imgql), evaluated by reducing small programs over hand-drawn masks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voxcas.lang import reduce_source
from voxcas.plan.nodes import Apply, Const
from voxcas.primitives.imageio import write_image
from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def evaluate(text: str, tmp_path: Path) -> dict[str, Any]:
    """Reduce a program and evaluate its nodes in order (no store, no loops): label -> value."""
    plan = reduce_source(text, str(tmp_path / "t.imgql"))
    registry = default_registry()
    values: dict[str, Any] = {}
    for node_id, node in plan.nodes.items():
        d = node.definition
        if isinstance(d, Const):
            values[node_id] = d.value
        elif isinstance(d, Apply):
            values[node_id] = registry.get(d.op)(*[values[a] for a in d.args])
        else:  # pragma: no cover - the programs here have no loops
            raise AssertionError(f"unexpected node {d!r}")
    return {goal.target: values[goal.node] for goal in plan.goals}


def draw(picture: str) -> np.ndarray:
    """A 2D mask from rows of '#' (true) and '.' (false)."""
    rows = [r.strip() for r in picture.strip().splitlines()]
    return np.array([[ch == "#" for ch in row] for row in rows])


def save(tmp_path: Path, name: str, array: np.ndarray, spacing: tuple[float, ...] | None = None) -> str:
    path = tmp_path / f"{name}.nii.gz"
    write_image(Image.from_array(array, spacing=spacing), path)
    return str(path)


def run(
    tmp_path: Path, images: dict[str, np.ndarray], body: str, spacing: tuple[float, ...] | None = None
) -> dict[str, Any]:
    loads = "\n".join(
        f'{n} = intensity(load("{save(tmp_path, n, a, spacing)}")) >. 0' for n, a in images.items()
    )
    return evaluate(f'import "vox1"\n{loads}\n{body}', tmp_path)


def mask_of(value: Any) -> np.ndarray:
    assert isinstance(value, Image) and value.array.dtype == np.bool_
    return value.array


A = draw("""
    ##.......
    ##...##..
    .....##..
    .........
    #........
""")
B = draw("""
    .........
    ..#......
    .........
    .......##
    .#.......
""")


def test_touch_keeps_the_components_of_a_adjacent_to_b(tmp_path: Path) -> None:
    out = run(tmp_path, {"a": A, "b": B}, 'print "t" touch(a, b)\nprint "n" N(b)\nprint "i" I(a)')
    assert np.array_equal(mask_of(out["t"]), A)  # every component of A touches N(B)
    b2 = draw("""
        .........
        .........
        .........
        .......##
        .#.......
    """)
    out = run(tmp_path, {"a": A, "b": b2}, 'print "t" touch(a, b)')
    expected = draw("""
        .........
        .....##..
        .....##..
        .........
        #........
    """)
    assert np.array_equal(mask_of(out["t"]), expected)


def test_grow_adds_to_a_the_components_of_b_that_touch_a(tmp_path: Path) -> None:
    a = draw("""
        #.......
        ........
        ........
    """)
    b = draw("""
        .##.....
        ..#..##.
        ........
    """)
    out = run(tmp_path, {"a": a, "b": b}, 'print "g" grow(a, b)')
    expected = draw("""
        ###.....
        ..#.....
        ........
    """)
    assert np.array_equal(mask_of(out["g"]), expected)


def test_surrounded_holds_for_a_region_enclosed_by_b_and_not_for_one_that_escapes(tmp_path: Path) -> None:
    b = draw("""
        .......
        .#####.
        .#...#.
        .#...#.
        .#####.
        .......
    """)
    inside = draw("""
        .......
        .......
        ..###..
        ..###..
        .......
        .......
    """)
    leaky = b.copy()
    leaky[4, 3] = False  # a gap in the wall
    out = run(
        tmp_path, {"a": inside, "b": b, "c": leaky}, 'print "s" surrounded(a, b)\nprint "l" surrounded(a, c)'
    )
    assert np.array_equal(mask_of(out["s"]), inside)
    assert not mask_of(out["l"]).any()


def test_may_reach_is_near_of_the_part_of_b_reachable_from_near_a_plus_a(tmp_path: Path) -> None:
    a = draw("""
        #......
        .......
        .......
    """)
    b = draw("""
        .###...
        ......#
        .......
    """)
    out = run(tmp_path, {"a": a, "b": b}, 'print "m" mayReach(a, b)')
    expected = draw("""
        #####..
        #####..
        .......
    """)
    assert np.array_equal(mask_of(out["m"]), expected)


def brute_pdt(a: np.ndarray, spacing_numpy: tuple[float, ...]) -> np.ndarray:
    """Distance from each voxel outside a to the nearest boundary voxel of a; 0 inside a."""
    idx = np.argwhere(a)
    boundary = []
    for p in idx:
        lo, hi = np.maximum(p - 1, 0), np.minimum(p + 2, a.shape)
        if not a[tuple(slice(x, y) for x, y in zip(lo, hi, strict=True))].all():
            boundary.append(p)
    pts = np.array(boundary, float) * spacing_numpy
    out = np.zeros(a.shape)
    for p in np.ndindex(a.shape):
        if not a[p]:
            out[p] = (
                np.sqrt(((pts - np.array(p, float) * spacing_numpy) ** 2).sum(axis=1)).min()
                if len(pts)
                else np.inf
            )
    return out


def test_distance_operators_match_a_brute_force_distance_with_anisotropic_spacing(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    a = np.zeros((6, 9, 11), bool)
    a[2:4, 3:6, 4:8] = True
    a |= rng.random(a.shape) < 0.03
    spacing = (0.5, 1.0, 1.5)  # ITK x, y, z
    out = run(
        tmp_path,
        {"a": a},
        'print "geq" distgeq(2.0, a)\nprint "leq" distleq(2.0, a)\nprint "pdt" pdt(a)',
        spacing,
    )
    pdt = brute_pdt(a, spacing[::-1])
    np.testing.assert_allclose(out["pdt"].array, pdt, atol=1e-5)
    assert np.array_equal(mask_of(out["geq"]), pdt >= 2.0)
    assert np.array_equal(mask_of(out["leq"]), pdt <= 2.0)


def test_smoothen_removes_thin_protrusions_and_keeps_the_body(tmp_path: Path) -> None:
    a = draw("""
        ..............
        .#####........
        .#####........
        .##########...
        .#####........
        .#####........
        ..............
    """)
    square = draw("""
        ..............
        .#####........
        .#####........
        .#####........
        .#####........
        .#####........
        ..............
    """)
    # at radius 1.5 mm the tail (1 mm from the outside) and the square's rim erode away; the
    # 3x3 core grows back by 1.5 mm to the full square, but not into the tail (2 mm away)
    out = run(tmp_path, {"a": a}, 'print "s" smoothen(a, 1.5)\nprint "o" imopen(a, 1.5)')
    assert np.array_equal(mask_of(out["s"]), square)
    assert np.array_equal(mask_of(out["o"]), square)


def test_dilate_erode_and_closing(tmp_path: Path) -> None:
    a = draw("""
        .........
        .###.###.
        .###.###.
        .###.###.
        .........
    """)
    out = run(
        tmp_path, {"a": a}, 'print "d" dilate(a, 1.0)\nprint "e" erode(a, 1.0)\nprint "c" imclose(a, 1.0)'
    )
    dilated = draw("""
        .#######.
        #########
        #########
        #########
        .###.###.
    """)
    dilated[0, 4] = False  # (0, 4) is a diagonal step (1.41 mm) from both blocks
    assert np.array_equal(mask_of(out["d"]), dilated)
    eroded = np.zeros_like(a)
    eroded[2, 2] = eroded[2, 6] = True
    assert np.array_equal(mask_of(out["e"]), eroded)
    # closing: erode the dilation by 1 mm, i.e. drop the voxels within 1 mm of what it left out
    closed = draw("""
        ..#...#..
        .###.###.
        #########
        .###.###.
        ..#...#..
    """)
    assert np.array_equal(mask_of(out["c"]), closed)
    assert mask_of(out["c"])[2, 4]  # the gap between the blocks is bridged


def test_numeric_and_threshold_operators(tmp_path: Path) -> None:
    data = np.array([[10, 60, 61], [59, 100, 0]], np.int16)
    path = save(tmp_path, "i", data)
    out = evaluate(
        f'''import "vox1"
        i = load("{path}")
        print "a" 60 .<= i
        print "b" 60 .>= i
        print "c" 60 .= i
        print "d" 60 .< i
        print "e" 60 .> i
        print "f" i >. 60
        print "g" i <. 60
        print "h" i >=. 60
        print "k" i <=. 60
        print "l" i =. 60
        print "n" 3 .+. 4
        print "p" 7 ./. 2
        print "q" 2 .<. 3
        print "r" volume(i >. 0) .=. 5
        ''',
        tmp_path,
    )
    expect = {
        "a": data >= 60, "b": data <= 60, "c": data == 60, "d": data > 60, "e": data < 60,
        "f": data > 60, "g": data < 60, "h": data >= 60, "k": data <= 60, "l": data == 60,
    }  # fmt: skip
    for key, want in expect.items():
        assert np.array_equal(mask_of(out[key]), want), key
    assert (out["n"], out["p"], out["q"], out["r"]) == (7, 3.5, True, True)


def test_image_number_arithmetic(tmp_path: Path) -> None:
    data = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    path = save(tmp_path, "i", data)
    out = evaluate(
        f'import "vox1"\ni = load("{path}")\n'
        'print "a" i +. 1\nprint "b" 10 .- i\nprint "c" i *. 2\nprint "d" 8 ./ i',
        tmp_path,
    )
    np.testing.assert_allclose(out["a"].array, data + 1)
    np.testing.assert_allclose(out["b"].array, 10 - data)
    np.testing.assert_allclose(out["c"].array, data * 2)
    np.testing.assert_allclose(out["d"].array, 8 / data)


def test_boolean_region_tests_and_components(tmp_path: Path) -> None:
    a = draw("""
        ##..#
        ##..#
    """)
    b = draw("""
        ##...
        ##...
    """)
    out = run(
        tmp_path,
        {"a": a, "b": b},
        'print "x" xor(a, b)\nprint "m" a \\ b\nprint "e1" emptyB(b \\ a)\nprint "e2" nemptyB(a \\ b)\n'
        'print "q" eqB(a, b)\nprint "nq" neqB(a, b)\nprint "le" leqB(b, a)\nprint "ge" leqB(a, b)\n'
        'print "mc" maskCC(b, a)\nprint "lo" minCC(b, a)\nprint "hi" maxCC(a, a)\nprint "o" a & !(b) | b',
    )
    assert np.array_equal(mask_of(out["x"]), a ^ b)
    assert np.array_equal(mask_of(out["m"]), a & ~b)
    assert (out["e1"], out["e2"], out["q"], out["nq"], out["le"], out["ge"]) == (
        True,
        True,
        False,
        True,
        True,
        False,
    )
    assert out["mc"].array.tolist() == [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0]]
    assert (out["lo"], out["hi"]) == (0, 2)
    assert np.array_equal(mask_of(out["o"]), a)


def test_overlay_color_paints_the_mask(tmp_path: Path) -> None:
    data = np.array([[10, 20], [30, 40]], np.uint8)
    b = np.array([[True, False], [False, False]])
    out = evaluate(
        f'import "vox1"\ni = load("{save(tmp_path, "i", data)}")\nb = load("{save(tmp_path, "b", b)}") >. 0\n'
        'print "o" overlayColor(b, i, 255, 0, 0)',
        tmp_path,
    )
    rgb = out["o"]
    assert rgb.components == 3
    assert rgb.array[0, 0].tolist() == [255, 0, 0]
    assert rgb.array[1, 1].tolist() == [40, 40, 40]


def test_the_prelude_defines_every_name_listed_in_the_spec() -> None:
    text = (Path(__file__).resolve().parents[2] / "voxcas" / "primitives" / "vox1.imgql").read_text()
    names = [
        ".+.", ".-.", ".*.", "./.", ".<=", ".>=", ".=", "+.", "-.", "*.", "/.", ".+", ".-", ".*", "./",
        "<.", ">.", "<=.", ">=.", "=.", "&", "|", "!", "\\", "~>", "N", "I", "mayReach", "touch", "grow",
        "surrounded", "pdt", "distgeq", "distleq", "smoothen", "erode", "dilate", "imopen", "imclose",
        "emptyB", "nemptyB", "xor", "eqB", "neqB", "leqB", "maskCC", "minCC", "maxCC", "overlayColor",
    ]  # fmt: skip
    for name in names:
        assert f"let {name}(" in text, name


@pytest.mark.parametrize("expr", ["touch(a, b)", "grow(a, b)", "surrounded(a, b)", "smoothen(a, 1.5)"])
def test_prelude_functions_work_in_3d(tmp_path: Path, expr: str) -> None:
    rng = np.random.default_rng(9)
    a, b = rng.random((4, 5, 6)) < 0.3, rng.random((4, 5, 6)) < 0.3
    out = run(tmp_path, {"a": a, "b": b}, f'print "r" {expr}', (1.0, 1.0, 2.0))
    assert mask_of(out["r"]).shape == (4, 5, 6)
