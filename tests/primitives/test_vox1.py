"""vox1 primitives against independent references: explicit neighbour loops on tiny arrays."""

from __future__ import annotations

import itertools
import math
from collections import deque
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"vox1.{name}")(*args)


def img(array: np.ndarray, spacing: tuple[float, ...] | None = None) -> Image:
    return Image.from_array(np.asarray(array), spacing=spacing)


def random_mask(seed: int, shape: tuple[int, ...], density: float = 0.4) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < density


SHAPES = st.sampled_from([(5, 6), (7, 4), (3, 4, 5), (4, 5, 3)])
SEEDS = st.integers(0, 10_000)


def box_neighbours(index: tuple[int, ...], shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out = []
    for delta in itertools.product((-1, 0, 1), repeat=len(shape)):
        n = tuple(i + d for i, d in zip(index, delta, strict=True))
        out.append(n)
    return out


def inside(index: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    return all(0 <= i < s for i, s in zip(index, shape, strict=True))


def ref_near(a: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        out[idx] = any(inside(n, a.shape) and a[n] for n in box_neighbours(idx, a.shape))
    return out


def ref_interior(a: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        out[idx] = all((not inside(n, a.shape)) or a[n] for n in box_neighbours(idx, a.shape))
    return out


def ref_components(a: np.ndarray) -> list[set[tuple[int, ...]]]:
    """Components in raster order of their first voxel (BFS over the box neighbourhood)."""
    seen: set[tuple[int, ...]] = set()
    comps = []
    for idx in np.ndindex(a.shape):
        if not a[idx] or idx in seen:
            continue
        comp = {idx}
        queue = deque([idx])
        seen.add(idx)
        while queue:
            cur = queue.popleft()
            for n in box_neighbours(cur, a.shape):
                if inside(n, a.shape) and a[n] and n not in seen:
                    seen.add(n)
                    comp.add(n)
                    queue.append(n)
        comps.append(comp)
    return comps


@settings(max_examples=25, deadline=None)
@given(SHAPES, SEEDS)
def test_near_is_dilation_by_the_box_neighbourhood_with_false_outside(
    shape: tuple[int, ...], seed: int
) -> None:
    a = random_mask(seed, shape, 0.15)
    out = call("near", img(a))
    assert out.array.dtype == np.bool_
    assert np.array_equal(out.array, ref_near(a))


@settings(max_examples=25, deadline=None)
@given(SHAPES, SEEDS)
def test_interior_is_erosion_with_true_outside(shape: tuple[int, ...], seed: int) -> None:
    a = random_mask(seed, shape, 0.8)
    out = call("interior", img(a))
    assert np.array_equal(out.array, ref_interior(a))
    assert np.array_equal(out.array, ~call("near", img(~a)).array)


def test_interior_of_the_full_image_is_full_because_outside_counts_as_true() -> None:
    a = np.ones((3, 4), bool)
    assert call("interior", img(a)).array.all()


@settings(max_examples=25, deadline=None)
@given(SHAPES, SEEDS, SEEDS)
def test_through_keeps_the_components_of_b_that_contain_a_voxel_of_a(
    shape: tuple[int, ...], seed_a: int, seed_b: int
) -> None:
    a = random_mask(seed_a, shape, 0.1)
    b = random_mask(seed_b, shape, 0.45)
    expected = np.zeros(shape, bool)
    for comp in ref_components(b):
        if any(a[v] for v in comp):
            for v in comp:
                expected[v] = True
    assert np.array_equal(call("through", img(a), img(b)).array, expected)


@settings(max_examples=25, deadline=None)
@given(SHAPES, SEEDS)
def test_lcc_labels_components_one_to_n_in_raster_order(shape: tuple[int, ...], seed: int) -> None:
    a = random_mask(seed, shape, 0.35)
    labels = call("lcc", img(a)).array
    expected = np.zeros(shape, np.int64)
    for k, comp in enumerate(ref_components(a), start=1):
        for v in comp:
            expected[v] = k
    assert np.array_equal(labels, expected)
    assert np.array_equal(call("Lcc", img(a)).array, labels)


@settings(max_examples=25, deadline=None)
@given(SHAPES, SEEDS)
def test_maxvol_is_the_union_of_the_largest_components(shape: tuple[int, ...], seed: int) -> None:
    a = random_mask(seed, shape, 0.3)
    comps = ref_components(a)
    expected = np.zeros(shape, bool)
    if comps:
        biggest = max(len(c) for c in comps)
        for comp in comps:
            if len(comp) == biggest:
                for v in comp:
                    expected[v] = True
    assert np.array_equal(call("maxvol", img(a)).array, expected)


def test_maxvol_keeps_every_component_tied_for_largest() -> None:
    a = np.zeros((3, 7), bool)
    a[0, 0:2] = True
    a[2, 5:7] = True
    a[0, 4] = True
    expected = a.copy()
    expected[0, 4] = False
    assert np.array_equal(call("maxvol", img(a)).array, expected)


def test_maxvol_of_an_empty_mask_is_empty() -> None:
    assert not call("maxvol", img(np.zeros((4, 4), bool))).array.any()


def test_volume_counts_true_voxels_and_vol_is_its_alias() -> None:
    a = random_mask(3, (4, 5, 6))
    assert call("volume", img(a)) == int(a.sum())
    assert call("vol", img(a.astype(np.uint8))) == int(a.sum())


# --- distance ---------------------------------------------------------------------------------


def ref_dt(a: np.ndarray, spacing_numpy: tuple[float, ...]) -> np.ndarray:
    """Signed distance to boundary voxels (a box neighbour inside the image and outside a)."""
    boundary = [
        idx
        for idx in np.ndindex(a.shape)
        if a[idx] and any(inside(n, a.shape) and not a[n] for n in box_neighbours(idx, a.shape))
    ]
    out = np.zeros(a.shape, np.float64)
    if not a.any():
        return np.full(a.shape, np.inf)
    if not boundary:
        return np.full(a.shape, -np.inf)
    pts = np.array(boundary, float) * np.array(spacing_numpy)
    for idx in np.ndindex(a.shape):
        p = np.array(idx, float) * np.array(spacing_numpy)
        d = float(np.sqrt(((pts - p) ** 2).sum(axis=1)).min())
        out[idx] = -d if a[idx] else d
    return out


@settings(max_examples=20, deadline=None)
@given(SHAPES, SEEDS, st.sampled_from([1.0, 0.5, 2.5]))
def test_dt_is_the_signed_physical_distance_to_the_boundary_voxels(
    shape: tuple[int, ...], seed: int, stretch: float
) -> None:
    a = random_mask(seed, shape, 0.5)
    spacing_itk = tuple([1.0] * (len(shape) - 1) + [stretch])  # anisotropic along ITK x
    out = call("dt", img(a, spacing_itk))
    assert out.array.dtype == np.float32
    expected = ref_dt(a, spacing_itk[::-1])
    np.testing.assert_allclose(out.array, expected, rtol=1e-5, atol=1e-5)


def test_dt_is_zero_on_boundary_voxels_and_never_negative_zero() -> None:
    a = np.zeros((5, 5), bool)
    a[1:4, 1:4] = True
    out = call("dt", img(a)).array
    assert out[1, 1] == 0.0 and not math.copysign(1.0, float(out[1, 1])) < 0
    assert out[2, 2] == -1.0
    assert out[0, 2] == 1.0


def test_dt_of_an_empty_mask_is_plus_infinity_and_of_a_full_mask_minus_infinity() -> None:
    assert np.isposinf(call("dt", img(np.zeros((3, 3), bool))).array).all()
    assert np.isneginf(call("dt", img(np.ones((3, 3), bool))).array).all()


# --- geometry ------------------------------------------------------------------------------------


def test_border_marks_voxels_on_the_first_or_last_index_of_any_axis() -> None:
    base = img(np.zeros((3, 4, 5), np.int16))
    out = call("border", base).array
    expected = np.zeros((3, 4, 5), bool)
    for idx in np.ndindex(expected.shape):
        expected[idx] = any(i in (0, s - 1) for i, s in zip(idx, expected.shape, strict=True))
    assert np.array_equal(out, expected)


def test_x_y_z_are_the_voxel_indices_along_itk_axes() -> None:
    base = img(np.zeros((2, 3, 4), np.uint8))  # z=2, y=3, x=4
    xs, ys, zs = (call(n, base).array for n in ("x", "y", "z"))
    for zi, yi, xi in np.ndindex(2, 3, 4):
        assert (xs[zi, yi, xi], ys[zi, yi, xi], zs[zi, yi, xi]) == (xi, yi, zi)
    assert xs.dtype == np.float32
    flat = img(np.zeros((3, 4), np.uint8))
    assert not call("z", flat).array.any()
    assert call("x", flat).array[2, 3] == 3.0


def test_constants_take_the_base_image_geometry() -> None:
    base = Image.from_array(np.zeros((2, 3, 4, 3), np.uint8), spacing=(0.5, 1, 2), components=3)
    t = call("tt", base)
    assert t.array.shape == (2, 3, 4) and t.array.all() and t.spacing == (0.5, 1.0, 2.0)
    assert not call("ff", base).array.any()
    assert call("bconstant", base, True).array.all()
    c = call("constant", base, 2)
    assert c.array.dtype == np.float32 and (c.array == 2.0).all()


# --- logic ----------------------------------------------------------------------------------------


def test_and_or_not_work_voxel_wise_and_accept_booleans() -> None:
    a, b = random_mask(1, (4, 4)), random_mask(2, (4, 4))
    ia, ib = img(a), img(b.astype(np.uint8))
    assert np.array_equal(call("and", ia, ib).array, a & b)
    assert np.array_equal(call("or", ia, ib).array, a | b)
    assert np.array_equal(call("not", ia).array, ~a)
    assert np.array_equal(call("and", ia, True).array, a)
    assert not call("and", False, ia).array.any()
    assert call("or", ia, True).array.all()
    assert call("and", True, False) is False
    assert call("not", False) is True


# --- intensities ----------------------------------------------------------------------------------


def test_intensity_of_an_rgb_image_is_its_luminance() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [10, 20, 30]]], np.uint8)
    out = call("intensity", Image.from_array(rgb, components=3)).array
    for idx in np.ndindex(2, 2):
        r, g, b = (float(v) for v in rgb[idx])
        assert out[idx] == pytest.approx(0.2126 * r + 0.7152 * g + 0.0722 * b, rel=1e-6)
    assert out.dtype == np.float32


def test_channels_split_and_rgb_composes() -> None:
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    i = Image.from_array(data, components=4)
    assert np.array_equal(call("red", i).array, data[..., 0])
    assert np.array_equal(call("alpha", i).array, data[..., 3])
    back = call("rgba", call("red", i), call("green", i), call("blue", i), call("alpha", i))
    assert back.equals(i)
    grey = img(np.ones((2, 2), np.uint8))
    assert call("red", grey).equals(grey)
    composed = call("rgb", grey, grey, grey)
    assert composed.components == 3 and composed.array.shape == (2, 2, 3)


def test_thresholds_compare_each_voxel_with_the_number() -> None:
    data = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 2.0]], np.float32)
    i = img(data)
    assert np.array_equal(call("eq_sv", 2, i).array, data == 2)
    assert np.array_equal(call("geq_sv", 3, i).array, data >= 3)
    assert np.array_equal(call("leq_sv", 3, i).array, data <= 3)
    assert np.array_equal(call("between", 2, 4.0, i).array, (data >= 2) & (data <= 4))


