"""The arrays namespace (`import "arrays"`): VoxLogicA-2's evaluation helpers on label images.

The semantics are those of VoxLogicA-2's `implementation/python/voxlogica/primitives/arrays/kernels.py`
(same names, arguments, result records and edge cases), computed here with numpy on voxcas
images. An image counts by its voxel values; a boolean image is read as 0/1 (VoxLogicA-2 holds
masks as uint8); a sequence is read as an array. Results are records (mappings) whose fields are
those VoxLogicA-2 returns:

- `pixel_accuracy(predicted, truth)`: `accuracy`, `correct_pixels`, `total_pixels`,
  `incorrect_pixels` (equal values over all voxels);
- `confusion_matrix(predicted, truth, num_classes)`: `confusion_matrix` (rows: truth, columns:
  predicted), `num_classes` (default: the largest label + 1), per-class `precision`, `recall`,
  `f1_score` (0 where undefined) and their means;
- `dice_score(predicted, truth, positive_label=1)`: `dice_score` = 2|P∩T| / (|P| + |T|) on the
  voxels equal to the label (NaN when neither has any, as in VoxLogicA-2), `intersection`,
  `predicted_positive`, `ground_truth_positive`;
- `jaccard_index(predicted, truth, positive_label=1)`: `jaccard_index` and `iou` = |P∩T| / |P∪T|
  (0 when the union is empty), `intersection`, `union`;
- `count_pixels(image, value)`: `value`, `count`, `total_pixels`, `percentage`; without a value,
  `unique_values`, `counts`, `total_pixels`, `percentages`;
- `threshold_equal(image, threshold, true_value=1, false_value=0)`: a uint8 image;
- `array_stats(image)`: `mean`, `std`, `min`, `max`, `median`, `shape` (numpy order, z y x),
  `total_elements`, `unique_values`;
- `compare_arrays(a, b)`: `shapes_match`, `elements_equal`, `elements_different`,
  `total_elements`, `percent_equal`, and for numbers the differences b − a (`mean_difference`,
  `mean_absolute_difference`, `max_absolute_difference`, `min_difference`, `max_difference`);
- `vector_uint32(values)`, `vector_double(values)`: the values as integers / floats.

Arrays of different shapes are an error naming both (numpy order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import Image, kind_of

if TYPE_CHECKING:
    import numpy as np

NAMESPACE = Namespace(
    "arrays",
    doc="VoxLogicA-2's evaluation helpers on label images: pixel_accuracy, confusion_matrix, "
    "dice_score, jaccard_index, count_pixels, threshold_equal, array_stats, compare_arrays.",
    libraries=("python", "numpy"),
)
prim = NAMESPACE.primitive


def _array(name: str, value: Any, arg: str) -> np.ndarray:
    import numpy as np

    if isinstance(value, Image):
        array = value.array
        return array.astype(np.uint8) if array.dtype == np.bool_ else array
    if isinstance(value, list | tuple | range):
        try:
            return np.asarray(value)
        except ValueError:
            pass
    raise PrimitiveError(f"arrays.{name}", f"expected an image or a sequence, got {kind_of(value)}", arg)


def _pair(name: str, a: Any, b: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = _array(name, a, names[0]), _array(name, b, names[1])
    if x.shape != y.shape:
        shape = "x".join(str(n) for n in x.shape), "x".join(str(n) for n in y.shape)
        raise PrimitiveError(
            f"arrays.{name}", f"shapes differ: {names[0]} is {shape[0]}, {names[1]} is {shape[1]}"
        )
    return x, y


_P, _T = Param("predicted"), Param("truth")


@prim("pixel_accuracy", params=(_P, _T), result="any")
def pixel_accuracy(predicted: Any, truth: Any) -> dict[str, Any]:
    """The fraction of voxels where predicted equals truth, with the counts."""
    import numpy as np

    p, t = _pair("pixel_accuracy", predicted, truth, ("predicted", "truth"))
    correct, total = int(np.sum(p == t)), int(p.size)
    return {
        "accuracy": correct / total if total else float("nan"),
        "correct_pixels": correct,
        "total_pixels": total,
        "incorrect_pixels": total - correct,
    }


@prim("confusion_matrix", params=(_P, _T, Param("num_classes", "int", default=None)), result="any")
def confusion_matrix(predicted: Any, truth: Any, num_classes: int | None = None) -> dict[str, Any]:
    """Counts of (truth, predicted) label pairs, with per-class precision, recall and F1."""
    import numpy as np

    p, t = _pair("confusion_matrix", predicted, truth, ("predicted", "truth"))
    p, t = p.ravel().astype(np.int64), t.ravel().astype(np.int64)
    n = int(max(p.max(initial=0), t.max(initial=0))) + 1 if num_classes is None else num_classes
    if min(p.min(initial=0), t.min(initial=0)) < 0 or max(p.max(initial=0), t.max(initial=0)) >= n:
        raise PrimitiveError("arrays.confusion_matrix", f"labels must lie in 0..{n - 1}", "num_classes")
    cm = np.bincount(t * n + p, minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(np.float64)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(col > 0, tp / col, 0.0)
        recall = np.where(row > 0, tp / row, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {
        "confusion_matrix": cm.tolist(),
        "num_classes": n,
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1_score": f1.tolist(),
        "mean_precision": float(np.mean(precision)),
        "mean_recall": float(np.mean(recall)),
        "mean_f1_score": float(np.mean(f1)),
    }


def _positives(name: str, predicted: Any, truth: Any, label: int) -> tuple[int, int, int]:
    import numpy as np

    p, t = _pair(name, predicted, truth, ("predicted", "truth"))
    pb, tb = p == label, t == label
    return int(np.sum(pb & tb)), int(np.sum(pb)), int(np.sum(tb))


_LABEL = Param("positive_label", "int", default=1)


@prim("dice_score", params=(_P, _T, _LABEL), result="any")
def dice_score(predicted: Any, truth: Any, positive_label: int = 1) -> dict[str, Any]:
    """Dice coefficient of the voxels equal to positive_label (NaN when neither has any)."""
    inter, np_, nt = _positives("dice_score", predicted, truth, positive_label)
    return {
        "dice_score": 2.0 * inter / (np_ + nt) if np_ + nt else float("nan"),
        "intersection": inter,
        "predicted_positive": np_,
        "ground_truth_positive": nt,
    }


@prim("jaccard_index", params=(_P, _T, _LABEL), result="any")
def jaccard_index(predicted: Any, truth: Any, positive_label: int = 1) -> dict[str, Any]:
    """Jaccard index (IoU) of the voxels equal to positive_label (0 when the union is empty)."""
    inter, np_, nt = _positives("jaccard_index", predicted, truth, positive_label)
    union = np_ + nt - inter
    jaccard = inter / union if union > 0 else 0.0
    return {"jaccard_index": jaccard, "iou": jaccard, "intersection": inter, "union": union}


@prim("count_pixels", params=(Param("image"), Param("value", "number", default=None)), result="any")
def count_pixels(image: Any, value: float | None = None) -> dict[str, Any]:
    """How many voxels equal value (or the count of every distinct value)."""
    import numpy as np

    a = _array("count_pixels", image, "image")
    total = int(a.size)
    if value is not None:
        count = int(np.sum(a == value))
        return {
            "value": float(value),
            "count": count,
            "total_pixels": total,
            "percentage": count / total * 100 if total else float("nan"),
        }
    values, counts = np.unique(a, return_counts=True)
    return {
        "unique_values": values.tolist(),
        "counts": counts.tolist(),
        "total_pixels": total,
        "percentages": (counts / total * 100).tolist() if total else [],
    }


@prim(
    "threshold_equal",
    params=(
        Param("image"),
        Param("threshold", "number"),
        Param("true_value", "int", default=1),
        Param("false_value", "int", default=0),
    ),
    result="image",
)
def threshold_equal(image: Any, threshold: float, true_value: int = 1, false_value: int = 0) -> Image:
    """A uint8 image: true_value where the voxel equals threshold, false_value elsewhere."""
    import numpy as np

    if not isinstance(image, Image) or image.components != 1:
        got = f"{image.components} components" if isinstance(image, Image) else kind_of(image)
        raise PrimitiveError("arrays.threshold_equal", f"expected a scalar image, got {got}", "image")
    for name, v in (("true_value", true_value), ("false_value", false_value)):
        if not 0 <= v <= 255:
            raise PrimitiveError("arrays.threshold_equal", f"expected 0..255 (uint8), got {v}", name)
    out = np.where(image.array == threshold, np.uint8(true_value), np.uint8(false_value)).astype(np.uint8)
    return image.with_array(out)


@prim("array_stats", params=(Param("image"),), result="any")
def array_stats(image: Any) -> dict[str, Any]:
    """Mean, standard deviation, extremes, median, shape and distinct values of the voxels."""
    import numpy as np

    a = _array("array_stats", image, "image")
    if a.size == 0:
        raise PrimitiveError("arrays.array_stats", "the array is empty", "image")
    return {
        "mean": float(np.mean(a)),
        "std": float(np.std(a)),
        "min": float(np.min(a)),
        "max": float(np.max(a)),
        "median": float(np.median(a)),
        "shape": list(a.shape),
        "total_elements": int(a.size),
        "unique_values": len(np.unique(a)),
    }


@prim("compare_arrays", params=(Param("a"), Param("b")), result="any")
def compare_arrays(a: Any, b: Any) -> dict[str, Any]:
    """Equal and different element counts of a and b, and statistics of b - a (in their type)."""
    import numpy as np

    x, y = _pair("compare_arrays", a, b, ("a", "b"))
    equal = int(np.sum(x == y))
    total = int(x.size)
    out: dict[str, Any] = {
        "shapes_match": True,
        "elements_equal": equal,
        "elements_different": total - equal,
        "total_elements": total,
        "percent_equal": equal / total * 100 if total else float("nan"),
    }
    if total and np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number):
        with np.errstate(over="ignore"):
            diff = y - x  # in numpy's result type, as VoxLogicA-2 computes it
        adiff = np.abs(diff)
        out |= {
            "mean_difference": float(np.mean(diff)),
            "mean_absolute_difference": float(np.mean(adiff)),
            "max_absolute_difference": float(np.max(adiff)),
            "min_difference": float(np.min(diff)),
            "max_difference": float(np.max(diff)),
        }
    return out


def _numbers(name: str, values: Any) -> list[Any]:
    if not isinstance(values, list | tuple | range):
        raise PrimitiveError(f"arrays.{name}", f"expected a sequence, got {kind_of(values)}", "values")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PrimitiveError(f"arrays.{name}", f"expected numbers, got {kind_of(v)}", "values")
    return list(values)


@prim("vector_uint32", params=(Param("values"),), result="seq", foldable=True)
def vector_uint32(values: Any) -> list[int]:
    """The values as integers (VoxLogicA-2 passes them to SimpleITK as VectorUInt32)."""
    return [int(v) for v in _numbers("vector_uint32", values)]


@prim("vector_double", params=(Param("values"),), result="seq", foldable=True)
def vector_double(values: Any) -> list[float]:
    """The values as floats (VoxLogicA-2 passes them to SimpleITK as VectorDouble)."""
    return [float(v) for v in _numbers("vector_double", values)]
