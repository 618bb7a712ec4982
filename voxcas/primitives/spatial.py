"""Array kernels of the vox1 spatial logic: plain numpy arrays in, numpy arrays out.

`voxcas.primitives.vox1` checks arguments and wraps these in images; this module only computes.
Arrays are in numpy order (`[z, y, x]`), so a `spacing` argument here is already numpy-ordered
(`Image.spacing[::-1]`). Every kernel is vectorised (numpy, scipy.ndimage, SimpleITK), so the
heavy loops run in C and release the GIL; none depends on the number of threads for its result.

Definitions (shared with docs/images.md):

- *box neighbourhood*: the 3^d voxels at Chebyshev index distance <= 1 (8 neighbours in 2D,
  26 in 3D). `near` is dilation by it with the outside of the image false; `interior` is its
  dual (erosion with the outside true).
- *full connectivity*: components use the same box neighbourhood
  (`scipy.ndimage.generate_binary_structure(d, d)`).
- *boundary voxel of a*: a voxel of `a` with at least one voxel of its box neighbourhood
  inside the image and not in `a` (diagonal neighbours count). The edge of the image is not a
  boundary.
- *signed distance* `dt(a)`: the Euclidean distance in physical units from each voxel centre to
  the nearest boundary voxel centre of `a`, negative inside `a`, 0 on its boundary voxels,
  positive outside; +inf everywhere when `a` is empty and -inf everywhere when `a` has no
  boundary voxel but is not empty (all true). Computed with ITK's exact signed Maurer transform,
  whose contour is exactly this boundary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def _shifted(ndim: int, axis: int, start: int | None, stop: int | None) -> tuple[slice, ...]:
    index = [slice(None)] * ndim
    index[axis] = slice(start, stop)
    return tuple(index)


def near(a: np.ndarray) -> np.ndarray:
    """Dilation by the box neighbourhood, outside false: separable ORs of one-voxel shifts."""
    out = a
    for axis in range(a.ndim):
        grown = out.copy()
        grown[_shifted(a.ndim, axis, 1, None)] |= out[_shifted(a.ndim, axis, None, -1)]
        grown[_shifted(a.ndim, axis, None, -1)] |= out[_shifted(a.ndim, axis, 1, None)]
        out = grown
    return out if out is not a else a.copy()


def interior(a: np.ndarray) -> np.ndarray:
    """Erosion by the box neighbourhood, outside true: `not near(not a)`."""
    import numpy as np

    out: np.ndarray = np.logical_not(near(np.logical_not(a)))
    return out


def label(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components with full connectivity: int32 labels 1..n in raster order of first voxel."""
    import numpy as np
    from scipy import ndimage

    structure = ndimage.generate_binary_structure(a.ndim, a.ndim)
    labels = np.empty(a.shape, np.int32)
    n = ndimage.label(a, structure=structure, output=labels)
    return labels, int(n)


