"""Voxel-wise vox1 primitives in 2D and 3D: values against numpy, geometry of the first image kept."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from voxcas.primitives.registry import default_registry
from voxcas.values import Image


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"vox1.{name}")(*args)


GEOMETRIES = {
    2: {"spacing": (0.5, 2.0), "origin": (3.0, -1.0), "direction": (0.0, 1.0, 1.0, 0.0)},
    3: {"spacing": (0.5, 2.0, 1.25), "origin": (3.0, -1.0, 7.0), "direction": (1, 0, 0, 0, 0, 1, 0, 1, 0)},
}
SHAPES = {2: (5, 7), 3: (3, 5, 7)}


def image(array: np.ndarray, dim: int) -> Image:
    return Image.from_array(array, **GEOMETRIES[dim])  # type: ignore[arg-type]


@pytest.fixture(params=[2, 3], ids=["2D", "3D"])
def dim(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def data(dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.integers(-20, 20, SHAPES[dim]).astype(np.float32)
    return values, rng.random(SHAPES[dim]) < 0.5, rng.random(SHAPES[dim]) < 0.5


def same_geometry(out: Image, dim: int) -> None:
    g = GEOMETRIES[dim]
    assert out.spacing == tuple(float(v) for v in g["spacing"])
    assert out.origin == tuple(float(v) for v in g["origin"])
    assert out.direction == tuple(float(v) for v in g["direction"])


def test_logic_is_voxel_wise(dim: int) -> None:
    _, a, b = data(dim)
    ia, ib = image(a, dim), image(b, dim)
    for name, expected in (("and", a & b), ("or", a | b)):
        out = call(name, ia, ib)
        assert np.array_equal(out.array, expected)
        same_geometry(out, dim)
    assert np.array_equal(call("not", ia).array, ~a)


def test_thresholds_are_voxel_wise(dim: int) -> None:
    v, _, _ = data(dim)
    i = image(v, dim)
    cases = {
        "eq_sv": (call("eq_sv", 3, i), v == 3),
        "geq_sv": (call("geq_sv", 3, i), v >= 3),
        "leq_sv": (call("leq_sv", -2.5, i), v <= -2.5),
        "between": (call("between", -5, 5, i), (v >= -5) & (v <= 5)),
    }
    for name, (out, expected) in cases.items():
        assert out.array.dtype == np.bool_ and np.array_equal(out.array, expected), name
        same_geometry(out, dim)


def test_statistics_and_masking(dim: int) -> None:
    v, a, _ = data(dim)
    i, m = image(v, dim), image(a, dim)
    assert call("avg", i, m) == pytest.approx(float(v[a].mean()))
    assert call("max", i) == float(v.max()) and call("min", i) == float(v.min())
    masked = call("mask", i, m)
    assert np.array_equal(masked.array, np.where(a, v, 0)) and masked.array.dtype == np.float32
    same_geometry(masked, dim)
    assert np.array_equal(call("abs", i).array, np.abs(v))
    assert call("volume", m) == int(a.sum())


def test_intensity_and_channels(dim: int) -> None:
    v, _, _ = data(dim)
    i = image(v.astype(np.int16), dim)
    out = call("intensity", i)
    assert out.array.dtype == np.float32 and np.array_equal(out.array, v)
    composed = call("rgb", i, i, i)
    assert composed.components == 3 and np.array_equal(call("green", composed).array, v.astype(np.int16))
    same_geometry(composed, dim)


def test_gradient_of_a_ramp_is_its_slope_per_millimetre(dim: int) -> None:
    shape = SHAPES[dim]
    ramp = np.broadcast_to(np.arange(shape[-1], dtype=np.float32) * 3.0, shape).copy()  # along ITK x
    out = call("gradient", image(ramp, dim))
    spacing_x = GEOMETRIES[dim]["spacing"][0]
    np.testing.assert_allclose(out.array, 3.0 / spacing_x, rtol=1e-6)  # type: ignore[operator]
    same_geometry(out, dim)


def test_geometry_primitives_follow_the_base_image(dim: int) -> None:
    base = image(np.zeros(SHAPES[dim], np.uint8), dim)
    for name in ("tt", "ff", "border", "x", "y", "z"):
        out = call(name, base)
        assert out.array.shape == SHAPES[dim], name
        same_geometry(out, dim)
    assert call("border", base).array.sum() == np.prod(SHAPES[dim]) - np.prod([n - 2 for n in SHAPES[dim]])
