"""A small, deterministic dataset of synthetic brain-like volumes with lesions and ground truth.

`generate(root, cases=6, seed=2024)` writes, for k = 0 … cases-1,

    root/images/case_00k.nii.gz   int16 FLAIR-like volume, 64×64×48 voxels, spacing 1×1×1.2 mm
    root/labels/case_00k.nii.gz   uint8 0/1 ground truth of the lesion (core and surrounding rim)

Each volume is built from a seeded generator, so the same seed gives byte-identical files on every
machine: air (near 0, faint noise) around an ellipsoidal head made of a scalp shell (about 60), a
dark skull (about 10), a thin CSF layer (about 25) and the brain (about 90, fine-grained texture,
two darker ventricles), multiplied by a smooth bias field; one bright lesion per case (a core
about 175 inside a rim about 135, random size and position inside the brain, always crossing the
middle axial slice so the PNG overlays show it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SHAPE = (48, 64, 64)  # numpy order [z, y, x]: ITK size 64 × 64 × 48
SPACING = (1.0, 1.0, 1.2)  # ITK order (x, y, z), millimetres


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    image: Path
    label: Path
    lesion_voxels: int


def _ellipsoid(
    grid: tuple[np.ndarray, ...], centre: tuple[float, ...], radii: tuple[float, ...]
) -> np.ndarray:
    """(distance/radius)^2 summed over axes: < 1 inside the ellipsoid."""
    import numpy as np

    total = np.zeros(grid[0].shape)
    for g, c, r in zip(grid, centre, radii, strict=True):
        total += ((g - c) / r) ** 2
    return total


def make_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One volume (int16) and its lesion mask (uint8), numpy order."""
    import numpy as np
    from scipy import ndimage

    grid = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in SHAPE], indexing="ij")
    centre = tuple(n / 2 - 0.5 + rng.uniform(-1.5, 1.5) for n in SHAPE)
    head_r = (19.0 + rng.uniform(-1, 1), 27.0 + rng.uniform(-1.5, 1.5), 24.0 + rng.uniform(-1.5, 1.5))
    head = _ellipsoid(grid, centre, head_r)

    def shell(depth: float) -> np.ndarray:
        return _ellipsoid(
            grid, centre, tuple(r - depth * s for r, s in zip(head_r, (1 / 1.2, 1, 1), strict=True))
        )

    volume = rng.normal(2.0, 1.5, SHAPE).clip(0, None)  # air
    volume[head < 1] = 60.0  # scalp
    volume[shell(2.0) < 1] = 10.0  # skull
    volume[shell(4.0) < 1] = 25.0  # CSF
    brain = shell(5.0) < 1
    texture = ndimage.gaussian_filter(rng.normal(0, 1, SHAPE), 0.7)
    texture /= texture.std()
    volume[brain] = 90.0 + 6.0 * texture[brain]
    for side in (-1, 1):  # ventricles
        vc = (centre[0], centre[1] + 2.0, centre[2] + side * 5.0)
        volume[_ellipsoid(grid, vc, (4.0, 9.0, 2.5)) < 1] = 30.0

    # the lesion: inside the brain, crossing the middle axial slice
    core_r = tuple(rng.uniform(3.5, 6.0) * s for s in (1 / 1.2, 1, 1))
    rim = rng.uniform(1.5, 3.0)
    middle = SHAPE[0] // 2
    for _ in range(1000):
        lc = (
            middle + rng.uniform(-2, 2),
            centre[1] + rng.uniform(-14, 14),
            centre[2] + rng.uniform(-16, 16),
        )
        outer_r = tuple(r + rim * s for r, s in zip(core_r, (1 / 1.2, 1, 1), strict=True))
        outer = _ellipsoid(grid, lc, outer_r) < 1
        if not (outer & ~brain).any() and not (outer & (volume == 30.0)).any():
            break
    core = _ellipsoid(grid, lc, core_r) < 1
    volume[outer] = 135.0 + 6.0 * texture[outer]
    volume[core] = 175.0 + 6.0 * texture[core]

    field = ndimage.gaussian_filter(rng.normal(0, 1, SHAPE), 12.0)
    bias = np.clip(1.0 + 0.06 * field / field.std(), 0.85, 1.15)
    noisy = volume * bias + rng.normal(0, 2.0, SHAPE)
    return np.rint(noisy.clip(0, 32000)).astype(np.int16), outer.astype(np.uint8)


def generate(root: Path, cases: int = 6, seed: int = 2024) -> list[Case]:
    """Write the dataset under `root` (images/ and labels/); the same seed gives the same files."""
    import numpy as np

    from voxcas.primitives.imageio import write_image
    from voxcas.values import Image

    rng = np.random.default_rng(seed)
    out = []
    for k in range(cases):
        volume, label = make_case(rng)
        name = f"case_{k:03d}"
        image_path = root / "images" / f"{name}.nii.gz"
        label_path = root / "labels" / f"{name}.nii.gz"
        write_image(Image.from_array(volume, spacing=SPACING), image_path)
        write_image(Image.from_array(label, spacing=SPACING), label_path)
        out.append(Case(name, image_path, label_path, int(label.sum())))
    return out