def test_max_min_of_images_and_of_sequences() -> None:
    data = np.array([[3, -7], [12, 0]], np.int16)
    assert call("max", img(data)) == 12 and call("min", img(data)) == -7
    assert isinstance(call("max", img(data)), int)
    assert call("max", img(data.astype(np.float32))) == 12.0
    assert call("min", [3, 1.5, 2]) == 1.5
    assert call("max", [3, 1.5, 2]) == 3


def test_abs_keeps_the_pixel_type_and_works_on_numbers() -> None:
    data = np.array([[-3, 2]], np.int16)
    out = call("abs", img(data))
    assert out.array.dtype == np.int16 and out.array.tolist() == [[3, 2]]
    assert call("abs", -2.5) == 2.5


def test_mask_zeroes_outside_and_keeps_the_pixel_type() -> None:
    data = np.arange(12, dtype=np.int16).reshape(3, 4)
    b = random_mask(5, (3, 4))
    out = call("mask", img(data), img(b))
    assert out.array.dtype == np.int16
    assert np.array_equal(out.array, np.where(b, data, 0))
    rgb = Image.from_array(np.full((3, 4, 3), 9, np.uint8), components=3)
    masked = call("mask", rgb, img(b))
    assert np.array_equal(masked.array[..., 1], np.where(b, 9, 0))


