"""`slowtest.step(x, ms)`: x + 1 after sleeping ms milliseconds (a primitive with a known cost)."""

from __future__ import annotations

import time

from voxcas.primitives.registry import Namespace, Param

NAMESPACE = Namespace("slowtest", doc="test primitives with a controllable cost")


@NAMESPACE.primitive(params=(Param("x", "int"), Param("ms", "int")))
def step(x: int, ms: int) -> int:
    """x + 1, after sleeping ms milliseconds."""
    time.sleep(ms / 1000)
    return x + 1
