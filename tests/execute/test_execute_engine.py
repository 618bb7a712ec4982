"""The executor on hand-built workplans: memoisation, top-down lookup, failures, run records."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from exec_helpers import CALLS, PlanBuilder, chain

from voxcas.errors import UsageError
from voxcas.execute import RunOptions, run_workplan
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore


def opts(registry: Registry, **kw: object) -> RunOptions:
    return RunOptions(registry=registry, scheduler=kw.pop("scheduler", "sync"), **kw)  # type: ignore[arg-type]


def test_a_chain_is_computed_once_and_reused_on_the_second_run(
    registry: Registry, store: MemoryStore
) -> None:
    b, _ids = chain(20)
    first = run_workplan(b.plan, store, opts(registry))
    assert (first.status, first.computed, first.reused, first.outputs) == ("ok", 20, 0, ["last=20"])
    assert CALLS["inc"] == 20
    second = run_workplan(b.plan, store, opts(registry))
    assert (second.status, second.computed, second.reused, second.outputs) == ("ok", 0, 1, ["last=20"])
    assert CALLS["inc"] == 20


def test_a_warm_run_asks_the_store_only_for_the_goals(registry: Registry, store: MemoryStore) -> None:
    b, _ = chain(50)
    run_workplan(b.plan, store, opts(registry))
    asked: list[list[str]] = []
    original = store.lookup_many

    def spy(nodes: object) -> object:
        batch = list(nodes)  # type: ignore[call-overload]
        asked.append(batch)
        return original(batch)

    store.lookup_many = spy  # type: ignore[method-assign]
    run_workplan(b.plan, store, opts(registry))
    assert [len(batch) for batch in asked] == [1]


def test_a_partly_stored_chain_computes_only_the_nodes_above_the_stored_ones(
    registry: Registry, store: MemoryStore
) -> None:
    short, _ = chain(10)
    run_workplan(short.plan, store, opts(registry))
    long, _ = chain(15)
    summary = run_workplan(long.plan, store, opts(registry))
    assert (summary.computed, summary.reused, summary.outputs) == (5, 1, ["last=15"])


def test_changing_a_constant_recomputes_only_its_dependents(registry: Registry, store: MemoryStore) -> None:
    def program(k: int) -> PlanBuilder:
        b = PlanBuilder()
        left = b.app("inc", b.app("inc", b.const(1)))
        right = b.app("inc", b.app("inc", b.const(k)))
        b.print("sum", b.app("add", left, right))
        return b

    run_workplan(program(10).plan, store, opts(registry))
    CALLS.clear()
    summary = run_workplan(program(11).plan, store, opts(registry))
    assert summary.outputs == ["sum=16"]
    assert (summary.computed, summary.reused) == (3, 1)
    assert CALLS == {"inc": 2, "add": 1}


def test_a_failure_skips_its_dependents_and_independent_branches_are_stored(
    registry: Registry, store: MemoryStore
) -> None:
    b = PlanBuilder()
    bad = b.app("boom", b.const(7), line=4)
    b.print("bad", b.app("inc", bad))
    good = b.app("inc", b.app("inc", b.const(1)))
    b.print("good", good)
    summary = run_workplan(b.plan, store, opts(registry))
    assert summary.status == "failed" and summary.exit_code == 1
    assert (summary.computed, summary.failed, summary.skipped) == (2, 1, 1)
    assert summary.outputs == ["good=3"]
    assert [f.message for f in summary.failures] == [
        "prog.imgql:4:1: error: t.boom: argument 'a': cannot take 7"
    ]
    assert summary.failures[0].node == bad and summary.failures[0].primitive == "t.boom"
    assert store.lookup(good) is not None
    [failure] = store.failures(summary.run)
    assert failure.node == bad and "cannot take 7" in failure.message
    assert store.run_info(summary.run).status == "failed"
    assert sorted(s for _, s in store.run_nodes(summary.run)) == ["computed", "computed", "failed", "skipped"]


def test_a_bug_in_a_primitive_is_reported_with_its_exception_type(
    registry: Registry, store: MemoryStore
) -> None:
    b = PlanBuilder()
    b.print("x", b.app("crash", b.const(5), line=2))
    summary = run_workplan(b.plan, store, opts(registry))
    assert [f.message for f in summary.failures] == ["prog.imgql:2:1: error: t.crash: KeyError: 5"]


def test_a_failed_node_is_retried_by_the_next_run(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("x", b.app("boom", b.const(1)))
    run_workplan(b.plan, store, opts(registry))
    run_workplan(b.plan, store, opts(registry))
    assert CALLS["boom"] == 2


def test_a_value_the_store_cannot_encode_fails_its_node(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("x", b.app("unstorable", b.const(1), line=3))
    b.print("y", b.app("inc", b.const(1)))
    summary = run_workplan(b.plan, store, opts(registry))
    assert summary.status == "failed" and summary.outputs == ["y=2"]
    assert summary.computed == 1
    assert summary.failures[0].message.startswith("error: cannot store the value of this node")
    assert sorted(status for _, status in store.run_nodes(summary.run)) == ["computed", "failed"]


def test_impure_primitives_run_every_time(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("x", b.app("impure", b.const(3)))
    run_workplan(b.plan, store, opts(registry))
    summary = run_workplan(b.plan, store, opts(registry))
    assert (summary.computed, summary.outputs, CALLS["impure"]) == (1, ["x=3"], 2)


def test_no_cache_recomputes_everything_and_still_writes(registry: Registry, store: MemoryStore) -> None:
    b, _ = chain(5)
    run_workplan(b.plan, store, opts(registry))
    summary = run_workplan(b.plan, store, opts(registry, no_cache=True))
    assert (summary.computed, summary.reused, summary.outputs) == (5, 0, ["last=5"])
    assert run_workplan(b.plan, store, opts(registry)).computed == 0


def test_a_program_without_goals_computes_nothing_unless_shown(
    registry: Registry, store: MemoryStore
) -> None:
    b = PlanBuilder()
    b.app("inc", b.const(1), label="y")
    assert run_workplan(b.plan, store, opts(registry)).computed == 0
    summary = run_workplan(b.plan, store, opts(registry, show=("y",)))
    assert (summary.computed, summary.outputs) == (1, ["y=2"])


def test_showing_an_unknown_name_is_a_usage_error(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.app("inc", b.const(1), label="y")
    with pytest.raises(UsageError) as info:
        run_workplan(b.plan, store, opts(registry, show=("z",)))
    assert str(info.value) == "--show z: no top-level declaration named 'z' (declared: y)"


def test_an_unknown_primitive_fails_its_node(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("x", b.app("t.nope", b.const(1), line=9))
    summary = run_workplan(b.plan, store, opts(registry))
    assert [f.message for f in summary.failures] == ["prog.imgql:9:1: error: unknown primitive t.nope"]


def test_constant_goals_need_no_computation(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("k", b.const("hello"))
    summary = run_workplan(b.plan, store, opts(registry))
    assert (summary.computed, summary.outputs) == (0, ["k=hello"])


def test_the_run_record_names_program_goals_and_counts(registry: Registry, store: MemoryStore) -> None:
    b, ids = chain(3)
    summary = run_workplan(b.plan, store, opts(registry, program="prog.imgql", program_text='print "last" 3'))
    info = store.run_info(summary.run)
    assert (info.program, info.status, info.computed, info.reused, info.failed) == (
        "prog.imgql",
        "ok",
        3,
        0,
        0,
    )
    assert info.program_digest is not None and info.program_digest.startswith("sha256:")
    assert info.goals == [{"kind": "print", "target": "last", "node": ids[-1]}]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_a_deep_chain_runs_without_recursion(registry: Registry, store: MemoryStore, scheduler: str) -> None:
    b, _ = chain(sys.getrecursionlimit() + 500)
    summary = run_workplan(b.plan, store, opts(registry, scheduler=scheduler, workers=2))
    assert summary.outputs == [f"last={sys.getrecursionlimit() + 500}"]


def test_a_cancelled_run_keeps_what_finished(registry: Registry, store: MemoryStore) -> None:
    b, _ids = chain(30)
    options = opts(registry)
    seen = []

    class StopAfterTen:
        def __init__(self) -> None:
            self.n = 0

    from voxcas.execute.progress import Progress

    class Stopper(Progress):
        def posttask(self, node: object, status: str, *_: object) -> None:
            seen.append(node)
            if len(seen) == 10:
                options.cancel.set()

    summary = run_workplan(b.plan, store, options, Stopper())
    assert summary.status == "cancelled" and summary.exit_code == 130
    assert summary.outputs == []
    assert summary.computed == 10
    assert store.run_info(summary.run).status == "cancelled"
    again = run_workplan(b.plan, store, opts(registry))
    assert (again.computed, again.reused, again.outputs) == (20, 1, ["last=30"])


def _corrupt(store: MemoryStore, node: str) -> None:
    digest = store.lookup(node)  # type: ignore[arg-type]
    assert digest is not None
    entry = store._objects[digest]
    entry.data = entry.data[:-1] + bytes([entry.data[-1] ^ 0xFF])


def test_a_corrupt_stored_input_is_recomputed_in_the_same_run(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    x = b.app("inc", b.const(1))
    y = b.app("inc", x)
    b.print("y", y)
    run_workplan(b.plan, store, opts(registry))
    b.print("z", b.app("add", x, b.const(10)))  # needs x, which is now damaged in the store
    _corrupt(store, x)
    CALLS.clear()
    summary = run_workplan(b.plan, store, opts(registry))
    assert (summary.status, summary.outputs) == ("ok", ["y=3", "z=12"])
    assert CALLS == {"inc": 1, "add": 1}
    assert (summary.computed, summary.skipped) == (2, 0)


def test_a_corrupt_goal_value_is_recomputed_and_printed(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    y = b.app("inc", b.app("inc", b.const(1)))
    b.print("y", y)
    run_workplan(b.plan, store, opts(registry))
    _corrupt(store, y)
    summary = run_workplan(b.plan, store, opts(registry))
    assert (summary.status, summary.outputs, summary.computed) == ("ok", ["y=3"], 1)


def test_a_store_that_fails_under_the_run_is_reported_and_the_run_recorded_failed(registry: Registry) -> None:
    from voxcas.errors import StoreError

    class FullDisk(MemoryStore):
        def put_results(self, pending: Any) -> Any:
            raise StoreError("disk full")

    store = FullDisk()
    b, _ = chain(3)
    with pytest.raises(StoreError, match="disk full"):
        run_workplan(b.plan, store, opts(registry))
    [info] = store.runs()
    assert info.status == "failed"


@pytest.mark.slow
def test_a_corrupt_input_is_recomputed_when_tasks_run_in_other_processes(
    registry: Registry, store: MemoryStore
) -> None:
    from exec_helpers import reduce

    first = reduce('n = length(range(0, 3))\nprint "a" n + 1', registry)
    run_workplan(first, store, opts(registry))
    _corrupt(store, first.names["n"])
    second = reduce('n = length(range(0, 3))\nprint "b" n * 2', registry)
    summary = run_workplan(second, store, opts(registry, scheduler="processes", workers=1))
    assert (summary.status, summary.outputs, summary.computed) == ("ok", ["b=6"], 2)


def test_cancelling_returns_at_once_while_primitives_are_still_running(
    registry: Registry, store: MemoryStore
) -> None:
    import threading
    import time

    from exec_helpers import NAP_RELEASE

    b = PlanBuilder()
    x = b.app("inc", b.const(1))
    b.print("s", b.app("add", b.app("nap", x, b.const(120_000)), b.app("nap", x, b.const(120_001))))
    options = opts(registry, scheduler="threads", workers=2)

    def cancel_when_both_nap() -> None:
        while CALLS["nap"] < 2:
            time.sleep(0.01)
        options.cancel.set()

    threading.Thread(target=cancel_when_both_nap, daemon=True).start()
    NAP_RELEASE.clear()
    try:
        summary = run_workplan(b.plan, store, options)  # not the two minutes the naps would take
        assert (summary.status, summary.computed) == ("cancelled", 1)
        assert set(store.lookup_many([x])) == {x}  # what finished is kept
    finally:
        NAP_RELEASE.set()
