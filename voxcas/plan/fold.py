"""Constant folding: evaluating cheap primitives on constant arguments while reducing.

Primitives declared `foldable=True` (arithmetic and comparison on numbers, string building,
conversions, `dir`) are called by the reducer (and by `instantiate` for loop items) when every
argument is a constant; a scalar result, or a sequence of scalars, becomes a `Const` node. A
primitive that fails is simply not folded: the executor will run it and report the error at the
node, as for any other failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voxcas.plan.nodes import Const
from voxcas.primitives.registry import Primitive

MAX_FOLDED_ITEMS = 100_000
MAX_FOLDED_BYTES = 4 * 1024 * 1024
# larger products cost more, and node ids write integers in decimal (Python caps that at 4300 digits)
MAX_FOLDED_INT_BITS = 4096


def _weight(value: Any) -> int:
    """The content size a scalar counts for against `MAX_FOLDED_BYTES`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        bits = value.bit_length()
        return MAX_FOLDED_BYTES + 1 if bits > MAX_FOLDED_INT_BITS else max(8, (bits + 7) // 8)
    return 8


def const_weight(const: Const) -> int:
    """The content size of a constant (`MAX_FOLDED_BYTES` bounds what folding makes and takes)."""
    if isinstance(const.value, tuple):
        return sum(_weight(item) for item in const.value)
    return _weight(const.value)


def const_value(const: Const) -> Any:
    """The runtime value of a constant node (a `list` constant is a tuple)."""
    return const.value


def to_const(value: Any) -> Const | None:
    """The constant node holding `value`, or None if it is not a scalar or a sequence of scalars."""
    if isinstance(value, bool):
        return Const("bool", value)
    if isinstance(value, int):
        return Const("int", value) if _weight(value) <= MAX_FOLDED_BYTES else None
    if isinstance(value, float):
        return Const("float", value)
    if isinstance(value, str):
        return Const("str", value) if len(value) <= MAX_FOLDED_BYTES else None
    if isinstance(value, list | tuple) and len(value) <= MAX_FOLDED_ITEMS:
        items = []
        weight = 0
        for item in value:
            if not isinstance(item, bool | int | float | str):
                return None
            weight += _weight(item)
            if weight > MAX_FOLDED_BYTES:
                return None
            items.append(item)
        return Const("list", tuple(items))
    return None


def try_fold(prim: Primitive, args: Sequence[Const]) -> Const | None:
    """Evaluate a foldable primitive on constants; None when it is not foldable or fails."""
    if not prim.foldable or prim.base_image:
        return None
    if sum(const_weight(a) for a in args) > MAX_FOLDED_BYTES:
        return None  # an argument at the bound: its result may be far larger (left to the run)
    try:
        result = prim(*(const_value(a) for a in args))
    except Exception:  # the executor reports it at the node
        return None
    return to_const(result)
