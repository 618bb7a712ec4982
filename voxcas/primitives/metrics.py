"""The metrics namespace: segmentation quality between two boolean images (`import "metrics"`).

With A the voxels of `a`, B those of `b`, and N the number of voxels:

- `dice(a, b)` = 2|A∩B| / (|A| + |B|); 1.0 when both are empty.
- `jaccard(a, b)` = |A∩B| / |A∪B|; 1.0 when both are empty.
- `accuracy(a, b)` = (|A∩B| + |outside both|) / N, the fraction of voxels on which they agree.
- `hausdorff(a, b)` = max(max over A of the distance to B, max over B of the distance to A),
  Euclidean between voxel centres in physical units (spacing, float32 precision, from the exact
  signed Maurer distance of vox1's `dt`); 0.0 when both are empty and
  +inf when exactly one is.

The metrics read `a` as the segmentation and `b` as the reference (ground truth):

- `sensitivity(a, b)` = |A∩B| / |B| (true positive rate, recall); an error when B is empty.
- `specificity(a, b)` = |outside both| / |outside B| (true negative rate); an error when B is
  the whole image.
- `volume_difference(a, b)` = (|A| − |B|) × voxel volume, in mm³, signed: positive when the
  segmentation is larger than the reference.

Surface metrics compare the *boundary voxels* of the two masks: the voxels of a mask with at
least one face neighbour (4 in 2D, 6 in 3D) outside it, the outside of the image counting as
outside the mask. d(s, S) is the Euclidean distance in millimetres (spacing applied; the
direction matrix is a rotation and changes no distance) from the centre of voxel s to the
nearest centre of a voxel of S, computed by an exact Euclidean distance transform
(`scipy.ndimage.distance_transform_edt` with the spacing as sampling). With S_A, S_B the
boundary voxels of A and B and D the pooled list of d(s, S_B) for s in S_A and d(s, S_A) for s
in S_B:

- `hd95(a, b)` = the 95th percentile of D (numpy's linear interpolation), the robust Hausdorff
  distance as MedPy's `hd95` computes it;
- `assd(a, b)` = the mean of D (Heimann et al. 2009: the sum of both directions' distances over
  |S_A| + |S_B|);
- `surface_dice(a, b, tolerance)` = the fraction of D that is at most `tolerance` mm
  (Nikolov et al. 2021, counting boundary voxels rather than surface areas).

When both masks are empty the distances are 0 and the surface Dice 1; when exactly one is,
the distances are +inf and the surface Dice 0 (as for `hausdorff`).

Masks are checked as in vox1 (bool, or an integer image standing for its non-zero voxels; same
size and geometry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.masks import mask_arg
from voxcas.primitives.registry import Namespace, Param
from voxcas.primitives.vox1 import same_geometry

if TYPE_CHECKING:
    import numpy as np

NAMESPACE = Namespace(
    "metrics",
    doc="Segmentation quality: overlap (dice, jaccard, sensitivity, specificity, volume difference) "
    "and surface distances (hausdorff, hd95, assd, surface_dice).",
    libraries=("python", "numpy", "scipy", "SimpleITK"),
)
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


@ns("sensitivity", result="float")
def sensitivity(a: Any, b: Any) -> float:
    """True positive rate |A∩B| / |B| of segmentation a against reference b (error if b is empty)."""
    import numpy as np

    ma, mb = _pair("sensitivity", a, b)
    positives = int(np.count_nonzero(mb))
    if positives == 0:
        raise PrimitiveError(
            "metrics.sensitivity", "the reference mask is empty: sensitivity is undefined", "b"
        )
    return int(np.count_nonzero(ma & mb)) / positives


@ns("specificity", result="float")
def specificity(a: Any, b: Any) -> float:
    """True negative rate of segmentation a against reference b (error if b fills the image)."""
    import numpy as np

    ma, mb = _pair("specificity", a, b)
    negatives = int(mb.size - np.count_nonzero(mb))
    if negatives == 0:
        raise PrimitiveError(
            "metrics.specificity", "the reference mask fills the image: specificity is undefined", "b"
        )
    return int(np.count_nonzero(~(ma | mb))) / negatives


@ns("volume_difference", result="float")
def volume_difference(a: Any, b: Any) -> float:
    """Signed volume difference (|A| − |B|) in mm³ of segmentation a against reference b."""
    import math

    import numpy as np

    ma, mb = _pair("volume_difference", a, b)
    voxels = int(np.count_nonzero(ma)) - int(np.count_nonzero(mb))
    return float(voxels * math.prod(a.spacing))


def boundary(mask: np.ndarray) -> np.ndarray:
    """The voxels of `mask` with a face neighbour outside it (the outside of the image included)."""
    from scipy import ndimage

    structure = ndimage.generate_binary_structure(mask.ndim, 1)
    inner = ndimage.binary_erosion(mask, structure=structure, border_value=0)
    out: np.ndarray = mask & ~inner
    return out


def surface_distances(prim: str, a: Any, b: Any) -> np.ndarray | None:
    """The pooled distances D (see the module docstring) in mm, float64; None when both are empty.

    An empty array stands for "exactly one mask is empty" (every distance is infinite)."""
    import numpy as np
    from scipy import ndimage

    ma, mb = _pair(prim, a, b)
    has_a, has_b = bool(ma.any()), bool(mb.any())
    if not has_a and not has_b:
        return None
    if not has_a or not has_b:
        return np.empty(0)
    sampling = tuple(float(s) for s in a.spacing[::-1])  # numpy axis order
    sa, sb = boundary(ma), boundary(mb)
    to_b = ndimage.distance_transform_edt(~sb, sampling=sampling)
    to_a = ndimage.distance_transform_edt(~sa, sampling=sampling)
    return np.concatenate([to_b[sa], to_a[sb]]).astype(np.float64)


@ns("hd95", result="float")
def hd95(a: Any, b: Any) -> float:
    """95th percentile of the symmetric boundary distances in mm (0 both empty, inf one empty)."""
    import numpy as np

    pooled = surface_distances("hd95", a, b)
    if pooled is None:
        return 0.0
    if pooled.size == 0:
        return float("inf")
    return float(np.percentile(pooled, 95))


@ns("assd", result="float")
def assd(a: Any, b: Any) -> float:
    """Average symmetric surface distance in mm (0 both empty, inf one empty)."""
    pooled = surface_distances("assd", a, b)
    if pooled is None:
        return 0.0
    if pooled.size == 0:
        return float("inf")
    return float(pooled.mean())


@ns(
    "surface_dice",
    params=(Param("a"), Param("b"), Param("tolerance", "float")),
    result="float",
)
def surface_dice(a: Any, b: Any, tolerance: float) -> float:
    """Fraction of both boundaries within tolerance mm of the other (1 both empty, 0 one empty)."""
    import numpy as np

    if tolerance < 0 or tolerance != tolerance:
        raise PrimitiveError(
            "metrics.surface_dice",
            f"the tolerance must be a distance in mm >= 0, got {tolerance!r}",
            "tolerance",
        )
    pooled = surface_distances("surface_dice", a, b)
    if pooled is None:
        return 1.0
    if pooled.size == 0:
        return 0.0
    return float(np.count_nonzero(pooled <= tolerance)) / float(pooled.size)
