"""VoxLogicA-2 programs, written for this suite in VoxLogicA-2's style (a BraTS-like dataset walked
with dir(root, pattern, true, true), named primitives, the arrays namespace, SimpleITK's 0/255
masks), each checked against numpy, scipy or SimpleITK computing the same thing on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from compat_helpers import volume, vox_run

RNG = np.random.default_rng(15)
CASES = {f"case{i}": RNG.integers(0, 60, (4, 5, 6)).astype(np.int16) for i in range(3)}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "brats"
    for name, array in CASES.items():
        (root / name).mkdir(parents=True)
        volume(root / name / f"{name}_flair.nii.gz", array)
    return root


def border_mask(shape: tuple[int, ...]) -> np.ndarray:
    inner = np.zeros(shape, bool)
    inner[tuple(slice(1, n - 1) for n in shape)] = True
    return ~inner


def test_a_brats_style_walk_maps_a_function_using_border_over_images_another_map_loaded(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = f"""import "vox1"
dataset_root = "{dataset}"
all_flair_paths = dir(dataset_root, "*_flair.nii.gz", true, true)
names = dir(dataset_root, "*_flair.nii.gz", true, false)
read(p) = load(p)
flairs = map(read, all_flair_paths)
edge_bright(img) = volume(border & (intensity(img) >. 40))
print "names" names
print "edge" map(edge_bright, flairs)
"""
    code, printed, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    names = sorted(f"{n}/{n}_flair.nii.gz" for n in CASES)
    expected = [int(np.sum(border_mask(a.shape) & (a > 40))) for _, a in sorted(CASES.items())]
    assert printed == [f"names={names}".replace("'", '"'), f"edge={expected}"]


def test_simpleitk_binary_threshold_masks_of_0_and_255_are_masks(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = dataset / "case0" / "case0_flair.nii.gz"
    program = f"""import "vox1"
flair = load("{path}")
seg = simpleitk.BinaryThreshold(flair, 30, 1000, 255, 0)
print "volume" volume(seg)
print "grown" volume(near(seg))
"""
    code, printed, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    reference = sitk.GetArrayFromImage(sitk.BinaryThreshold(sitk.ReadImage(str(path)), 30, 1000, 255, 0))
    grown = sitk.GetArrayFromImage(
        sitk.BinaryDilate(sitk.BinaryThreshold(sitk.ReadImage(str(path)), 30, 1000), [1, 1, 1])
    )
    assert printed == [f"volume={int(np.count_nonzero(reference))}", f"grown={int(np.count_nonzero(grown))}"]


def test_a_number_first_image_operation_keeps_float32(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = dataset / "case1" / "case1_flair.nii.gz"
    program = f"""import "vox1"
i = intensity(load("{path}"))
save "left.nii.gz" 4 .+ i
save "right.nii.gz" i +. 4
"""
    code, _, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    left, right = (
        sitk.ReadImage(str(tmp_path / "left.nii.gz")),
        sitk.ReadImage(str(tmp_path / "right.nii.gz")),
    )
    assert left.GetPixelID() == right.GetPixelID() == sitk.sitkFloat32
    assert np.array_equal(sitk.GetArrayFromImage(left), CASES["case1"].astype(np.float32) + 4)


def test_named_primitives_and_the_arrays_namespace(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = (dataset / f"case{i}" / f"case{i}_flair.nii.gz" for i in (0, 1))
    program = f"""import "arrays"
p = load("{a}") > 30
t = load("{b}") > 30
print "dice" dice_score(p, t)
print "sum" addition(multiplication(2, 3), division(1, 4))
print "cmp" bool_and_scalar(num_lt(1, 2), not_compat(num_eq(1, 2)))
"""
    code, printed, err = vox_run(tmp_path, program, capsys)
    pm, tm = CASES["case0"] > 30, CASES["case1"] > 30
    inter, np_, nt = int(np.sum(pm & tm)), int(pm.sum()), int(tm.sum())
    record = (
        f'{{"dice_score": {2 * inter / (np_ + nt)!r}, "ground_truth_positive": {nt}, '
        f'"intersection": {inter}, "predicted_positive": {np_}}}'
    )
    assert code == 0, err
    assert printed == [f"dice={record}", "sum=6.25", "cmp=true"]
