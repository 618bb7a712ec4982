"""Loop items as a dask.bag map: one task per item (or per few cheap items), every node its own record."""

from __future__ import annotations

from typing import Any

import pytest
from exec_helpers import CALLS, reduce

from voxcas.execute import RunOptions, item_bag, run_workplan
from voxcas.execute.item_bag import ItemSpec
from voxcas.execute.progress import CountingProgress
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore


@pytest.fixture
def bags(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every bag the run builds, as (items, partitions)."""
    seen: list[tuple[int, int]] = []
    original = item_bag.partition

    def spy(items: Any, npartitions: int) -> Any:
        parts = original(items, npartitions)
        seen.append((len(items), len(parts)))
        return parts

    monkeypatch.setattr(item_bag, "partition", spy)
    return seen


def run(text: str, registry: Registry, store: MemoryStore, **kw: Any) -> Any:
    options = RunOptions(registry=registry, scheduler=kw.pop("scheduler", "threads"), workers=2, **kw)
    return run_workplan(reduce(text, registry), store, options, kw.pop("progress", None))


def test_a_loop_of_many_items_runs_as_a_bag_and_stores_every_node_of_every_item(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    text = 'print "ys" for i in range(0, 12) do t.inc(t.add(i, 100))'
    progress = CountingProgress()
    plan = reduce(text, registry)
    summary = run_workplan(plan, store, RunOptions(registry=registry, workers=2), progress)
    assert summary.outputs == [f"ys={[i + 101 for i in range(12)]}"]
    assert len(bags) == 1 and bags[0][0] == 12
    assert bags[0][1] == 12  # t.add / t.inc are not known to be cheap: one item per partition
    # the range, 12 x (add, inc) and the loop node: each computed and reported on its own
    assert summary.computed == progress.done == 1 + 24 + 1
    assert CALLS == {"add": 12, "inc": 12}
    again = run(text, registry, store)
    assert (again.computed, again.outputs) == (0, summary.outputs)


def test_cheap_scalar_items_share_partitions(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    summary = run('n = length(range(0, 1))\nprint "ys" for i in range(0, 100) do i * 2 + n', registry, store)
    assert summary.outputs == [f"ys={[i * 2 + 1 for i in range(100)]}"]
    assert bags == [(100, 8)]  # four partitions per worker


def test_a_node_shared_by_the_items_is_computed_once_before_the_bag(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    text = 'n = length(range(0, 3))\nprint "ys" for i in range(0, 8) do t.add(i, t.inc(t.inc(n)))'
    summary = run(text, registry, store)
    assert summary.outputs == [f"ys={[i + 5 for i in range(8)]}"]
    assert CALLS == {"inc": 2, "add": 8}  # the loop-invariant t.inc(t.inc(n)) once, not eight times
    assert bags == [(8, 8)]


def test_an_item_shared_by_two_positions_is_computed_once(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    summary = run('print "ys" for i in [1, 2, 3, 1, 2, 3, 4, 5] do t.inc(i)', registry, store)
    assert summary.outputs == ["ys=[2, 3, 4, 2, 3, 4, 5, 6]"]
    assert CALLS == {"inc": 5}


def test_a_failing_node_inside_an_item_skips_only_what_depends_on_it(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    text = 'print "ys" for i in range(0, 6) do t.inc(t.crash(i))'  # t.crash(1) is the only success
    summary = run(text, registry, store)
    assert summary.status == "failed"
    assert len(bags) == 1
    assert len(summary.failures) == 5
    assert all(f.span == "prog.imgql:1:42" for f in summary.failures)
    assert "KeyError" in summary.failures[0].message
    assert (summary.computed, summary.skipped) == (1 + 2, 5 + 1)  # range, crash(1), inc; 5 incs, loop
    CALLS.clear()
    run(text, registry, store)
    assert CALLS == {"crash": 5}  # the failed ones are tried again, the stored one is not


def test_few_items_run_as_a_graph_of_their_nodes_not_a_bag(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    summary = run('print "ys" for i in range(0, 3) do t.inc(i)', registry, store)
    assert summary.outputs == ["ys=[1, 2, 3]"]
    assert bags == []  # fewer than two items per worker: their inner branches may run in parallel


def test_a_nested_loop_runs_as_a_graph_of_nodes(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    text = 'print "ys" for i in range(0, 2) do for j in range(0, 6) do t.add(i, j)'
    summary = run(text, registry, store)
    assert summary.outputs == [f"ys={[[i + j for j in range(6)] for i in range(2)]}"]
    assert [items for items, _ in bags] == [6, 6]  # only the innermost loops are bags


def test_image_items_run_one_per_partition(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    text = 'imgs = for k in range(0, 8) do t.img(k)\nprint "sums" for im in imgs do t.total(im)'
    summary = run(text, registry, store)
    assert summary.outputs == [f"sums={[12 * k for k in range(8)]}"]
    assert all(items == partitions for items, partitions in bags)


def test_an_item_spec_is_tokenized_by_its_result_id_and_pickles_without_its_cancel_event() -> None:
    import pickle
    import threading

    from dask.base import tokenize

    spec = ItemSpec("ab" * 32, (), threading.Event())  # type: ignore[arg-type]
    assert tokenize(spec) == tokenize(ItemSpec("ab" * 32, ()))  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(spec)).cancel is None
    assert item_bag.evaluate_item(spec) == {}


def test_the_processes_scheduler_runs_the_bag_with_the_same_results(bags: list[tuple[int, int]]) -> None:
    text = 'n = length(range(0, 1))\nprint "ys" for i in range(0, 9) do i * 3 + n'
    threads, processes = MemoryStore(), MemoryStore()
    default = Registry(modules={"default": "voxcas.primitives.default"})
    a = run(text, default, threads)
    b = run(text, default, processes, scheduler="processes")
    assert a.outputs == b.outputs == [f"ys={[i * 3 + 1 for i in range(9)]}"]
    assert [items for items, _ in bags] == [9, 9]  # one bag each
    assert {r.node: r.digest for r in threads.results()} == {r.node: r.digest for r in processes.results()}


def test_a_node_inside_an_item_is_stored_before_the_rest_of_its_item_finishes(
    registry: Registry, store: MemoryStore, bags: list[tuple[int, int]]
) -> None:
    import threading
    import time

    from exec_helpers import NAP_RELEASE

    plan = reduce('print "ys" for i in range(0, 4) do t.nap(t.inc(i), 60000)', registry)
    NAP_RELEASE.clear()
    done: list[Any] = []
    runner = threading.Thread(
        target=lambda: done.append(run_workplan(plan, store, RunOptions(registry=registry, workers=2)))
    )
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while CALLS["nap"] < 2 and time.monotonic() < deadline:  # two items are napping
            time.sleep(0.01)
        deadline = time.monotonic() + 30
        while len(list(store.results())) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        # the range and the two napping items' t.inc results are stored while their items still run
        assert len(list(store.results())) == 3 and CALLS["nap"] == 2
    finally:
        NAP_RELEASE.set()
        runner.join(30)
    assert done[0].outputs == ["ys=[1, 2, 3, 4]"] and bags == [(4, 4)]
