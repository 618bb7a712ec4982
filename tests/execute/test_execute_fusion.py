"""Fused chunks: cheap scalar nodes share a Dask task, yet each keeps its own outcome and record."""

from __future__ import annotations

import threading
from typing import Any

from exec_helpers import PlanBuilder, reduce
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcas.execute import RunOptions, run_workplan
from voxcas.execute.fusion import CHUNK_NODES, Fusion
from voxcas.execute.progress import CountingProgress
from voxcas.execute.tasks import (
    GIVEN,
    INPUT,
    LOCAL,
    Call,
    Failed,
    Ok,
    Skipped,
    Step,
    evaluate,
    evaluate_chunk,
)
from voxcas.ids import NodeId
from voxcas.plan.nodes import Apply, PlanNode, Workplan, dependencies_first
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore

# `length(range(0, 1))` is 1, but not folded by the reducer: the nodes below it run in the executor.
FAN = "b = length(range(0, 1))\n" + "".join(f"x{i} = b + {i}\n" for i in range(600))
FAN += 'print "total" sum([' + ", ".join(f"x{i}" for i in range(600)) + "])\n"


def stage_groups(plan: Workplan, registry: Registry) -> list[list[NodeId]]:
    """How the executor would group every application of the plan if they ran in one stage."""
    roots = [g.node for g in plan.goals]
    order = [n for n in dependencies_first(plan.nodes, roots) if isinstance(plan.nodes[n].definition, Apply)]
    return Fusion(plan.nodes, registry, lambda nid: None).groups(order, set(order))


def test_a_fan_of_scalar_arithmetic_is_fused_into_chunks(registry: Registry) -> None:
    plan = reduce(FAN, registry)
    groups = stage_groups(plan, registry)
    ops = {nid: node.definition.op for nid, node in plan.nodes.items() if isinstance(node.definition, Apply)}
    fused = [g for g in groups if len(g) > 1]
    assert sum(len(g) for g in fused) >= 600
    assert all(len(g) <= CHUNK_NODES for g in groups)
    # the range (a sequence) and the list it builds stay tasks of their own
    alone = {ops[g[0]] for g in groups if len(g) == 1}
    assert "default.range" in alone


def test_arithmetic_on_images_is_never_fused(registry: Registry) -> None:
    b = PlanBuilder()
    images = [b.app("img", b.const(k)) for k in range(5)]
    sums = [b.app("default.+", img, img) for img in images]
    for i, s in enumerate(sums):
        b.print(f"s{i}", s)
    assert all(len(g) == 1 for g in stage_groups(b.plan, registry))


def test_a_cheap_node_does_not_wait_in_a_chunk_for_costly_work_scheduled_after_it_opened(
    registry: Registry,
) -> None:
    # two cheap numbers, then a costly node, then a cheap node that needs the costly one
    b = PlanBuilder()
    n = b.add(Apply("default.length", "1", (b.app("seq", b.const(3)),)))
    first = b.app("default.+", n, b.const(1))
    second = b.app("default.+", n, b.const(2))
    costly = b.app("inc", first)
    after = b.app("default.+", costly, second)
    b.print("after", after)
    order = [n, first, second, costly, after]
    groups = Fusion(b.plan.nodes, registry, lambda nid: None).groups(order, set(order))
    group_of = {nid: i for i, g in enumerate(groups) for nid in g}
    assert group_of[first] == group_of[second]
    assert group_of[costly] > group_of[first]
    assert group_of[after] > group_of[costly]  # not appended to the chunk opened before `costly`


@st.composite
def dags(draw: st.DrawFn) -> tuple[dict[NodeId, PlanNode], list[NodeId], set[NodeId]]:
    size = draw(st.integers(1, 60))
    nodes: dict[NodeId, PlanNode] = {}
    ids: list[NodeId] = []
    cheap: set[NodeId] = set()
    for i in range(size):
        deps = tuple(draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))) if ids else ()
        nid = NodeId(f"{i:064x}")
        nodes[nid] = PlanNode(nid, Apply("t.f", "1", deps), None, None)
        ids.append(nid)
        if draw(st.booleans()):
            cheap.add(nid)
    return nodes, ids, cheap


class _GivenCheap(Fusion):
    def __init__(self, nodes: dict[NodeId, PlanNode], cheap: set[NodeId]) -> None:
        super().__init__(nodes, Registry(modules={}), lambda nid: None)
        self.cheap = cheap

    def is_cheap(self, nid: NodeId) -> bool:
        return nid in self.cheap


@settings(max_examples=300, deadline=None)
@given(dags())
def test_groups_partition_the_stage_and_their_graph_runs_dependencies_first(
    dag: tuple[dict[NodeId, PlanNode], list[NodeId], set[NodeId]],
) -> None:
    nodes, order, cheap = dag
    groups = _GivenCheap(nodes, cheap).groups(order, set(order))
    flat = [nid for g in groups for nid in g]
    assert sorted(flat) == sorted(order)  # every node exactly once
    group_of = {nid: i for i, g in enumerate(groups) for nid in g}
    for i, group in enumerate(groups):
        assert len(group) <= CHUNK_NODES
        if len(group) > 1:
            assert all(nid in cheap for nid in group)  # costly nodes are alone
        for nid in group:
            for dep in nodes[nid].args:
                assert group_of[dep] <= i  # the graph of groups is acyclic, in this order
                if group_of[dep] == i:  # inside a chunk, in evaluation order
                    assert group.index(dep) < group.index(nid)


