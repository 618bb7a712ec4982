"""metrics: overlap scores and the Hausdorff distance against direct set computations."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"metrics.{name}")(*args)


def img(array: np.ndarray, spacing: tuple[float, ...] | None = None) -> Image:
    return Image.from_array(np.asarray(array), spacing=spacing)


SHAPES = st.sampled_from([(4, 5), (3, 4, 5)])


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(0, 10_000))
def test_overlap_scores_match_their_set_definitions(shape: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random(shape) < 0.4, rng.random(shape) < 0.4
    A = {i for i in np.ndindex(shape) if a[i]}
    B = {i for i in np.ndindex(shape) if b[i]}
    n = int(np.prod(shape))
    if A or B:
        assert call("dice", img(a), img(b)) == pytest.approx(2 * len(A & B) / (len(A) + len(B)))
        assert call("jaccard", img(a), img(b)) == pytest.approx(len(A & B) / len(A | B))
    assert call("accuracy", img(a), img(b)) == pytest.approx((n - len(A ^ B)) / n)


def ref_hausdorff(a: np.ndarray, b: np.ndarray, spacing_numpy: tuple[float, ...]) -> float:
    pa = np.argwhere(a) * np.array(spacing_numpy)
    pb = np.argwhere(b) * np.array(spacing_numpy)
    d = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(axis=-1))
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(0, 10_000))
def test_hausdorff_is_the_symmetric_maximum_distance_in_physical_units(
    shape: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random(shape) < 0.2, rng.random(shape) < 0.2
    a.flat[0] = b.flat[-1] = True
    spacing_itk = tuple([0.5] + [1.0] * (len(shape) - 2) + [3.0])
    got = call("hausdorff", img(a, spacing_itk), img(b, spacing_itk))
    assert got == pytest.approx(ref_hausdorff(a, b, spacing_itk[::-1]), rel=1e-6)  # float32 distances


def test_empty_cases_are_defined() -> None:
    empty = img(np.zeros((3, 3), bool))
    one = img(np.eye(3, dtype=bool))
    assert call("dice", empty, empty) == 1.0
    assert call("dice", empty, one) == 0.0
    assert call("jaccard", empty, empty) == 1.0
    assert call("hausdorff", empty, empty) == 0.0
    assert math.isinf(call("hausdorff", empty, one))
    assert call("accuracy", one, one) == 1.0


def test_identical_masks_score_perfectly() -> None:
    a = img(np.random.default_rng(1).random((5, 5)) < 0.5)
    assert (call("dice", a, a), call("jaccard", a, a), call("hausdorff", a, a)) == (1.0, 1.0, 0.0)


def test_metrics_refuse_non_masks_and_mismatched_sizes_naming_the_primitive() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("dice", img(np.zeros((2, 2), np.float32)), img(np.zeros((2, 2), bool)))
    assert str(info.value) == "metrics.dice: argument 'a': expected a boolean image, got float32 values"
    with pytest.raises(PrimitiveError) as info:
        call("hausdorff", img(np.zeros((2, 2), bool)), img(np.zeros((2, 3), bool)))
    assert str(info.value) == "metrics.hausdorff: images of different sizes: a is 2x2, b is 3x2"
