"""The single writer: batched commits, flush, refused values, and a failing store."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from exec_helpers import PlanBuilder

from voxcas.errors import RunCancelled, StoreError
from voxcas.execute.writer import Writer
from voxcas.plan.nodes import PlanNode
from voxcas.store.memory import MemoryStore


def _nodes(n: int) -> list[PlanNode]:
    b = PlanBuilder()
    ids = [b.app("inc", b.const(i)) for i in range(n)]
    return [b.plan.nodes[i] for i in ids]


class SlowStore(MemoryStore):
    """Each commit waits until the test lets it go, so results pile up in the queue meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.batches: list[int] = []

    def put_results(self, pending: Any) -> Any:
        self.gate.wait()
        self.batches.append(len(pending))
        return super().put_results(pending)


def test_results_queued_while_a_commit_runs_are_committed_together() -> None:
    store = SlowStore()
    run = store.start_run("p", None, [])
    writer = Writer(store, run)
    nodes = _nodes(300)
    for i, node in enumerate(nodes):
        writer.put(node, i, 0.0)
    store.gate.set()
    writer.flush()
    assert sum(store.batches) == 300 and len(store.batches) <= 2
    assert (
        {n.id for n in nodes}
        == set(writer.digests)
        == {n for n, s in store.run_nodes(run) if s == "computed"}
    )
    writer.close()


def test_flush_makes_every_queued_result_visible() -> None:
    store = MemoryStore()
    writer = Writer(store, store.start_run("p", None, []))
    nodes = _nodes(5)
    for i, node in enumerate(nodes):
        writer.put(node, i * 10, 0.5)
    writer.flush()
    assert [store.get(store.lookup(n.id)) for n in nodes] == [0, 10, 20, 30, 40]  # type: ignore[arg-type]
    writer.close()


def test_a_value_the_store_refuses_fails_only_its_own_node() -> None:
    store = MemoryStore()
    run = store.start_run("p", None, [])
    writer = Writer(store, run)
    good, bad = _nodes(2)
    writer.put(good, 1, 0.0)
    writer.put(bad, object(), 0.0)
    writer.flush()
    assert store.lookup(good.id) is not None and store.lookup(bad.id) is None
    assert list(writer.refused) == [bad.id]
    [failure] = store.failures(run)
    assert failure.node == bad.id and failure.message.startswith("cannot store the value of this node")
    writer.close()


def test_a_store_error_stops_the_writer_and_is_raised_by_flush() -> None:
    class Broken(MemoryStore):
        def put_results(self, pending: Any) -> Any:
            raise StoreError("disk full")

    store = Broken()
    writer = Writer(store, store.start_run("p", None, []))
    writer.put(_nodes(1)[0], 1, 0.0)
    with pytest.raises(StoreError, match="disk full"):
        writer.flush()
    with pytest.raises(StoreError, match="disk full"):
        writer.close()


def test_calls_run_on_the_writer_thread_in_queue_order() -> None:
    store = MemoryStore()
    writer = Writer(store, store.start_run("p", None, []))
    node = _nodes(1)[0]
    writer.put(node, 42, 0.0)
    seen = writer.call(lambda: (threading.current_thread().name, store.lookup(node.id) is not None))
    assert seen.result(timeout=10) == ("voxcas-writer", True)
    writer.close()


def test_put_waits_while_the_values_awaiting_a_commit_exceed_the_memory_bound() -> None:
    store = SlowStore()
    writer = Writer(store, store.start_run("p", None, []), max_pending_bytes=3_500_000)
    nodes = _nodes(5)
    queued: list[int] = []

    def produce() -> None:
        for i, node in enumerate(nodes):
            writer.put(node, bytes(1_000_000) + bytes([i]), 0.0)
            queued.append(i)

    producer = threading.Thread(target=produce)
    producer.start()
    producer.join(timeout=1.0)
    assert producer.is_alive() and queued == [0, 1, 2]  # the fourth megabyte waits for a commit
    store.gate.set()
    producer.join(timeout=30)
    assert queued == [0, 1, 2, 3, 4]
    writer.close()
    assert all(store.lookup(n.id) is not None for n in nodes)


def test_a_large_array_is_stored_ahead_under_the_digest_of_its_encoding_and_not_held_after() -> None:
    import gc
    import weakref

    import numpy as np

    from voxcas.execute.writer import AHEAD_BYTES
    from voxcas.store import codec

    store = SlowStore()  # commits wait for the gate: only the ahead path can store the object
    writer = Writer(store, store.start_run("p", None, []))
    node = _nodes(1)[0]
    array = np.arange(AHEAD_BYTES // 8 + 1, dtype=np.float64)
    expected = codec.encode(array.copy(), lambda item: item).digest
    watch = weakref.ref(array)
    writer.put(node, array, 0.0)
    del array
    for _ in range(200):  # the encoder thread stores the object while the commit still waits
        gc.collect()
        if watch() is None and store.has(expected):
            break
        threading.Event().wait(0.05)
    assert store.has(expected) and watch() is None  # stored, and the writer keeps no reference
    assert store.lookup(node.id) is None  # no result yet: its commit waits for the gate
    store.gate.set()
    writer.flush()
    assert store.lookup(node.id) == expected == writer.digests[node.id]
    writer.close()


def test_a_large_value_the_store_refuses_fails_only_its_own_node() -> None:
    import numpy as np

    from voxcas.execute.writer import AHEAD_BYTES

    store = MemoryStore()
    run = store.start_run("p", None, [])
    writer = Writer(store, run)
    good, bad = _nodes(2)
    writer.put(bad, np.empty(AHEAD_BYTES // 8 + 1, dtype=object), 0.0)  # object arrays are refused
    writer.put(good, np.ones(AHEAD_BYTES, dtype=np.uint8), 0.0)
    writer.flush()
    assert store.lookup(good.id) is not None and store.lookup(bad.id) is None
    assert list(writer.refused) == [bad.id]
    [failure] = store.failures(run)
    assert failure.node == bad.id and "dtype 'object'" in failure.message
    writer.close()


def test_flush_stops_waiting_once_the_run_is_cancelled_and_close_still_commits_everything() -> None:
    store = SlowStore()
    run = store.start_run("p", None, [])
    writer = Writer(store, run)
    nodes = _nodes(50)
    for i, node in enumerate(nodes):
        writer.put(node, i, 0.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunCancelled, match="cancelled while its results were being stored"):
        writer.flush(cancel)  # the commit is still held by the gate: nothing was committed yet
    assert store.batches == []
    store.gate.set()
    writer.close()  # a cancelled run keeps what finished
    assert {n.id for n in nodes} == set(writer.digests)
