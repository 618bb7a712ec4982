"""The store queries `vox why` needs, for every implementation: nodes by source position or
label (`nodes_where`) and the runs whose node log has a node (`node_runs`)."""

from __future__ import annotations

import time

from contract import store  # noqa: F401  (the fixture parametrised over every implementation)
from store_helpers import apply_node, const_node

from voxcas.store.base import Store


def test_nodes_where_finds_the_nodes_made_at_a_position_or_with_a_label(store: Store) -> None:  # noqa: F811
    a, b = const_node(1, "a"), const_node(2, "b")
    f, g = apply_node("t.f", a.id, label="x"), apply_node("t.f", b.id, label="y")
    store.put_nodes([a, b, f, g])
    assert sorted(r.id for r in store.nodes_where(span="prog.imgql:3:9")) == sorted([f.id, g.id])
    assert [r.id for r in store.nodes_where(span="prog.imgql:1:2")] == [a.id]
    assert [r.id for r in store.nodes_where(label="y")] == [g.id]
    assert [r.id for r in store.nodes_where(span="prog.imgql:3:9", label="x")] == [f.id]
    assert store.nodes_where(span="prog.imgql:3:9", label="a") == []
    assert store.nodes_where() == []


def test_node_runs_lists_the_runs_that_touched_a_node_newest_first(store: Store) -> None:  # noqa: F811
    n, other = const_node(3).id, const_node(4).id
    first = store.start_run("p.imgql", None, [])
    store.note_run_nodes(first, [(n, "computed")])
    time.sleep(0.002)
    second = store.start_run("p.imgql", None, [])
    store.note_run_nodes(second, [(n, "reused"), (other, "computed")])
    assert store.node_runs(n) == [(second, "reused"), (first, "computed")]
    assert store.node_runs(other) == [(second, "computed")]
    assert store.node_runs(const_node(5).id) == []
