"""Hand-made plan nodes and value comparison for the store tests (until the executor fills stores)."""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings

from voxcas.ids import NodeId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.span import Span
from voxcas.values import Image

# A modest number of examples so the suite stays fast; VOX_THOROUGH=1 runs ten times more.
STORE_SETTINGS = settings(
    max_examples=400 if os.environ.get("VOX_THOROUGH") else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def const_node(value: int, label: str | None = None) -> PlanNode:
    """The node of the integer constant `value`, with a source span."""
    definition = Const("int", value)
    return PlanNode(node_id(definition), definition, Span("prog.imgql", 1, value % 50 + 1, 1, 60), label)


def apply_node(op: str, *args: NodeId, label: str | None = None) -> PlanNode:
    definition = Apply(op, "1", tuple(args))
    return PlanNode(node_id(definition), definition, Span("prog.imgql", 3, 9, 3, 20), label)


def _float_key(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)  # tells -0.0 from 0.0


def same_value(a: Any, b: Any) -> bool:
    """Structural equality as the store promises it: NaN equals NaN, -0.0 differs from 0.0,
    any sequence equals a list of the same items, arrays compare dtype (byte order aside),
    shape and bytes."""
    a = a.item() if isinstance(a, np.generic) else a  # numpy scalars are stored as Python ones
    b = b.item() if isinstance(b, np.generic) else b
    if isinstance(a, Image) or isinstance(b, Image):
        return (
            isinstance(a, Image)
            and isinstance(b, Image)
            and (a.spacing, a.origin, a.direction, a.components)
            == (b.spacing, b.origin, b.direction, b.components)
            and same_value(a.array, b.array)
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        native_a, native_b = a.dtype.newbyteorder("="), b.dtype.newbyteorder("=")
        return (
            native_a == native_b
            and a.shape == b.shape
            and np.ascontiguousarray(a, dtype=native_a).tobytes()
            == np.ascontiguousarray(b, dtype=native_b).tobytes()
        )
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, float) and isinstance(b, float) and _float_key(a) == _float_key(b)
    if isinstance(a, int) or isinstance(b, int):
        return isinstance(a, int) and isinstance(b, int) and a == b
    if isinstance(a, str | bytes | None) or isinstance(b, str | bytes | None):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return sorted(a) == sorted(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, Sequence) and isinstance(b, Sequence):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return False
