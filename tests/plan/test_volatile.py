"""Volatile nodes: file reads at paths only a run can compute, and what depends on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxcas.ids import NodeId
from voxcas.lang import reduce_source
from voxcas.plan.nodes import Apply, Closure, Workplan
from voxcas.plan.volatile import volatile_nodes
from voxcas.primitives.registry import default_registry


@pytest.fixture(autouse=True)
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "which.txt").write_text("a.txt")
    (tmp_path / "a.txt").write_text("hello")


def plan(src: str) -> Workplan:
    return reduce_source(src, path="prog.imgql")


def volatile_ops(wp: Workplan) -> set[str]:
    out = set()
    for nid in volatile_nodes(wp.nodes, default_registry()):
        d = wp.nodes[nid].definition
        out.add(d.op if isinstance(d, Apply) else type(d).__name__)
    return out


def loops(wp: Workplan) -> list[NodeId]:
    return [
        n
        for n, node in wp.nodes.items()
        if isinstance(node.definition, Apply) and node.definition.op == "default.for"
    ]


def test_a_loop_whose_body_reads_a_path_it_computes_is_volatile_with_its_dependents() -> None:
    wp = plan(
        'ys = for f in ["which.txt"] do length(load(load(f)))\nprint "n" fold + ys\nprint "k" 1 + length(ys)'
    )
    assert volatile_ops(wp) == {"Closure", "default.for", "default.fold", "default.length", "default.+"}
    assert any(
        "this loop body reads a file at a path computed while the program runs" in w for w in wp.warnings
    )


def test_a_loop_reading_its_items_paths_is_not_volatile() -> None:
    wp = plan('print "n" for f in ["which.txt", "a.txt"] do length(load(f))')
    assert volatile_ops(wp) == set()
    assert wp.warnings == []


def test_a_path_built_by_folded_primitives_from_the_item_is_known_when_the_item_is() -> None:
    wp = plan('print "n" for f in ["which", "a"] do length(load(concat(f, ".txt")))')
    assert volatile_ops(wp) == set()


def test_a_nested_loop_reading_at_run_time_makes_the_outer_loop_volatile() -> None:
    wp = plan('print "n" for i in [1, 2] do for f in ["which.txt"] do length(load(load(f)))')
    assert len(loops(wp)) == 1  # the inner loop lives in the outer body
    assert volatile_ops(wp) >= {"Closure", "default.for"}


def test_a_run_time_value_captured_by_the_body_makes_its_paths_run_time_too() -> None:
    wp = plan('p = load("which.txt")\nprint "n" for f in ["", "x"] do length(load(concat(p, f)))')
    [closure] = [n for n in wp.nodes.values() if isinstance(n.definition, Closure)]
    assert closure.id in volatile_nodes(wp.nodes, default_registry())


def test_volatility_spreads_to_dependents_only() -> None:
    wp = plan('w = load("which.txt")\nn = length(load(w))\nk = length(w)\nprint "s" n + k')
    ops = volatile_ops(wp)
    assert ops == {"default.load", "default.length", "default.+"}
    vol = volatile_nodes(wp.nodes, default_registry())
    assert wp.names["w"] not in vol and wp.names["k"] not in vol and wp.names["n"] in vol


def test_a_loop_over_a_computed_sequence_whose_body_reads_files_is_volatile() -> None:
    (Path("list.txt")).write_text("a.txt")
    wp = plan('names = strings.split(load("list.txt"), "\\n")\nprint "n" for f in names do length(load(f))')
    assert "default.for" in volatile_ops(wp)


def test_a_loop_over_a_computed_sequence_that_reads_nothing_is_not_volatile() -> None:
    wp = plan('print "n" for i in range(0, 3) do i + 1')
    assert volatile_ops(wp) == set()


def test_a_loop_whose_items_loop_over_a_computed_list_of_files_is_volatile() -> None:
    (Path("list.txt")).write_text("a.txt")
    wp = plan('print "n" for d in ["list.txt"] do for f in strings.split(load(d), "\\n") do length(load(f))')
    assert "default.for" in volatile_ops(wp)
    assert any("this loop body reads a file at a path computed" in w for w in wp.warnings)
