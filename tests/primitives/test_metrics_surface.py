"""metrics: surface distances, sensitivity, specificity and volume difference against brute force.

The oracle finds boundary voxels by looking at each voxel's face neighbours one by one and measures
every distance between voxel centres (index × spacing) pairwise, so it shares nothing with the
distance transform the primitives use. Spacing is anisotropic throughout.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import default_registry
from voxcas.values import Image

SPACING_2D = (0.7, 2.0)  # ITK order (x, y)
SPACING_3D = (0.5, 1.25, 3.0)  # ITK order (x, y, z)


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"metrics.{name}")(*args)


def img(array: np.ndarray, spacing: tuple[float, ...]) -> Image:
    return Image.from_array(np.asarray(array), spacing=spacing)


def ref_boundary(mask: np.ndarray) -> list[tuple[int, ...]]:
    """Voxels of mask with a face neighbour that is outside the mask or outside the image."""
    out = []
    for index in itertools.product(*(range(n) for n in mask.shape)):
        if not mask[index]:
            continue
        for axis in range(mask.ndim):
            for step in (-1, 1):
                j = list(index)
                j[axis] += step
                if not 0 <= j[axis] < mask.shape[axis] or not mask[tuple(j)]:
                    out.append(index)
                    break
            else:
                continue
            break
    return out


def ref_pooled(a: np.ndarray, b: np.ndarray, spacing_itk: tuple[float, ...]) -> list[float]:
    scale = np.array(spacing_itk[::-1])
    sa = np.array(ref_boundary(a), float) * scale
    sb = np.array(ref_boundary(b), float) * scale
    d = np.sqrt(((sa[:, None, :] - sb[None, :, :]) ** 2).sum(axis=-1))
    return [*d.min(axis=1).tolist(), *d.min(axis=0).tolist()]


def ref_percentile_95(values: list[float]) -> float:
    """numpy's default (linear) percentile, written out."""
    ordered = sorted(values)
    rank = 0.95 * (len(ordered) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


CASES = st.tuples(st.sampled_from([((6, 7), SPACING_2D), ((4, 5, 6), SPACING_3D)]), st.integers(0, 10_000))


def masks(case: Any) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    (shape, spacing), seed = case
    rng = np.random.default_rng(seed)
    a, b = rng.random(shape) < 0.35, rng.random(shape) < 0.35
    a.flat[0] = b.flat[-1] = True  # neither is empty
    return a, b, spacing


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_hd95_is_the_95th_percentile_of_the_pooled_boundary_distances(case: Any) -> None:
    a, b, spacing = masks(case)
    got = call("hd95", img(a, spacing), img(b, spacing))
    assert got == pytest.approx(ref_percentile_95(ref_pooled(a, b, spacing)), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_assd_is_the_mean_of_the_pooled_boundary_distances(case: Any) -> None:
    a, b, spacing = masks(case)
    pooled = ref_pooled(a, b, spacing)
    assert call("assd", img(a, spacing), img(b, spacing)) == pytest.approx(sum(pooled) / len(pooled))


@settings(max_examples=40, deadline=None)
@given(CASES, st.sampled_from([0.0, 0.5, 1.3, 3.0, 10.0]))
def test_surface_dice_counts_the_boundary_voxels_within_the_tolerance(case: Any, tolerance: float) -> None:
    a, b, spacing = masks(case)
    pooled = ref_pooled(a, b, spacing)
    expected = sum(1 for d in pooled if d <= tolerance) / len(pooled)
    assert call("surface_dice", img(a, spacing), img(b, spacing), tolerance) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(CASES)
def test_sensitivity_specificity_and_volume_difference_match_their_counts(case: Any) -> None:
    a, b, spacing = masks(case)
    cells = list(itertools.product(*(range(n) for n in a.shape)))
    tp = sum(1 for i in cells if a[i] and b[i])
    fn = sum(1 for i in cells if not a[i] and b[i])
    tn = sum(1 for i in cells if not a[i] and not b[i])
    fp = sum(1 for i in cells if a[i] and not b[i])
    ia, ib = img(a, spacing), img(b, spacing)
    assert call("sensitivity", ia, ib) == pytest.approx(tp / (tp + fn))
    if tn + fp:
        assert call("specificity", ia, ib) == pytest.approx(tn / (tn + fp))
    voxel = math.prod(spacing)
    assert call("volume_difference", ia, ib) == pytest.approx(((tp + fp) - (tp + fn)) * voxel)


def test_a_mask_shifted_by_one_slice_is_one_slice_thickness_away() -> None:
    a = np.zeros((6, 8, 8), bool)
    a[1:4, 2:6, 2:6] = True
    b = np.roll(a, 1, axis=0)  # one slice up: 3 mm along z
    ia, ib = img(a, SPACING_3D), img(b, SPACING_3D)
    assert call("hd95", ia, ib) == pytest.approx(3.0)
    assert call("surface_dice", ia, ib, 3.0) == 1.0
    assert call("surface_dice", ia, ib, 2.9) < 1.0
    assert call("volume_difference", ia, ib) == 0.0


def test_empty_masks_give_the_documented_limits() -> None:
    empty = img(np.zeros((3, 4), bool), SPACING_2D)
    one = np.zeros((3, 4), bool)
    one[1, 1] = True
    full = img(one, SPACING_2D)
    assert (call("hd95", empty, empty), call("assd", empty, empty)) == (0.0, 0.0)
    assert call("surface_dice", empty, empty, 1.0) == 1.0
    assert call("hd95", full, empty) == math.inf
    assert call("assd", empty, full) == math.inf
    assert call("surface_dice", full, empty, 1.0) == 0.0


def test_undefined_rates_and_bad_tolerances_are_errors_that_say_why() -> None:
    empty = img(np.zeros((3, 4), bool), SPACING_2D)
    everything = img(np.ones((3, 4), bool), SPACING_2D)
    with pytest.raises(PrimitiveError) as info:
        call("sensitivity", everything, empty)
    assert str(info.value) == (
        "metrics.sensitivity: argument 'b': the reference mask is empty: sensitivity is undefined"
    )
    with pytest.raises(PrimitiveError) as info:
        call("specificity", empty, everything)
    assert str(info.value) == (
        "metrics.specificity: argument 'b': the reference mask fills the image: specificity is undefined"
    )
    with pytest.raises(PrimitiveError) as info:
        call("surface_dice", empty, everything, -1)
    assert str(info.value) == (
        "metrics.surface_dice: argument 'tolerance': the tolerance must be a distance in mm >= 0, got -1.0"
    )


def test_surface_metrics_refuse_masks_of_different_sizes() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("hd95", img(np.ones((3, 4), bool), SPACING_2D), img(np.ones((3, 5), bool), SPACING_2D))
    assert str(info.value) == "metrics.hd95: images of different sizes: a is 4x3, b is 5x3"
