"""Loops (`for`, `filter`, `map`): item by item, each item stored and reused on its own."""

from __future__ import annotations

from typing import Any

import pytest
from exec_helpers import CALLS, reduce

from voxcas.execute import RunOptions, run_workplan
from voxcas.primitives.registry import Registry
from voxcas.store.base import StoredSequence
from voxcas.store.memory import MemoryStore


def run(text: str, registry: Registry, store: MemoryStore, **kw: object) -> object:
    options = RunOptions(registry=registry, scheduler=kw.pop("scheduler", "sync"), **kw)  # type: ignore[arg-type]
    return run_workplan(reduce(text, registry), store, options)


def test_a_for_loop_computes_each_item_and_reuses_them_all_next_time(
    registry: Registry, store: MemoryStore
) -> None:
    text = 'print "ys" for i in range(0, 6) do t.inc(i)'
    first = run(text, registry, store)
    assert first.outputs == ["ys=[1, 2, 3, 4, 5, 6]"]  # type: ignore[attr-defined]
    assert CALLS["inc"] == 6
    second = run(text, registry, store)
    assert (second.computed, second.outputs) == (0, ["ys=[1, 2, 3, 4, 5, 6]"])  # type: ignore[attr-defined]
    assert CALLS["inc"] == 6


def test_one_more_item_computes_one_more_item(registry: Registry, store: MemoryStore) -> None:
    run('print "ys" for i in range(0, 5) do t.inc(i)', registry, store)
    CALLS.clear()
    summary = run('print "ys" for i in range(0, 6) do t.inc(i)', registry, store)
    assert summary.outputs == ["ys=[1, 2, 3, 4, 5, 6]"]  # type: ignore[attr-defined]
    assert CALLS == {"inc": 1}
    # the range, the loop node and the new item; the five old items are reused
    assert (summary.computed, summary.reused) == (3, 5)  # type: ignore[attr-defined]


def test_the_loop_value_is_a_stored_sequence_of_the_item_results(
    registry: Registry, store: MemoryStore
) -> None:
    plan = reduce('ys = for i in range(0, 3) do t.inc(i)\nprint "ys" ys', registry)
    run_workplan(plan, store, RunOptions(registry=registry, scheduler="sync"))
    value = store.get(store.lookup(plan.names["ys"]))  # type: ignore[arg-type]
    assert isinstance(value, StoredSequence) and list(value) == [1, 2, 3]
    assert value.digests == (store.put(1), store.put(2), store.put(3))


def test_filter_keeps_the_items_whose_predicate_is_true(registry: Registry, store: MemoryStore) -> None:
    summary = run('print "big" filter i in range(0, 8) do t.inc(i) > 5', registry, store)
    assert summary.outputs == ["big=[5, 6, 7]"]  # type: ignore[attr-defined]


def test_map_applies_a_primitive_to_every_item(registry: Registry, store: MemoryStore) -> None:
    summary = run('print "m" map(t.inc, [1, 2, 3])', registry, store)
    assert summary.outputs == ["m=[2, 3, 4]"]  # type: ignore[attr-defined]


def test_nested_loops_run_and_are_reused(registry: Registry, store: MemoryStore) -> None:
    text = 'print "grid" for i in range(0, 3) do for j in range(0, 2) do t.add(i, t.inc(j))'
    first = run(text, registry, store, scheduler="threads", workers=2)
    assert first.outputs == ["grid=[[1, 2], [2, 3], [3, 4]]"]  # type: ignore[attr-defined]
    again = run(text, registry, store)
    assert (again.computed, again.outputs) == (0, first.outputs)  # type: ignore[attr-defined]


def test_loops_over_images_pass_items_by_digest(registry: Registry, store: MemoryStore) -> None:
    text = 'imgs = for k in range(1, 4) do t.img(k)\nprint "sums" for im in imgs do t.total(im)'
    summary = run(text, registry, store, scheduler="threads")
    assert summary.outputs == ["sums=[12, 24, 36]"]  # type: ignore[attr-defined]
    CALLS.clear()
    again = run(text, registry, store)
    assert (again.computed, CALLS["total"]) == (0, 0)  # type: ignore[attr-defined]