def test_a_chunk_evaluates_its_steps_in_order_and_keeps_every_outcome() -> None:
    from voxcas.primitives.registry import default_registry

    plus = default_registry().get("default.+")
    div = default_registry().get("default./")
    steps = (
        Step(Call(NodeId("a"), "default.+", "p:1:1", primitive=plus), ((INPUT, 0, None), (GIVEN, Ok(1, 0)))),
        Step(Call(NodeId("b"), "default./", "p:2:1", primitive=div), ((LOCAL, 0), (GIVEN, Ok(0, 0.0)))),
        Step(Call(NodeId("c"), "default.+", "p:3:1", primitive=plus), ((LOCAL, 1), (LOCAL, 0))),
        Step(Call(NodeId("d"), "default.+", "p:4:1", primitive=plus), ((LOCAL, 0), (INPUT, 1, NodeId("z")))),
    )
    out = evaluate_chunk(steps, None, Ok(41, 0.0), {NodeId("z"): Ok(100, 0.0)})
    assert list(out) == ["a", "b", "c", "d"]
    assert out[NodeId("a")] == Ok(42, out[NodeId("a")].seconds)  # type: ignore[union-attr]
    failed = out[NodeId("b")]
    assert isinstance(failed, Failed) and failed.message.startswith("p:2:1: error: default./")
    assert isinstance(out[NodeId("c")], Skipped)
    assert out[NodeId("d")] == Ok(142, out[NodeId("d")].seconds)  # type: ignore[union-attr]


def test_a_single_task_picks_its_argument_out_of_a_chunk() -> None:
    from voxcas.primitives.registry import default_registry

    plus = default_registry().get("default.+")
    call = Call(NodeId("n"), "default.+", None, primitive=plus, picks=(NodeId("m"), None))
    outcome = evaluate(call, None, {NodeId("m"): Ok(2, 0.0), NodeId("o"): Ok(9, 0.0)}, Ok(3, 0.0))
    assert isinstance(outcome, Ok) and outcome.value == 5


def test_a_cancelled_run_skips_the_rest_of_a_chunk() -> None:
    from voxcas.primitives.registry import default_registry

    plus = default_registry().get("default.+")
    cancel = threading.Event()
    cancel.set()
    one = (GIVEN, Ok(1, 0.0))
    steps = (Step(Call(NodeId("a"), "default.+", None, primitive=plus), (one, one)),)
    assert isinstance(evaluate_chunk(steps, cancel)[NodeId("a")], Skipped)


def test_every_fused_node_is_stored_counted_and_reported_on_its_own(registry: Registry) -> None:
    store = MemoryStore()
    progress = CountingProgress()
    plan = reduce(FAN, registry)
    summary = run_workplan(plan, store, RunOptions(registry=registry, workers=2), progress)
    assert summary.status == "ok"
    assert summary.outputs == [f"total={sum(1 + i for i in range(600))}"]
    applications = [n for n in plan.nodes if isinstance(plan.nodes[n].definition, Apply)]
    assert set(store.lookup_many(applications)) == set(applications)
    assert summary.computed == len(applications) == progress.done
    again = run_workplan(plan, store, RunOptions(registry=registry, workers=2))
    assert (again.computed, again.outputs) == (0, summary.outputs)


def test_a_failure_inside_a_chunk_skips_only_its_dependents(registry: Registry) -> None:
    text = """b = length(range(0, 1))
ok1 = b + 1
bad = 1 / (b - 1)
dep = bad + 1
ok2 = b + 2
print "ok1" ok1
print "dep" dep
print "ok2" ok2
"""
    plan = reduce(text, registry)
    groups = stage_groups(plan, registry)
    names = plan.names
    together = [g for g in groups if names["bad"] in g]
    assert names["ok1"] in together[0] and names["ok2"] in together[0]  # really one chunk
    store = MemoryStore()
    summary: Any = run_workplan(plan, store, RunOptions(registry=registry, workers=2))
    assert summary.status == "failed"
    assert [f.span for f in summary.failures] == ["prog.imgql:3:9"]  # the operator
    assert "division by zero" in summary.failures[0].message
    assert summary.outputs == ["ok1=2", "ok2=3"]
    stored = store.lookup_many([names["ok1"], names["ok2"], names["bad"], names["dep"]])
    assert set(stored) == {names["ok1"], names["ok2"]}


def test_a_fused_sequence_that_a_loop_reads_is_kept_for_the_loop(registry: Registry) -> None:
    text = """n = length(range(0, 1))
xs = [n, n + 1, n + 2, n * 10]
print "ys" for i in xs do i * 2
print "zs" filter i in xs do i > 1
"""
    plan = reduce(text, registry)
    xs = plan.names["xs"]
    assert any(xs in g and len(g) > 1 for g in stage_groups(plan, registry))  # the list is fused
    summary = run_workplan(plan, MemoryStore(), RunOptions(registry=registry, workers=2))
    assert summary.outputs == ["ys=[2, 4, 6, 20]", "zs=[2, 3, 10]"]
