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


def const_value(const: Const) -> Any:
    """The runtime value of a constant node (a `list` constant is a tuple)."""
    return const.value


def to_const(value: Any) -> Const | None:
    """The constant node holding `value`, or None if it is not a scalar or a sequence of scalars."""
    if isinstance(value, bool):
        return Const("bool", value)
    if isinstance(value, int):
        return Const("int", value)
    if isinstance(value, float):
        return Const("float", value)
    if isinstance(value, str):
        return Const("str", value)
    if isinstance(value, list | tuple) and len(value) <= MAX_FOLDED_ITEMS:
        items = []
        for item in value:
            if not isinstance(item, bool | int | float | str):
                return None
            items.append(item)
        return Const("list", tuple(items))
    return None


def try_fold(prim: Primitive, args: Sequence[Const]) -> Const | None:
    """Evaluate a foldable primitive on constants; None when it is not foldable or fails."""
    if not prim.foldable or prim.base_image:
        return None
    try:
        result = prim(*(const_value(a) for a in args))
    except Exception:  # the executor reports it at the node
        return None
    return to_const(result)
