"""Constant folding is bounded: a doubling chain folds only until its constant passes the bound."""

from __future__ import annotations

from voxcas.lang import reduce_source
from voxcas.plan.fold import MAX_FOLDED_BYTES, MAX_FOLDED_INT_BITS, to_const
from voxcas.plan.nodes import Const


def doubling(steps: int, op: str, start: str) -> str:
    lines = [f"a0 = {start}"] + [f"a{i} = a{i - 1} {op} a{i - 1}" for i in range(1, steps + 1)]
    return "\n".join([*lines, f'print "n" a{steps}']) + "\n"


def test_a_string_doubled_thirty_times_is_folded_only_up_to_the_bound() -> None:
    plan = reduce_source(doubling(30, "+", '"ab"'))
    strings = [n.definition.value for n in plan.nodes.values() if isinstance(n.definition, Const)]
    longest = max(len(s) for s in strings if isinstance(s, str))
    assert MAX_FOLDED_BYTES // 2 < longest <= MAX_FOLDED_BYTES  # the last folded step, no further
    assert len(plan.nodes) < 40  # the remaining steps are nodes, left to the run


def test_an_integer_squared_repeatedly_stops_folding_past_the_bit_bound() -> None:
    plan = reduce_source(doubling(30, "*", "3"))
    ints = [n.definition.value for n in plan.nodes.values() if isinstance(n.definition, Const)]
    assert max(abs(int(v)).bit_length() for v in ints) <= MAX_FOLDED_INT_BITS


def test_values_over_the_bounds_are_not_constants() -> None:
    assert to_const("x" * MAX_FOLDED_BYTES) == Const("str", "x" * MAX_FOLDED_BYTES)
    assert to_const("x" * (MAX_FOLDED_BYTES + 1)) is None
    assert to_const(1 << (MAX_FOLDED_INT_BITS + 1)) is None
    assert to_const(["y" * (MAX_FOLDED_BYTES // 2)] * 3) is None
