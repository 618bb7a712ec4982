"""Properties of the executor on random workplans (hypothesis): whatever the shape of the DAG,
which parts are already stored and which nodes fail, a run prints what a direct evaluation
gives, stores every goal that can be computed, and a second run computes nothing new."""

from __future__ import annotations

from typing import Any

from exec_helpers import PlanBuilder, make_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxcas.execute import RunOptions, run_workplan
from voxcas.ids import NodeId
from voxcas.store.memory import MemoryStore

REGISTRY = make_registry()
FAILED = object()

# a node: ("inc", i) | ("add", i, j) | ("boom", i), with i, j indices of earlier nodes
Shape = list[tuple[Any, ...]]


@st.composite
def shapes(draw: st.DrawFn) -> tuple[list[int], Shape, list[int], list[int]]:
    consts = draw(st.lists(st.integers(-5, 5), min_size=1, max_size=3))
    nodes: Shape = []
    for k in range(draw(st.integers(1, 25))):
        n = len(consts) + k
        kind = draw(st.sampled_from(["inc", "inc", "add", "add", "boom"]))
        if kind == "add":
            nodes.append(("add", draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))))
        else:
            nodes.append((kind, draw(st.integers(0, n - 1))))
    total = len(consts) + len(nodes)
    goals = draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=5))
    warm = draw(st.lists(st.integers(0, total - 1), max_size=4))
    return consts, nodes, goals, warm


def build(consts: list[int], nodes: Shape, goals: list[int]) -> tuple[PlanBuilder, list[NodeId]]:
    b = PlanBuilder()
    ids = [b.const(c) for c in consts]
    for node in nodes:
        ids.append(b.app(node[0], *(ids[i] for i in node[1:])))
    for g in goals:
        b.print(f"g{g}", ids[g])
    return b, ids


def reference(consts: list[int], nodes: Shape) -> list[Any]:
    values: list[Any] = list(consts)
    for node in nodes:
        args = [values[i] for i in node[1:]]
        if node[0] == "boom" or any(a is FAILED for a in args):
            values.append(FAILED)
        elif node[0] == "inc":
            values.append(args[0] + 1)
        else:
            values.append(args[0] + args[1])
    return values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes(), st.sampled_from(["sync", "threads"]))
def test_a_run_prints_what_direct_evaluation_gives_and_a_rerun_computes_nothing(
    shape: tuple[list[int], Shape, list[int], list[int]], scheduler: str
) -> None:
    consts, nodes, goals, warm = shape
    expected = reference(consts, nodes)
    store = MemoryStore()
    options = RunOptions(registry=REGISTRY, scheduler=scheduler, workers=2)
    if warm:  # part of the graph is already stored by an earlier program
        earlier, _ = build(consts, nodes, warm)
        run_workplan(earlier.plan, store, options)
    b, ids = build(consts, nodes, goals)
    summary = run_workplan(b.plan, store, RunOptions(registry=REGISTRY, scheduler=scheduler, workers=2))
    assert summary.outputs == [f"g{g}={expected[g]}" for g in goals if expected[g] is not FAILED]
    assert summary.status == ("failed" if any(expected[g] is FAILED for g in goals) else "ok")
    for g in goals:
        if expected[g] is not FAILED and g >= len(consts):
            assert store.lookup(ids[g]) is not None
    again = run_workplan(b.plan, store, RunOptions(registry=REGISTRY, scheduler=scheduler, workers=2))
    assert again.outputs == summary.outputs
    assert again.computed == 0