def test_avg_is_the_mean_over_the_mask() -> None:
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = random_mask(6, (3, 4), 0.6)
    assert call("avg", img(data), img(b)) == pytest.approx(float(data[b].mean()))


def ref_percentiles(values: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    out = np.full(values.shape, -1.0)
    sel = [values[idx] for idx in np.ndindex(values.shape) if b[idx]]
    n = len(sel)
    for idx in np.ndindex(values.shape):
        if b[idx]:
            v = values[idx]
            out[idx] = (sum(1 for s in sel if s < v) + k * sum(1 for s in sel if s == v)) / n
    return out


@settings(max_examples=25, deadline=None)
@given(
    SHAPES, SEEDS, st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from(["uint8", "int16", "float32", "float64"])
)
def test_percentiles_follow_the_counting_formula(
    shape: tuple[int, ...], seed: int, k: float, dtype: str
) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-5 if dtype != "uint8" else 0, 8, shape).astype(dtype)
    if dtype.startswith("float"):
        values = values + rng.choice([0.0, 0.25], shape).astype(dtype)
    b = random_mask(seed + 1, shape, 0.7)
    out = call("percentiles", img(values), img(b), k)
    assert out.array.dtype == np.float32
    np.testing.assert_allclose(out.array, ref_percentiles(values, b, k).astype(np.float32), rtol=0, atol=1e-7)


