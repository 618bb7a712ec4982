"""The arrays namespace: VoxLogicA-2's evaluation helpers, checked against plain-Python counting
over the voxels (an oracle that shares no code with the numpy kernels)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voxcas.errors import PrimitiveError
from voxcas.execute import RunOptions, run_workplan
from voxcas.lang import reduce_source
from voxcas.primitives.imageio import write_image
from voxcas.primitives.registry import default_registry
from voxcas.store.memory import MemoryStore
from voxcas.values import Image

RNG = np.random.default_rng(2)
PRED = RNG.integers(0, 3, (3, 4, 5)).astype(np.uint8)
TRUTH = RNG.integers(0, 3, (3, 4, 5)).astype(np.uint8)


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"arrays.{name}")(*args)


def pairs() -> list[tuple[int, int]]:
    return list(zip(PRED.ravel().tolist(), TRUTH.ravel().tolist(), strict=True))


def test_pixel_accuracy_is_the_fraction_of_equal_voxels() -> None:
    correct = sum(1 for p, t in pairs() if p == t)
    out = call("pixel_accuracy", Image.from_array(PRED), Image.from_array(TRUTH))
    assert out == {
        "accuracy": correct / 60,
        "correct_pixels": correct,
        "total_pixels": 60,
        "incorrect_pixels": 60 - correct,
    }


def test_confusion_matrix_rows_are_truth_and_columns_predicted_with_per_class_scores() -> None:
    counts = Counter((t, p) for p, t in pairs())
    out = call("confusion_matrix", Image.from_array(PRED), Image.from_array(TRUTH))
    assert out["num_classes"] == 3
    assert out["confusion_matrix"] == [[counts[(t, p)] for p in range(3)] for t in range(3)]
    for c in range(3):
        tp = counts[(c, c)]
        predicted = sum(counts[(t, c)] for t in range(3))
        actual = sum(counts[(c, p)] for p in range(3))
        precision, recall = tp / predicted, tp / actual
        assert out["precision"][c] == pytest.approx(precision)
        assert out["recall"][c] == pytest.approx(recall)
        assert out["f1_score"][c] == pytest.approx(2 * precision * recall / (precision + recall))
    assert out["mean_recall"] == pytest.approx(sum(out["recall"]) / 3)
    wider = call("confusion_matrix", Image.from_array(PRED), Image.from_array(TRUTH), 4)
    assert wider["num_classes"] == 4 and wider["precision"][3] == 0.0


@pytest.mark.parametrize("label", [0, 1, 2])
def test_dice_and_jaccard_count_the_voxels_equal_to_the_label(label: int) -> None:
    p = {i for i, (a, _) in enumerate(pairs()) if a == label}
    t = {i for i, (_, b) in enumerate(pairs()) if b == label}
    dice = call("dice_score", Image.from_array(PRED), Image.from_array(TRUTH), label)
    jac = call("jaccard_index", Image.from_array(PRED), Image.from_array(TRUTH), label)
    assert dice == {
        "dice_score": pytest.approx(2 * len(p & t) / (len(p) + len(t))),
        "intersection": len(p & t),
        "predicted_positive": len(p),
        "ground_truth_positive": len(t),
    }
    assert jac["jaccard_index"] == jac["iou"] == pytest.approx(len(p & t) / len(p | t))
    assert (jac["intersection"], jac["union"]) == (len(p & t), len(p | t))


def test_empty_labels_give_voxlogica2s_nan_dice_and_zero_jaccard() -> None:
    empty = Image.from_array(np.zeros((2, 2), np.uint8))
    assert math.isnan(call("dice_score", empty, empty)["dice_score"])
    assert call("jaccard_index", empty, empty)["jaccard_index"] == 0.0


def test_boolean_masks_count_as_0_and_1() -> None:
    mask = Image.from_array(PRED == 1)
    assert call("dice_score", mask, Image.from_array(TRUTH == 1)) == call(
        "dice_score", Image.from_array(PRED), Image.from_array(TRUTH)
    )


def test_count_pixels_of_one_value_and_of_every_value() -> None:
    values = PRED.ravel().tolist()
    one = call("count_pixels", Image.from_array(PRED), 2)
    assert one == {
        "value": 2.0,
        "count": values.count(2),
        "total_pixels": 60,
        "percentage": values.count(2) / 60 * 100,
    }
    every = call("count_pixels", Image.from_array(PRED))
    assert every["unique_values"] == sorted(set(values))
    assert every["counts"] == [values.count(v) for v in sorted(set(values))]


def test_threshold_equal_is_a_uint8_image_of_the_two_values() -> None:
    out = call("threshold_equal", Image.from_array(PRED), 1, 255, 7)
    assert out.array.dtype == np.uint8
    assert out.array.ravel().tolist() == [255 if v == 1 else 7 for v in PRED.ravel().tolist()]


def test_array_stats_and_compare_arrays_describe_the_values() -> None:
    values = sorted(PRED.ravel().tolist())
    stats = call("array_stats", Image.from_array(PRED))
    assert stats["mean"] == pytest.approx(sum(values) / 60)
    assert stats["median"] == (values[29] + values[30]) / 2
    assert stats["shape"] == [3, 4, 5] and stats["unique_values"] == len(set(values))
    a, b = PRED.astype(np.int16), TRUTH.astype(np.int16)
    cmp = call("compare_arrays", Image.from_array(a), Image.from_array(b))
    diffs = [t - p for p, t in pairs()]
    assert cmp["elements_equal"] == diffs.count(0)
    assert cmp["mean_difference"] == pytest.approx(sum(diffs) / 60)
    assert (cmp["min_difference"], cmp["max_difference"]) == (min(diffs), max(diffs))


def test_arrays_of_different_shapes_are_an_error_naming_both() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("pixel_accuracy", Image.from_array(PRED), Image.from_array(TRUTH[:2]))
    assert str(info.value) == "arrays.pixel_accuracy: shapes differ: predicted is 3x4x5, truth is 2x4x5"


def test_a_program_prints_the_records_of_the_arrays_namespace(tmp_path: Path) -> None:
    write_image(Image.from_array(PRED), tmp_path / "p.nii.gz")
    write_image(Image.from_array(TRUTH), tmp_path / "t.nii.gz")
    program = f"""import "arrays"
p = load("{tmp_path / "p.nii.gz"}")
t = load("{tmp_path / "t.nii.gz"}")
print "dice" dice_score(p, t, 2)
print "v" vector_double([1, 2])
"""
    summary = run_workplan(
        reduce_source(program, str(tmp_path / "p.imgql")), MemoryStore(), RunOptions(scheduler="sync")
    )
    assert summary.status == "ok", summary.failures
    dice = call("dice_score", Image.from_array(PRED), Image.from_array(TRUTH), 2)
    fields = ", ".join(f'"{k}": {v!r}' for k, v in sorted(dice.items()))
    assert summary.outputs == ["dice={" + fields + "}", "v=[1.0, 2.0]"]
