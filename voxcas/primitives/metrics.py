"""The metrics namespace: segmentation quality between two boolean images (`import "metrics"`).

With A the voxels of `a`, B those of `b`, and N the number of voxels:

- `dice(a, b)` = 2|A∩B| / (|A| + |B|); 1.0 when both are empty.
- `jaccard(a, b)` = |A∩B| / |A∪B|; 1.0 when both are empty.
- `accuracy(a, b)` = (|A∩B| + |outside both|) / N, the fraction of voxels on which they agree.
- `hausdorff(a, b)` = max(max over A of the distance to B, max over B of the distance to A),
  Euclidean between voxel centres in physical units (spacing, float32 precision, from the exact
  signed Maurer distance of vox1's `dt`); 0.0 when both are empty and
  +inf when exactly one is.

Masks are checked as in vox1 (bool, or uint8 holding 0 and 1; same size and geometry).
"""

from __future__ import annotations

from typing import Any

from voxcas.primitives.registry import Namespace
from voxcas.primitives.vox1 import mask_arg, same_geometry

NAMESPACE = Namespace("metrics", doc="Segmentation quality: dice, jaccard, accuracy, hausdorff.")
ns = NAMESPACE.primitive


def _pair(prim: str, a: Any, b: Any) -> tuple[Any, Any]:
    qualified = f"metrics.{prim}"
    ma, mb = mask_arg(qualified, a, "a"), mask_arg(qualified, b, "b")
    same_geometry(qualified, [("a", a), ("b", b)])
    return ma, mb


@ns("dice", result="float")
def dice(a: Any, b: Any) -> float:
    """Dice-Sørensen overlap 2|A∩B| / (|A|+|B|) of two masks (1.0 when both are empty)."""
    import numpy as np

    ma, mb = _pair("dice", a, b)
    total = int(np.count_nonzero(ma)) + int(np.count_nonzero(mb))
    if total == 0:
        return 1.0
    return 2.0 * int(np.count_nonzero(ma & mb)) / total


@ns("jaccard", result="float")
def jaccard(a: Any, b: Any) -> float:
    """Jaccard index |A∩B| / |A∪B| of two masks (1.0 when both are empty)."""
    import numpy as np

    ma, mb = _pair("jaccard", a, b)
    union = int(np.count_nonzero(ma | mb))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(ma & mb)) / union


@ns("accuracy", result="float")
def accuracy(a: Any, b: Any) -> float:
    """Fraction of voxels on which two masks agree."""
    import numpy as np

    ma, mb = _pair("accuracy", a, b)
    if ma.size == 0:
        return 1.0
    return float(np.count_nonzero(ma == mb)) / float(ma.size)


@ns("hausdorff", result="float")
def hausdorff(a: Any, b: Any) -> float:
    """Symmetric Hausdorff distance between two masks in physical units (0 both empty, inf one empty)."""
    from voxcas.primitives.spatial import signed_distance

    ma, mb = _pair("hausdorff", a, b)
    has_a, has_b = bool(ma.any()), bool(mb.any())
    if not has_a and not has_b:
        return 0.0
    if not has_a or not has_b:
        return float("inf")
    # From outside a set, its nearest voxel is one of its boundary voxels, so the signed distance
    # to the boundary (vox1's dt, exact Maurer transform) is the distance to the set; inside, 0.
    spacing = a.spacing[::-1]
    a_to_b = float(signed_distance(mb, spacing)[ma].max())
    b_to_a = float(signed_distance(ma, spacing)[mb].max())
    return max(a_to_b, b_to_a, 0.0)