def test_percentiles_over_an_empty_mask_are_all_minus_one() -> None:
    out = call("percentiles", img(np.ones((2, 2))), img(np.zeros((2, 2), bool)), 0.5)
    assert (out.array == -1).all()


def ref_cross_correlation(
    a: np.ndarray, b: np.ndarray, fb: np.ndarray, radii: tuple[int, ...], m1: float, m2: float, k: int
) -> np.ndarray:
    def hist(vals: list[float]) -> np.ndarray:
        h = np.zeros(k)
        for v in vals:
            if m1 <= v < m2:
                h[min(math.floor((v - m1) / ((m2 - m1) / k)), k - 1)] += 1
        return h

    target = hist([b[idx] for idx in np.ndindex(b.shape) if fb[idx]])
    out = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        vals = []
        for delta in itertools.product(*[range(-r, r + 1) for r in radii]):
            n = tuple(i + d for i, d in zip(idx, delta, strict=True))
            if inside(n, a.shape):
                vals.append(a[n])
        local = hist(vals)
        if local.std() == 0 and target.std() == 0:
            out[idx] = 1.0
        elif local.std() == 0 or target.std() == 0:
            out[idx] = 0.0
        else:
            out[idx] = np.corrcoef(local, target)[0, 1]
    return out


@settings(max_examples=12, deadline=None)
@given(SHAPES, SEEDS, st.sampled_from([1.0, 2.0]))
def test_cross_correlation_matches_explicit_local_histograms(
    shape: tuple[int, ...], seed: int, r: float
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 10, shape).astype(np.float32)
    b = rng.integers(0, 10, shape).astype(np.float32)
    fb = random_mask(seed + 7, shape, 0.5)
    spacing_itk = tuple([1.0] * (len(shape) - 1) + [2.0])  # ITK x has spacing 2: radius r/2 voxels
    radii = tuple(max(1, int(r / s + 0.5)) for s in spacing_itk[::-1])
    out = call(
        "crossCorrelation", r, img(a, spacing_itk), img(b, spacing_itk), img(fb, spacing_itk), 0, 10, 5
    )
    np.testing.assert_allclose(out.array, ref_cross_correlation(a, b, fb, radii, 0, 10, 5), atol=1e-5)