def through(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Voxels of b whose component in b contains a voxel of a."""
    import numpy as np

    labels, n = label(b)
    keep = np.zeros(n + 1, np.bool_)
    keep[labels[a]] = True
    keep[0] = False
    out: np.ndarray = keep[labels]
    return out


def maxvol(a: np.ndarray) -> np.ndarray:
    """The union of the components of a with the largest voxel count (empty stays empty)."""
    import numpy as np

    labels, n = label(a)
    if n == 0:
        return np.zeros(a.shape, np.bool_)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    counts[0] = 0
    keep = counts == counts.max()
    out: np.ndarray = keep[labels]
    return out


def boundary(a: np.ndarray) -> np.ndarray:
    """Voxels of a with a box neighbour inside the image that is not in a: `a & near(~a)`."""
    import numpy as np

    out: np.ndarray = a & near(np.logical_not(a))
    return out


def signed_distance(a: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Signed Euclidean distance to the boundary of a (see the module docstring), float32."""
    import numpy as np

    from voxcas.primitives.imageio import sitk_module

    if not a.any():
        return np.full(a.shape, np.inf, np.float32)
    if a.all():
        return np.full(a.shape, -np.inf, np.float32)
    sitk = sitk_module()
    img = sitk.GetImageFromArray(a.view(np.uint8))
    img.SetSpacing([float(s) for s in spacing[::-1]])
    dist = sitk.SignedMaurerDistanceMap(
        img, insideIsPositive=False, squaredDistance=False, useImageSpacing=True
    )
    out: np.ndarray = sitk.GetArrayFromImage(dist).astype(np.float32, copy=False)
    out += np.float32(0.0)  # -0.0 on the boundary becomes 0.0
    return out


def percentiles(values: np.ndarray, mask: np.ndarray, k: float) -> np.ndarray:
    """(count(< v) + k * count(== v)) / n over the voxels of mask, -1 outside; float32.

    Counting is exact: small-range integer images use a histogram; others sort once (argsort)
    and read, for each run of equal values, its start (the count below) and its length.
    """
    import numpy as np

    out = np.full(values.shape, -1.0, np.float32)
    selected = values[mask]
    n = selected.size
    if n == 0:
        return out
    if selected.dtype.kind in "iub":
        lo = int(selected.min())
        span = int(selected.max()) - lo + 1
    else:
        span = -1
    if 0 < span <= 1 << 20:
        shifted = (selected.astype(np.int64) - lo) if lo != 0 or selected.dtype.kind == "b" else selected
        counts = np.bincount(shifted, minlength=span)
        below = np.cumsum(counts) - counts
        level_value = ((below + k * counts) / n).astype(np.float32)  # one value per intensity level
        out[mask] = level_value[shifted]
        return out
    order = np.argsort(selected)  # ties need no stable order: equal values get equal results
    ordered = selected[order]
    starts_run = np.empty(n, np.bool_)
    starts_run[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_run[1:])
    starts = np.flatnonzero(starts_run)
    run_counts = np.diff(np.append(starts, n))
    run_value = ((starts + k * run_counts) / n).astype(np.float32)  # one value per run of equals
    result = np.empty(n, np.float32)
    result[order] = run_value[np.cumsum(starts_run) - 1]
    out[mask] = result
    return out


def box_sum(counts: np.ndarray, radii: Sequence[int]) -> np.ndarray:
    """Exact integer sum over the box of the given radius per axis (truncated at the image edge).

    Separable: per axis, with C the inclusive cumulative sum, the sum over [i-r, i+r] is
    C[min(i+r, n-1)] - C[i-r-1] (0 when i-r-1 < 0), built from shifted slices of C, no gathers.
    """
    import numpy as np

    out = counts.astype(np.int32, copy=False)
    for axis, r in enumerate(radii):
        n = out.shape[axis]
        if r <= 0 or n == 0:
            continue
        csum = np.cumsum(out, axis=axis, dtype=np.int32)

        def part(start: int | None, stop: int | None, arr: np.ndarray = csum, ax: int = axis) -> np.ndarray:
            return arr[_shifted(arr.ndim, ax, start, stop)]

        def pad(value: np.ndarray, count: int, ax: int = axis) -> np.ndarray:
            shape = list(value.shape)
            shape[ax] = count
            return np.broadcast_to(value, shape)

        last = part(n - 1, n)
        upper = np.concatenate([part(r, None), pad(last, r)], axis=axis) if r < n else pad(last, n)
        if r + 1 < n:
            zeros = np.zeros_like(last)
            lower = np.concatenate([pad(zeros, r + 1), part(None, n - r - 1)], axis=axis)
            out = upper - lower
        else:
            out = np.array(upper)
    return out


def histogram_bins(values: np.ndarray, m1: float, m2: float, bins: int) -> np.ndarray:
    """Bin index 0..bins-1 of each value in [m1, m2), -1 for values outside that range (and NaN)."""
    import numpy as np

    data = values.astype(np.float64)
    width = (m2 - m1) / bins
    index = np.floor((data - m1) / width)
    inside = (data >= m1) & (data < m2)
    index = np.clip(index, 0, bins - 1)  # rounding can push a value just below m2 to `bins`
    return np.where(inside, index, -1).astype(np.int32)


def box_count(indicator: np.ndarray, radii: Sequence[int]) -> np.ndarray:
    """Exact count of true voxels in each voxel's box (truncated at the edge), in a small integer type.

    Small radii add shifted copies (per axis 2r additions in uint8/uint16, cheap on memory);
    radii above 4 use the cumulative-sum `box_sum`.
    """
    import numpy as np

    if max(radii, default=0) > 4:
        return box_sum(indicator.view(np.uint8), radii)
    volume = 1
    for r in radii:
        volume *= 2 * r + 1
    dtype = np.dtype(np.uint8 if volume <= 255 else np.uint16 if volume <= 65535 else np.int32)
    out: np.ndarray = indicator.astype(dtype)
    for axis, r in enumerate(radii):
        if r <= 0:
            continue
        acc: np.ndarray = out.copy()
        for d in range(1, min(r, out.shape[axis] - 1) + 1):
            acc[_shifted(out.ndim, axis, d, None)] += out[_shifted(out.ndim, axis, None, -d)]
            acc[_shifted(out.ndim, axis, None, -d)] += out[_shifted(out.ndim, axis, d, None)]
        out = acc
    return out


SLAB_VOXELS = 1 << 20  # voxels per slab of the slab-wise kernels (their temporaries stay this small)


def _slabs(shape: tuple[int, ...], halo: int) -> list[tuple[int, int, int, int]]:
    """Slabs along axis 0: (start, stop) of the output planes and (lo, hi) of the input planes,
    `halo` planes wider on each side (clipped at the edges), about `SLAB_VOXELS` output voxels each."""
    n = shape[0] if shape else 0
    plane = max(1, math.prod(shape[1:]))
    step = max(1, SLAB_VOXELS // plane, 2 * halo)  # halos cost at most as much as the slab itself
    return [(z0, min(n, z0 + step), max(0, z0 - halo), min(n, z0 + step + halo)) for z0 in range(0, n, step)]


def cross_correlation(
    a: np.ndarray,
    b: np.ndarray,
    fb: np.ndarray,
    radii: Sequence[int],
    m1: float,
    m2: float,
    bins: int,
) -> np.ndarray:
    """Pearson correlation, at each voxel, of the local histogram of `a` with the histogram of `b` on `fb`.

    Algorithm (exact integer counting, fixed order: independent of the number of cores): bin every
    voxel once; H is the histogram of `b` over `fb`; for each bin j the local count C_j is an exact
    integer box count of `bin(a) == j`. With T = sum_j C_j (the box count of in-range voxels),
    the integer sums S = sum_j C_j H_j and Q = sum_j C_j^2 are accumulated bin by bin, and only
    then, in float64,

        corr = (S - T * sum(H) / bins) / sqrt((Q - T^2 / bins) * sum_j (H_j - mean(H))^2).

    A local histogram is constant when Q * bins == T^2 (tested in integers). Both constant gives
    1, exactly one constant gives 0. Result float32.

    Memory: the volume is worked through in slabs along the first axis (`_slabs`), each read with
    a halo of the box radius, so the int64 sums and the per-bin counts exist only slab by slab
    (a few MiB) instead of as a dozen full-size temporaries; every voxel's box lies inside its
    slab's halo, so each count, and hence each result, is exactly the whole-volume one.
    """
    import numpy as np

    target = np.zeros(bins, np.int64)
    if a.ndim == 0 or fb.ndim == 0:
        b_bins = histogram_bins(b[fb], m1, m2, bins)
        target += np.bincount(b_bins[b_bins >= 0], minlength=bins)
    else:
        for z0, z1, _, _ in _slabs(b.shape, 0):
            b_bins = histogram_bins(b[z0:z1][fb[z0:z1]], m1, m2, bins)
            target += np.bincount(b_bins[b_bins >= 0], minlength=bins)
    target_sum = int(target.sum())
    target_var = float(((target - target_sum / bins) ** 2).sum())
    if a.ndim == 0:
        return _cross_correlation_block(a, radii, m1, m2, bins, target, target_sum, target_var)
    out = np.empty(a.shape, np.float32)
    for z0, z1, lo, hi in _slabs(a.shape, radii[0] if radii else 0):
        block = _cross_correlation_block(a[lo:hi], radii, m1, m2, bins, target, target_sum, target_var)
        out[z0:z1] = block[z0 - lo : z1 - lo]
    return out


def _cross_correlation_block(
    a: np.ndarray,
    radii: Sequence[int],
    m1: float,
    m2: float,
    bins: int,
    target: np.ndarray,
    target_sum: int,
    target_var: float,
) -> np.ndarray:
    """`cross_correlation` on one block of `a` (box counts truncated at the block's edges)."""
    import numpy as np

    a_bins = histogram_bins(a, m1, m2, bins)
    total = box_count(a_bins >= 0, radii).astype(np.int64)
    s = np.zeros(a.shape, np.int64)
    q = np.zeros(a.shape, np.int64)
    wide = np.empty(a.shape, np.int64)
    for j in range(bins):
        local = box_count(a_bins == j, radii)
        np.copyto(wide, local, casting="unsafe")
        if target[j]:
            s += wide * target[j]
        np.multiply(wide, wide, out=wide)
        q += wide
    constant = q * bins == total * total
    out = np.zeros(a.shape, np.float32)
    if target_var == 0.0:
        out[constant] = 1.0
        return out
    varying = ~constant
    t = total[varying].astype(np.float64)
    numerator = s[varying] - t * (target_sum / bins)
    local_var = q[varying] - t * t / bins
    out[varying] = (numerator / np.sqrt(local_var * target_var)).astype(np.float32)
    return out


def otsu_threshold(values: np.ndarray, bins: int) -> float:
    """Otsu's threshold of a set of values with `bins` equal-width bins over [min, max].

    Returns the lower edge of the first bin of the upper class, for the split maximising the
    between-class variance (the first such split on ties); the minimum itself when all values are
    equal. Voxels `>= threshold` form the upper class.
    """
    import numpy as np

    data = values.astype(np.float64).ravel()
    lo, hi = float(data.min()), float(data.max())
    if hi <= lo:
        return lo
    width = (hi - lo) / bins
    index = np.clip(np.floor((data - lo) / width), 0, bins - 1).astype(np.int64)
    counts = np.bincount(index, minlength=bins).astype(np.float64)
    centres = lo + (np.arange(bins) + 0.5) * width
    sums = counts * centres
    w0 = np.cumsum(counts)[:-1]
    s0 = np.cumsum(sums)[:-1]
    w1 = data.size - w0
    s1 = sums.sum() - s0
    valid = (w0 > 0) & (w1 > 0)
    between = np.zeros(bins - 1)
    m0 = np.divide(s0, w0, out=np.zeros_like(s0), where=valid)
    m1_ = np.divide(s1, w1, out=np.zeros_like(s1), where=valid)
    between[valid] = w0[valid] * w1[valid] * (m0[valid] - m1_[valid]) ** 2
    t = int(np.argmax(between)) + 1
    return lo + t * width


def gradient_magnitude(values: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """|∇i| in intensity per physical unit: central differences inside, one-sided at the edges; float32."""
    import numpy as np

    data = values.astype(np.float32)
    total = np.zeros(data.shape, np.float32)
    for axis, step in enumerate(spacing):
        if data.shape[axis] < 2:
            continue
        g = np.gradient(data, float(step), axis=axis)
        total += g * g
    out: np.ndarray = np.sqrt(total)
    return out
