"""The state of one run, and the only code that changes it.

`RunState` owns what a run learns while it runs: which nodes are known to be stored (and under
which digest), which failed or were skipped, the values held in memory (loop sequences, loop
items, goals being recomputed), the failures to report, and the counts of the summary. Every
other part of the executor reads it through read-only views (`Mapping`, `Set`) and changes it
only through the mutators below, each of which also tells the writer (the run's node log, the
results to persist) and the progress callbacks what happened, so the three never disagree.

Threads: the mutators run in the thread that drives the run (the scheduler's callbacks run
there too). Only `Writer.put` is called from pool threads, by the placement (see
`voxcas.execute.placement`), and the writer is thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from contextlib import contextmanager
from typing import Any

from voxcas.errors import RunCancelled
from voxcas.execute.keys import where_of
from voxcas.execute.options import Failure, RunOptions
from voxcas.execute.progress import Progress
from voxcas.execute.tasks import Failed, Ok
from voxcas.execute.writer import Writer
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.nodes import Apply, PlanNode
from voxcas.plan.volatile import volatile_nodes
from voxcas.primitives.registry import Registry
from voxcas.store.base import Store

Nodes = Mapping[NodeId, PlanNode]


class RunState:
    """What one run knows, has computed, holds and has failed; see the module docstring."""

    def __init__(
        self, store: Store, writer: Writer, progress: Progress, options: RunOptions, run: RunId
    ) -> None:
        self.store = store
        self.writer = writer
        self.progress = progress
        self.options = options
        self.run = run
        self.computed = self.reused = self.skipped = 0
        self._known: dict[NodeId, Digest] = {}  # node -> digest of its stored value
        self._bad: dict[NodeId, str] = {}  # node -> "failed" | "skipped"
        self._held: dict[NodeId, Any] = {}  # values kept in memory
        self._failures: list[Failure] = []
        self._reused_nodes: set[NodeId] = set()
        self._unreadable: dict[NodeId, str] = {}  # stored inputs whose object could not be read
        self._walk_skipped: list[NodeId] = []  # skipped since the current walk began
        self._keep: set[NodeId] = set()  # computed values to hold in memory
        self._volatile: set[NodeId] = set()  # never looked up: they read files known only at run time

    # -- read-only views -------------------------------------------------------------------------
    @property
    def bad(self) -> Mapping[NodeId, str]:
        return self._bad

    @property
    def held(self) -> Mapping[NodeId, Any]:
        return self._held

    @property
    def failures(self) -> list[Failure]:
        return list(self._failures)

    @property
    def unreadable(self) -> Mapping[NodeId, str]:
        return self._unreadable

    @property
    def keep(self) -> Set[NodeId]:
        return self._keep

    @property
    def volatile(self) -> Set[NodeId]:
        return self._volatile

    def digest_of(self, node: NodeId) -> Digest | None:
        """The digest of a node's stored value, if this run knows it (looked up or committed)."""
        return self._known.get(node) or self.writer.digests.get(node)

    def check_cancel(self) -> None:
        if self.options.cancel.is_set():
            raise RunCancelled(f"run {self.run[:12]} cancelled")

    # -- outcomes ----------------------------------------------------------------------------------
    def mark_known(self, node: NodeId, digest: Digest) -> None:
        """A node whose value is an existing object (a `ValueRef`): known, not counted."""
        self._known[node] = digest

    def mark_reused(self, found: Mapping[NodeId, Digest]) -> None:
        fresh = [n for n in found if n not in self._known]
        self._known.update(found)
        self.reused += len(fresh)
        self._reused_nodes.update(fresh)
        for nid in fresh:
            self.writer.note(nid, "reused")

    def mark_failed(self, node: PlanNode, message: str, tb: str = "") -> None:
        prim = node.definition.op if isinstance(node.definition, Apply) else None
        self._bad[node.id] = "failed"
        self._failures.append(Failure(node.id, prim, where_of(node), message))
        self.writer.fail(node, message, tb)
        self.writer.note(node.id, "failed")
        self.progress.posttask(node.id, "failed", prim, node.label)

    def mark_skipped(self, node: PlanNode) -> None:
        self._bad[node.id] = "skipped"
        self._walk_skipped.append(node.id)
        self.skipped += 1
        self.writer.note(node.id, "skipped")
        self.progress.posttask(node.id, "skipped", _primitive(node), node.label)

    def mark_computed(self, node: PlanNode, value: Any, seconds: float) -> None:
        self.computed += 1
        self.writer.put(node, value, seconds)  # the writer notes it "computed" once committed
        self.progress.posttask(node.id, "computed", _primitive(node), node.label)

    def record(self, node: PlanNode, outcome: Any, *, persisted: bool = False) -> None:
        """Account for one node's outcome (`Ok`, `Failed` or `Skipped`) as its task hands it back;
        `persisted`: an `Ok` value was already handed to the writer by the task itself."""
        if node.id in self._bad:  # failed before it could be scheduled (unknown primitive)
            return
        if isinstance(outcome, Ok) and persisted:
            self.computed += 1
            self.progress.posttask(node.id, "computed", _primitive(node), node.label)
        elif isinstance(outcome, Ok):
            self.mark_computed(node, outcome.value, outcome.seconds)
        elif isinstance(outcome, Failed):
            self.mark_failed(node, outcome.message, outcome.traceback)
        else:
            self.mark_skipped(node)

    def add_failure(self, failure: Failure) -> None:
        """A failure that is not a node's own outcome (a loop item that could not be set up, a
        goal that could not be saved or read)."""
        self._failures.append(failure)

    def record_failure(self, node: PlanNode, message: str, tb: str = "") -> None:
        """Keep a failure against `node` in the store (with the node's definition)."""
        self.writer.fail(node, message, tb)

    def flush(self) -> None:
        """Commit everything finished so far; learn the digests and any refused values
        (`RunCancelled` instead if the run is cancelled while it waits)."""
        self.writer.flush(self.options.cancel)
        for nid, message in list(self.writer.refused.items()):
            if nid not in self._bad:
                self._bad[nid] = "failed"
                self.computed -= 1
                self._failures.append(Failure(nid, None, None, f"error: {message}"))

    # -- values held in memory -------------------------------------------------------------------
    def hold(self, node: NodeId, value: Any) -> None:
        self._held[node] = value

    def release(self, nodes: Iterable[NodeId]) -> None:
        for nid in nodes:
            self._held.pop(nid, None)

    @contextmanager
    def keeping(self, nodes: Iterable[NodeId]) -> Iterator[None]:
        """Hold the values of `nodes` in memory when they are computed, while inside the block."""
        added = [n for n in nodes if n not in self._keep]
        self._keep.update(added)
        try:
            yield
        finally:
            self._keep.difference_update(added)

    def keep_for_good(self, node: NodeId) -> None:
        """Hold the value of `node` for the rest of the run (a goal recomputed after a bad read)."""
        self._keep.add(node)

    def find_volatile(self, nodes: Nodes, registry: Registry, context: Nodes | None = None) -> None:
        """Learn which of `nodes` are never looked up: they read files at paths only this run
        computes (`voxcas.plan.volatile`; `context` resolves captures outside `nodes`)."""
        volatile_nodes(nodes, registry, self._volatile, context)

    # -- unreadable stored inputs ----------------------------------------------------------------
    def unreadable_input(self, node: NodeId, message: str) -> None:
        """A stored input could not be read back (its object is missing or corrupt); the walk
        forgets its result and recomputes it (a corrupt result is a cache miss)."""
        self._unreadable[node] = message

    def forget(self, node: NodeId) -> None:
        """Drop a stored result that cannot be read, so that it is computed again; its object,
        if damaged, goes too (else the recomputed value would be bound to the damaged bytes)."""
        store = self.store
        digest = self.digest_of(node)

        def drop() -> None:
            store.delete_result(node)
            if digest is not None:
                store.discard_damaged(digest)

        self.writer.call(drop).result()
        self._known.pop(node, None)
        self.writer.digests.pop(node, None)
        if node in self._reused_nodes:
            self._reused_nodes.discard(node)
            self.reused -= 1

    def forget_unreadable(self) -> None:
        """Forget every unreadable input noted so far (they are recomputed by the next walk)."""
        for nid in list(self._unreadable):
            self.forget(nid)
        self._unreadable.clear()

    def begin_walk(self) -> None:
        self._walk_skipped = []

    def forgive_walk(self) -> None:
        """After an unreadable input stopped a walk: what was skipped because of it may run again
        (the progress display grows back by as much), and the unreadable inputs are forgotten."""
        forgiven = [n for n in self._walk_skipped if self._bad.get(n) == "skipped"]
        for nid in forgiven:
            del self._bad[nid]
        self.skipped -= len(forgiven)
        self.progress.grow(len(forgiven), 0)
        self.forget_unreadable()

    def give_up_unreadable(self) -> None:
        """Report the inputs still unreadable after every recovery round as failures."""
        for nid, message in self._unreadable.items():
            self._failures.append(Failure(nid, None, None, message))
        self._unreadable.clear()


def _primitive(node: PlanNode) -> str | None:
    """The primitive a node applies (`vox1.dt`), for progress events; None for other nodes."""
    return node.definition.op if isinstance(node.definition, Apply) else None
