"""VoxLogicA 1 programs, written for this suite in VoxLogicA 1's style (load/save commands, let
everywhere, capitalised prefix operators, no precedence, the implicit standard library, a library
imported without extension), each checked against scipy computing the same regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from compat_helpers import volume, vox_run
from scipy import ndimage

RNG = np.random.default_rng(1)
SCAN = ndimage.gaussian_filter(RNG.normal(0, 1, (6, 7, 8)), 1.2)
SCAN = np.round((SCAN - SCAN.min()) / (SCAN.max() - SCAN.min()) * 100).astype(np.int16)
BOX = ndimage.generate_binary_structure(3, 3)


def near(a: np.ndarray) -> np.ndarray:
    return ndimage.binary_dilation(a, BOX)


def interior(a: np.ndarray) -> np.ndarray:
    return ~near(~a)


def through(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The voxels of b whose component in b meets a (a ~> b in VoxLogicA 1 is through(b, a))."""
    labels, _ = ndimage.label(b, BOX)
    return np.isin(labels, np.unique(labels[a & b])) & b


@pytest.fixture
def scan(tmp_path: Path) -> str:
    return volume(tmp_path / "scan.nii.gz", SCAN)


def test_a_tutorial_style_program_segments_as_scipy_does(
    scan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = f"""// thresholds, closure and interior, reachability
load scan = "{scan}"
let core = intensity(scan) >. 70
let tissue = intensity(scan) >=. 40
let rim = (N core) \\ core
let grown = tissue ~> core
print "core" volume(core)
print "rim" volume(rim)
print "inner" volume(I tissue)
print "grown" volume(grown)
print "touch" volume(core T tissue)
save "grown.nii.gz" grown
"""
    code, printed, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    assert "note: reading it as VoxLogicA 1" in err
    core, tissue = SCAN > 70, SCAN >= 40
    grown = through(core, tissue)
    expected = {
        "core": core.sum(),
        "rim": (near(core) & ~core).sum(),
        "inner": interior(tissue).sum(),
        "grown": grown.sum(),
        "touch": through(near(tissue), core).sum(),
    }
    assert printed == [f"{k}={int(v)}" for k, v in expected.items()]
    saved = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "grown.nii.gz")))
    assert np.array_equal(saved.astype(bool), grown)


def test_formulas_group_right_to_left_without_precedence(
    scan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = f"""load scan = "{scan}"
let a = intensity(scan) >. 30
let b = intensity(scan) <. 60
let c = intensity(scan) >. 50
print "flat" volume(a & !b & !c)
print "prefix" volume(N a \\ a)
"""
    code, printed, err = vox_run(tmp_path, program, capsys, "--dialect", "voxlogica1")
    assert code == 0, err
    a, b, c = SCAN > 30, SCAN < 60, SCAN > 50
    flat = a & ~(b & ~c)  # a & (!(b & (!c)))
    prefix = near(a & ~a)  # N (a \ a)
    assert printed == [f"flat={int(flat.sum())}", f"prefix={int(prefix.sum())}"]


def test_a_region_calculus_library_imports_without_extension(
    scan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Regions.imgql").write_text(
        "// region relations in VoxLogicA 1's own style\n"
        "let B+(a) = (near(a)) \\ a\n"
        "let disjoint(p, q) = emptyB(p & q) .&. nemptyB(p) .&. nemptyB(q)\n"
        "let touching(p, q) = disjoint(p, q) .&. nemptyB((B+ p) & q)\n"
        "let apart(p, q) = disjoint(p, q) .&. !. nemptyB(B+ p & q)\n"
    )
    program = f"""import "Regions"
load scan = "{scan}"
let high = intensity(scan) >. 60
let low = intensity(scan) <. 40
let mid = (intensity(scan) >=. 40) & (intensity(scan) <=. 60)
print "high-mid touching" touching(high, mid)
print "high-low apart" apart(high, low)
print "ring" volume(B+ high)
"""
    code, printed, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    high, low, mid = SCAN > 60, SCAN < 40, (SCAN >= 40) & (SCAN <= 60)

    def disjoint(p: np.ndarray, q: np.ndarray) -> bool:
        return not (p & q).any() and p.any() and q.any()

    ring = near(high) & ~high
    expected = [
        f"high-mid touching={str(disjoint(high, mid) and (ring & mid).any()).lower()}",
        # B+ p & q is B+ (p & q): a prefix operator takes everything to its right
        f"high-low apart={str(disjoint(high, low) and not (near(high & low) & ~(high & low)).any()).lower()}",
        f"ring={int(ring.sum())}",
    ]
    assert printed == expected


def test_the_implicit_standard_library_names(
    scan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = f"""load scan = "{scan}"
let i = intensity(scan)
let b = i >. 50
print "ifN" max(ifN(volume(b) .>. 0, i, constant(0)))
print "b2n" max(booleanToNumber(9, b))
print "divZ" min(divZ(i, i .- 50, constant(-1)))
"""
    code, printed, err = vox_run(tmp_path, program, capsys, "--dialect", "voxlogica1")
    assert code == 0, err
    div = np.where(50 - SCAN != 0, SCAN.astype(np.float32), -1.0)  # as VoxLogicA 1 computes divZ
    assert printed == [f"ifN={float(SCAN.max())}", "b2n=9.0", f"divZ={float(div.min())}"]
