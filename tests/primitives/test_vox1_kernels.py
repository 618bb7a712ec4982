"""Array kernels behind vox1: exact box counts (both algorithms) and large-radius cross-correlation."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.primitives.spatial import box_count, box_sum, cross_correlation


def ref_box(a: np.ndarray, radii: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(a.shape, np.int64)
    for idx in np.ndindex(a.shape):
        window = tuple(
            slice(max(i - r, 0), min(i + r + 1, n)) for i, r, n in zip(idx, radii, a.shape, strict=True)
        )
        out[idx] = int(a[window].sum())
    return out


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([(1, 1), (3, 1, 2), (5, 7), (4, 5, 6), (2, 9, 3)]),
    st.integers(0, 1000),
    st.lists(st.sampled_from([0, 1, 2, 3, 5, 9]), min_size=3, max_size=3),
)
def test_box_counts_are_exact_for_small_and_large_radii(
    shape: tuple[int, ...], seed: int, radii: list[int]
) -> None:
    a = np.random.default_rng(seed).random(shape) < 0.5
    r = tuple(radii[: len(shape)])
    expected = ref_box(a, r)
    assert np.array_equal(box_count(a, r).astype(np.int64), expected)
    assert np.array_equal(box_sum(a.view(np.uint8), r).astype(np.int64), expected)


def test_cross_correlation_with_a_large_radius_uses_the_cumulative_path_and_stays_exact() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 6, (3, 12, 12)).astype(np.float32)
    fb = rng.random(a.shape) < 0.5
    radii = (1, 6, 6)
    out = cross_correlation(a, a, fb, radii, 0.0, 6.0, 6)
    target = np.bincount(a[fb].astype(int), minlength=6).astype(float)
    for idx in itertools.islice(np.ndindex(a.shape), 0, None, 7):
        window = tuple(
            slice(max(i - r, 0), min(i + r + 1, n)) for i, r, n in zip(idx, radii, a.shape, strict=True)
        )
        local = np.bincount(a[window].astype(int).ravel(), minlength=6).astype(float)
        assert abs(float(out[idx]) - np.corrcoef(local, target)[0, 1]) < 1e-6


def test_kernels_give_identical_bytes_whatever_runs_beside_them() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from voxcas.primitives.spatial import percentiles, signed_distance

    rng = np.random.default_rng(11)
    a = rng.random((12, 20, 24)).astype(np.float32) * 50
    fb = rng.random(a.shape) < 0.3
    jobs = [
        lambda: cross_correlation(a, a, fb, (1, 2, 2), 0.0, 50.0, 10),
        lambda: percentiles(a, fb, 0.5),
        lambda: signed_distance(fb, (1.2, 1.0, 0.5)),
    ]
    alone = [job().tobytes() for job in jobs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(job) for _ in range(4) for job in jobs]
        together = [f.result().tobytes() for f in futures]
    assert together == alone * 4


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([(7, 5, 6), (9, 4), (12, 3, 3), (2, 6, 5), (1, 8, 8)]),
    st.integers(0, 1000),
    st.lists(st.sampled_from([1, 2, 3, 5]), min_size=3, max_size=3),
    st.sampled_from([1, 10, 40]),
)
def test_cross_correlation_in_slabs_gives_the_bytes_of_the_whole_volume_at_once(
    shape: tuple[int, ...], seed: int, radii: list[int], slab_voxels: int
) -> None:
    import voxcas.primitives.spatial as spatial

    rng = np.random.default_rng(seed)
    a = rng.random(shape) * 12 - 1  # some values fall outside the histogram range [0, 10)
    b = rng.random(shape) * 12 - 1
    fb = rng.random(shape) < 0.6
    r = tuple(radii[: len(shape)])
    whole = cross_correlation(a, b, fb, r, 0.0, 10.0, 5)  # one slab: the whole volume fits
    saved = spatial.SLAB_VOXELS
    spatial.SLAB_VOXELS = slab_voxels  # slabs of one or a few planes, each with its halo
    try:
        slabbed = cross_correlation(a, b, fb, r, 0.0, 10.0, 5)
    finally:
        spatial.SLAB_VOXELS = saved
    assert slabbed.dtype == np.float32 and slabbed.tobytes() == whole.tobytes()
