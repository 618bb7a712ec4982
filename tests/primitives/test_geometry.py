"""Geometry and physical volumes (`size`, `spacing`, `origin`, `voxel_volume`, `volume_mm3`, ...)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.errors import PrimitiveError
from voxcas.execute import RunOptions, run_workplan
from voxcas.lang import reduce_source
from voxcas.primitives.imageio import write_image
from voxcas.primitives.registry import default_registry
from voxcas.store.memory import MemoryStore
from voxcas.values import Image

SPACING = (0.8, 1.5, 3.0)
ORIGIN = (-90.0, 12.5, 4.0)


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"default.{name}")(*args)


def volume_image(array: np.ndarray) -> Image:
    return Image.from_array(array, spacing=SPACING, origin=ORIGIN)


def test_size_spacing_origin_and_direction_are_in_itk_order() -> None:
    image = volume_image(np.zeros((4, 5, 6), np.int16))  # numpy [z, y, x]
    assert call("size", image) == [6, 5, 4]
    assert call("spacing", image) == list(SPACING)
    assert call("origin", image) == list(ORIGIN)
    assert call("direction", image) == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert call("voxel_volume", image) == pytest.approx(0.8 * 1.5 * 3.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_mask_volumes_are_the_voxel_count_times_the_voxel_volume(seed: int) -> None:
    mask = np.random.default_rng(seed).random((4, 5, 6)) < 0.3
    count = sum(1 for i in np.ndindex(mask.shape) if mask[i])
    assert call("volume_mm3", volume_image(mask)) == pytest.approx(count * 3.6)
    assert call("volume_ml", volume_image(mask)) == pytest.approx(count * 3.6 / 1000)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_label_volumes_give_one_row_per_present_label(seed: int) -> None:
    labels = np.random.default_rng(seed).choice([0, 1, 2, 5, 7], size=(3, 4, 5)).astype(np.uint8)
    rows = call("label_volumes", volume_image(labels))
    expected = []
    for label in sorted({int(v) for v in labels.flat} - {0}):
        n = sum(1 for v in labels.flat if int(v) == label)
        expected.append([label, n, n * 3.6, n * 3.6 / 1000])
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert row[2:] == pytest.approx(want[2:])


def test_geometry_primitives_refuse_what_is_not_an_image() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("spacing", 3)
    assert str(info.value) == "default.spacing: argument 'i': expected an image, got int"
    with pytest.raises(PrimitiveError) as info:
        call("label_volumes", volume_image(np.zeros((2, 2, 2), np.float32)))
    assert str(info.value) == (
        "default.label_volumes: argument 'l': expected a label map of integers, got float32 values"
    )
    with pytest.raises(PrimitiveError) as info:
        call("volume_ml", volume_image(np.full((2, 2, 2), 0.5, np.float32)))
    assert str(info.value) == "default.volume_ml: argument 'm': expected a boolean image, got float32 values"


def test_volume_ml_counts_the_non_zero_voxels_of_a_0_255_mask() -> None:
    mask = np.zeros((4, 5, 6), np.uint8)
    mask[1:3, 2:5, 0:4] = 255
    expected = 2 * 3 * 4 * (0.8 * 1.5 * 3.0) / 1000.0
    assert call("volume_ml", volume_image(mask)) == pytest.approx(expected)


def test_a_program_prints_the_geometry_and_volumes_of_a_loaded_image(tmp_path: Path) -> None:
    seg = np.zeros((4, 5, 6), np.uint8)
    seg[1:3, 1:4, 2:5] = 1
    seg[0, 0, 0] = 2
    write_image(volume_image(seg), tmp_path / "seg.mha")
    program = f"""
    seg = load("{tmp_path / 'seg.mha'}")
    print "size" size(seg)
    print "spacing" spacing(seg)
    print "voxel" voxel_volume(seg)
    print "tumour_ml" volume_ml(seg == 1)
    print "labels" label_volumes(seg)
    """
    plan = reduce_source(program, str(tmp_path / "p.imgql"))
    summary = run_workplan(plan, MemoryStore(), RunOptions(scheduler="sync"))
    assert summary.status == "ok", summary.failures
    voxel = math.prod(SPACING)
    assert summary.outputs == [
        "size=[6, 5, 4]",
        "spacing=[0.8, 1.5, 3.0]",
        f"voxel={voxel!r}",
        f"tumour_ml={18 * voxel / 1000!r}",
        f"labels=[[1, 18, {18 * voxel!r}, {18 * voxel / 1000!r}], [2, 1, {voxel!r}, {voxel / 1000!r}]]",
    ]
