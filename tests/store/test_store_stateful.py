"""A hypothesis state machine over put / bind / tag / gc / reopen / export+import, checked against a
plain-dict model of what the store must hold (as zarr-python's `testing/stateful.py` does)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from store_helpers import const_node, same_value

from voxcas.ids import Digest, NodeId, RunId
from voxcas.store import codec
from voxcas.store.bundle import export_bundle, import_bundle
from voxcas.store.gc import gc
from voxcas.store.sqlite import SqliteStore

leaves = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=3),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=3).map(lambda xs: np.array(xs, dtype=np.int16)),
)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3), max_leaves=4)


def encoding_tree(value: Any, out: dict[Digest, tuple[Any, tuple[Digest, ...]]]) -> Digest:
    """The model's own account of the objects a value becomes: digest → (value, item digests)."""
    enc = codec.encode(value, lambda item: encoding_tree(item, out))
    out[enc.digest] = (value, enc.children)
    return enc.digest


class StoreMachine(RuleBasedStateMachine):
    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="vox-stateful-"))
        self.store = SqliteStore(self.tmp / "store", create=True)
        self.objects: dict[Digest, tuple[Any, tuple[Digest, ...]]] = {}
        self.results: dict[NodeId, Digest] = {}
        self.run_nodes: dict[RunId, set[NodeId]] = {}
        self.run_order: list[RunId] = []
        self.refs: dict[str, RunId] = {}

    @initialize()
    def empty(self) -> None:
        assert list(self.store.objects()) == []

    @rule(value=values)
    def put(self, value: Any) -> None:
        expected = encoding_tree(value, self.objects)
        assert self.store.put(value) == expected

    @rule(target=runs, k=st.integers(0, 6), value=values)
    def bind(self, k: int, value: Any) -> RunId:
        node = const_node(k)
        run = self.store.start_run("p.imgql", None, [{"kind": "print", "target": "x", "node": node.id}])
        digest = self.store.put_result(node, value, run=run)
        self.store.note_run_nodes(run, [(node.id, "computed")])
        self.store.finish_run(run, "ok", computed=1, reused=0, failed=0)
        assert digest == encoding_tree(value, self.objects)
        self.results[node.id] = digest
        self.run_nodes[run] = {node.id}
        self.run_order.append(run)
        return run

    @rule(name=st.sampled_from(["main", "v1", "v2"]), run=runs)
    def tag(self, name: str, run: RunId) -> None:
        self.store.tag(name, run)
        self.refs[name] = run

    @rule(keep=st.integers(0, 3))
    def collect(self, keep: int) -> None:
        gc(self.store, keep_runs=keep, grace=0, now=time.time() + 1)
        kept_runs = set(self.refs.values()) | set(self.run_order[-keep:] if keep else [])
        kept_nodes = set().union(*(self.run_nodes[r] for r in kept_runs)) if kept_runs else set()
        self.results = {n: d for n, d in self.results.items() if n in kept_nodes}
        reachable: set[Digest] = set()
        todo = list(self.results.values())
        while todo:
            d = todo.pop()
            if d not in reachable:
                reachable.add(d)
                todo += self.objects[d][1]
        self.objects = {d: v for d, v in self.objects.items() if d in reachable}

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = SqliteStore(self.tmp / "store")

    @rule()
    def export_then_import_into_an_empty_store(self) -> None:
        if not self.run_order:
            return
        path = self.tmp / "all.voxb"
        export_bundle(self.store, list(self.run_order), path)
        fresh_dir = self.tmp / f"fresh-{len(list(self.tmp.iterdir()))}"
        with SqliteStore(fresh_dir, create=True) as fresh:
            import_bundle(fresh, path)
            assert {r.node: r.digest for r in fresh.results()} == self.results
            for digest in self._reachable_from_results():
                assert same_value(fresh.get(digest), self.objects[digest][0])
        shutil.rmtree(fresh_dir)

    def _reachable_from_results(self) -> set[Digest]:
        seen: set[Digest] = set()
        todo = list(self.results.values())
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo += self.objects[d][1]
        return seen

    @invariant()
    def results_match_the_model(self) -> None:
        assert {r.node: r.digest for r in self.store.results()} == self.results

    @invariant()
    def nothing_reachable_is_lost(self) -> None:
        for digest, (value, _) in self.objects.items():
            assert same_value(self.store.get(digest), value)

    @invariant()
    def refs_match_the_model(self) -> None:
        assert self.store.refs() == dict(sorted(self.refs.items()))

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


StoreMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
test_store_state_machine = StoreMachine.TestCase