def test_cross_correlation_is_one_when_both_histograms_are_constant_and_zero_when_one_is() -> None:
    a = np.zeros((4, 4), np.float32)
    fb = np.zeros((4, 4), bool)  # an empty target histogram is constant
    # a lies outside [5, 10): every local histogram is all zeros, as is the empty target
    out = call("crossCorrelation", 1, img(a), img(a), img(fb), 5, 10, 4)
    assert (out.array == 1.0).all()
    # in [0, 10) every local histogram is [n, 0, 0, 0] (not constant); the target still is
    out = call("crossCorrelation", 1, img(a), img(a), img(fb), 0, 10, 4)
    assert (out.array == 0.0).all()


def ref_otsu(values: np.ndarray, bins: int) -> float:
    lo, hi = float(values.min()), float(values.max())
    width = (hi - lo) / bins
    best, best_t = -1.0, lo
    for t in range(1, bins):
        edge = lo + t * width
        bin_of = np.clip(np.floor((values - lo) / width), 0, bins - 1)
        centres = lo + (bin_of + 0.5) * width
        low, high = centres[bin_of < t], centres[bin_of >= t]
        if low.size == 0 or high.size == 0:
            continue
        var = low.size * high.size * (low.mean() - high.mean()) ** 2
        if var > best + 1e-9:
            best, best_t = var, edge
    return best_t


@settings(max_examples=20, deadline=None)
@given(SEEDS, st.sampled_from([4, 16, 64]))
def test_otsu_maximises_the_between_class_variance_over_the_mask(seed: int, bins: int) -> None:
    rng = np.random.default_rng(seed)
    data = np.concatenate([rng.normal(20, 3, 30), rng.normal(60, 5, 30)]).reshape(6, 10).astype(np.float32)
    b = random_mask(seed, (6, 10), 0.8)
    assert call("otsu", img(data), img(b), bins) == pytest.approx(ref_otsu(data[b].astype(np.float64), bins))


def test_otsu_splits_two_clear_clusters_between_them() -> None:
    data = np.array([[10, 11, 12, 50, 51, 52]], np.float32)
    t = call("otsu", img(data), img(np.ones((1, 6), bool)), 64)
    assert 12 < t <= 50


def test_gradient_is_the_central_difference_magnitude_in_physical_units() -> None:
    rng = np.random.default_rng(0)
    data = rng.random((4, 5, 6)).astype(np.float32)
    spacing_itk = (2.0, 1.0, 0.5)
    sp = spacing_itk[::-1]
    out = call("gradient", img(data, spacing_itk)).array
    for idx in np.ndindex(data.shape):
        total = 0.0
        for axis in range(3):
            lo, hi = list(idx), list(idx)
            n = data.shape[axis]
            if 0 < idx[axis] < n - 1:
                lo[axis] -= 1
                hi[axis] += 1
                steps = 2
            elif idx[axis] == 0:
                hi[axis] += 1
                steps = 1
            else:
                lo[axis] -= 1
                steps = 1
            g = (float(data[tuple(hi)]) - float(data[tuple(lo)])) / (steps * sp[axis])
            total += g * g
        assert out[idx] == pytest.approx(math.sqrt(total), rel=1e-4)


def test_overlay_blends_the_mask_in_colour_on_the_windowed_image() -> None:
    data = np.array([[0, 128], [255, 64]], np.uint8)
    b = np.array([[True, False], [False, True]])
    out = call("overlay", img(data), img(b), [0, 255, 0])
    assert out.components == 3 and out.array.dtype == np.uint8
    assert out.array[0, 1].tolist() == [128, 128, 128]
    assert out.array[0, 0].tolist() == [0, 128, 0]
    assert out.array[1, 1].tolist() == [32, 160, 32]
