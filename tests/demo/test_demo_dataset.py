"""The demo dataset is deterministic, brain-like, and its lesions are found by the example program."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voxcas.demo.dataset import SHAPE, SPACING, generate
from voxcas.primitives.imageio import read_image

ROOT = Path(__file__).resolve().parents[2]


def test_the_same_seed_gives_the_same_volumes_and_another_seed_does_not(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", cases=2, seed=7)
    b = generate(tmp_path / "b", cases=2, seed=7)
    c = generate(tmp_path / "c", cases=2, seed=8)
    for x, y in zip(a, b, strict=True):
        assert read_image(x.image).equals(read_image(y.image))
        assert read_image(x.label).equals(read_image(y.label))
    assert not read_image(a[0].image).equals(read_image(c[0].image))


def test_cases_have_the_documented_layout_geometry_and_a_lesion_on_the_middle_slice(tmp_path: Path) -> None:
    cases = generate(tmp_path, cases=2, seed=3)
    assert [c.name for c in cases] == ["case_000", "case_001"]
    assert cases[1].image == tmp_path / "images" / "case_001.nii.gz"
    assert cases[1].label == tmp_path / "labels" / "case_001.nii.gz"
    for case in cases:
        image, label = read_image(case.image), read_image(case.label)
        assert image.array.shape == SHAPE and image.array.dtype == np.int16
        np.testing.assert_allclose(image.spacing, SPACING, rtol=1e-6)
        assert label.array.dtype == np.uint8 and set(np.unique(label.array)) == {0, 1}
        assert int(label.array.sum()) == case.lesion_voxels > 300
        assert label.array[SHAPE[0] // 2].any()  # the PNG overlay (middle axial slice) shows it
        lesion = image.array[label.array == 1].astype(float)
        assert lesion.mean() > 1.3 * np.median(image.array[image.array > 60])  # bright lesion


@pytest.mark.slow
def test_the_demo_runs_twice_through_the_cli_finds_the_lesions_and_reuses_everything(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voxcas.demo", "--out", str(tmp_path), "--cases", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    runs = done.stdout.split("== ")[1:]
    assert "0 reused" in runs[0] and "0 nodes computed" in runs[1]
    dice_line = next(line for line in runs[1].splitlines() if line.strip().startswith("dice="))
    scores = [float(s) for s in json.loads(dice_line.split("=", 1)[1])]
    assert len(scores) == 2 and min(scores) > 0.7
    outputs = [[ln for ln in run.splitlines() if "=" in ln] for run in runs]
    assert outputs[0] == outputs[1] and len(outputs[0]) == 5  # identical goal lines on both runs
    pngs = sorted((tmp_path / "results" / "overlays").glob("*.png"))
    assert [p.name for p in pngs] == ["case_000.png", "case_001.png"]
    overlay = read_image(pngs[0])
    assert overlay.components == 3 and overlay.size == (256, 256)  # 64 × 64 voxels, scaled ×4
    red = (overlay.array[..., 0] == 255) & (overlay.array[..., 1] == 0) & (overlay.array[..., 2] == 0)
    assert red.any()  # the segmentation's outline
    refs = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", "--store", str(tmp_path / ".vox"), "log", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    newest = json.loads(refs)[0]
    assert newest["refs"] == ["demo"] and newest["computed"] == 0  # the ref names the second run