def test_a_failing_item_is_reported_and_the_other_items_are_stored(
    registry: Registry, store: MemoryStore
) -> None:
    text = 'xs = for i in range(0, 4) do t.inc(i)\nprint "xs" xs\nprint "bad" for x in xs do t.boom(x)'
    summary = run(text, registry, store)
    assert summary.status == "failed"  # type: ignore[attr-defined]
    assert summary.outputs == ["xs=[1, 2, 3, 4]"]  # type: ignore[attr-defined]
    assert [f.message for f in summary.failures] == [  # type: ignore[attr-defined]
        f"prog.imgql:3:28: error: t.boom: argument 'a': cannot take {i}" for i in (1, 2, 3, 4)
    ]
    again = run(text, registry, store)
    assert again.computed == 0 and again.failed == 4  # type: ignore[attr-defined]
    assert CALLS["inc"] == 4


def test_many_items_run_in_bounded_batches(registry: Registry, store: MemoryStore) -> None:
    summary = run('print "n" fold + (for i in range(0, 50) do t.inc(i))', registry, store, loop_batch=7)
    assert summary.outputs == ["n=1275"]  # type: ignore[attr-defined]
    assert CALLS["inc"] == 50


def test_image_items_are_held_a_few_at_a_time(
    registry: Registry, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voxcas.execute import loops
    from voxcas.execute.context import RunContext

    held_sizes: list[int] = []
    original = loops.satisfy_items

    def spy(ctx: RunContext, nodes: Any, roots: Any, labels: Any = None) -> None:  # each batch of items
        held_sizes.append(len(ctx.state.held))
        original(ctx, nodes, roots, labels)

    monkeypatch.setattr(loops, "satisfy_items", spy)
    text = 'imgs = for k in range(0, 11) do t.img(k)\nprint "sums" for im in imgs do t.total(im)'
    summary = run(text, registry, store, workers=1)
    assert summary.outputs == ["sums=[0, 12, 24, 36, 48, 60, 72, 84, 96, 108, 120]"]  # type: ignore[attr-defined]
    assert max(held_sizes) == 4  # max(4, 2 x 1 worker) images in flight, never all eleven


def test_an_item_whose_input_file_is_missing_fails_alone(
    registry: Registry, store: MemoryStore, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("hello")
    summary = run('print "n" for f in ["a.txt", "missing.txt"] do length(load(f))', registry, store)
    assert (summary.status, summary.outputs, summary.computed, summary.skipped) == ("failed", [], 2, 1)  # type: ignore[attr-defined]
    assert [f.message for f in summary.failures] == [  # type: ignore[attr-defined]
        "prog.imgql:1:11: error: default.for: 'load' cannot read 'missing.txt': "
        "no such file or directory (prog.imgql:1:55)"
    ]
    (tmp_path / "missing.txt").write_text("hi")
    again = run('print "n" for f in ["a.txt", "missing.txt"] do length(load(f))', registry, store)
    assert (again.status, again.outputs, again.reused) == ("ok", ["n=[5, 2]"], 1)  # type: ignore[attr-defined]


def test_a_loop_whose_input_changed_after_reduction_fails_instead_of_storing_the_new_contents(
    registry: Registry, store: MemoryStore, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("one")
    plan = reduce('print "n" for f in ["a.txt"] do length(load(f))', registry)
    (tmp_path / "a.txt").write_text("three")  # replaced between reduction and run
    summary = run_workplan(plan, store, RunOptions(registry=registry, scheduler="sync"))
    assert summary.status == "failed"
    assert [f.message for f in summary.failures] == [
        "prog.imgql:1:11: error: default.for: the files its items read changed while the run was "
        "using them; run again"
    ]
    again = run('print "n" for f in ["a.txt"] do length(load(f))', registry, store)
    assert (again.status, again.outputs) == ("ok", ["n=[5]"])  # type: ignore[attr-defined]


def test_a_file_replaced_after_reduction_fails_its_reader_and_is_never_bound_to_the_old_id(
    registry: Registry, store: MemoryStore, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("one")
    plan = reduce('print "n" length(load("a.txt"))', registry)
    (tmp_path / "a.txt").write_text("three")
    summary = run_workplan(plan, store, RunOptions(registry=registry, scheduler="sync"))
    assert [f.message for f in summary.failures] == [
        "prog.imgql:1:18: error: default.load: 'a.txt' changed while the run was using it; "
        "run again to compute with the new content"
    ]
    assert store.lookup_many(list(plan.nodes)) == {}
    again = run('print "n" length(load("a.txt"))', registry, store)
    assert again.outputs == ["n=5"]  # type: ignore[attr-defined]
