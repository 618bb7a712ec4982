"""A small study made in the test: cases stored RAS with an asymmetric marker, and its run.

Each case is a 12x10x8 float32 volume (x, y, z; spacing 1 x 1 x 2.5 mm) stored as NIfTI usually
is, RAS (direction diag(-1, -1, 1)): index x runs towards the patient's right, y towards
anterior. The marker, a block of 200 in a background of 20, sits at the patient's left,
anterior, superior corner (low stored x and y, high z), so a radiological axial picture must
show it at the top right. `MARKER_LPS` gives its voxels in LPS order (x to the left, y to the
back, z up), the order the viewer's slice indices count in: the oracle of the orientation tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

import voxcas
from voxcas.store.base import Store

NX, NY, NZ = 12, 10, 8
SPACING = (1.0, 1.0, 2.5)
CASES = ("sub-01", "sub-02", "sub-03")
# the marker in LPS index order: x (right→left), y (front→back), z (bottom→top), as slices
MARKER_LPS = (slice(8, 11), slice(1, 4), slice(5, 7))
PROGRAM = """import "strings"
cases = dir("data", "*.nii.gz")
t1 = load("data/sub-01.nii.gz")
print "cases" 3
save "t1.nii.gz" t1
save "marker.nii.gz" t1 > 100
for p in cases do save concat("out/", stem(p), "_t1.nii.gz") load(p)
for p in cases do save concat("out/", stem(p), "_mask.nii.gz") load(p) > 100
for p in cases do print concat("vol_", stem(p)) volume_mm3(load(p) > 100)
"""


def lps_array(extra: int = 0) -> np.ndarray:
    """numpy [z, y, x] in LPS order: background 20, the marker 200 (`extra` more slices of it up)."""
    a = np.full((NZ, NY, NX), 20, np.float32)
    xs, ys, zs = MARKER_LPS
    a[zs.start - extra : zs.stop, ys, xs] = 200
    return a


def write_ras(array_lps: np.ndarray, path: Path) -> None:
    """Store LPS-ordered voxels as RAS: flip x and y, direction diag(-1, -1, 1)."""
    image = sitk.GetImageFromArray(np.ascontiguousarray(array_lps[:, ::-1, ::-1]))
    image.SetSpacing(SPACING)
    image.SetDirection((-1, 0, 0, 0, -1, 0, 0, 0, 1))
    image.SetOrigin((30.0, 20.0, -10.0))
    sitk.WriteImage(image, str(path))


@dataclass
class Study:
    root: Path
    store: Store
    run: str
    result: Any


def make_study(root: Path, monkeypatch: pytest.MonkeyPatch, store: Store) -> Study:
    (root / "data").mkdir()
    for i, case in enumerate(CASES):  # case i has i more slices of marker: different volumes
        write_ras(lps_array(extra=i), root / "data" / f"{case}.nii.gz")
    monkeypatch.chdir(root)
    result = voxcas.run(PROGRAM, store=store, out=root / "results")
    assert result.summary.failures == []
    return Study(root, store, result.summary.run, result)
