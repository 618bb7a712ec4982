"""Workplans: deduplication by id and dependency order, even for very deep chains."""

from __future__ import annotations

from voxcas.ids import NodeId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode, Workplan


def _const(v: int) -> PlanNode:
    d = Const("int", v)
    return PlanNode(node_id(d), d)


def _apply(op: str, *args: NodeId) -> PlanNode:
    d = Apply(op, "1", tuple(args))
    return PlanNode(node_id(d), d)


def test_adding_an_equal_node_twice_keeps_one() -> None:
    plan = Workplan()
    plan.add(_const(1))
    plan.add(_const(1))
    assert len(plan.nodes) == 1


def test_needed_by_lists_dependencies_before_dependents_and_skips_unreachable_nodes() -> None:
    plan = Workplan()
    a, b = plan.add(_const(1)), plan.add(_const(2))
    plan.add(_const(99))
    s = plan.add(_apply("default.+", a, b))
    t = plan.add(_apply("default.*", s, a))
    order = plan.needed_by([t])
    assert set(order) == {a, b, s, t}
    assert order.index(s) > order.index(a) and order.index(s) > order.index(b)
    assert order[-1] == t


def test_needed_by_handles_a_chain_ten_thousand_deep_without_recursion() -> None:
    plan = Workplan()
    prev = plan.add(_const(0))
    one = plan.add(_const(1))
    for _ in range(10_000):
        prev = plan.add(_apply("default.+", prev, one))
    order = plan.needed_by([prev])
    assert len(order) == 10_002
    assert order[-1] == prev
