"""Placement: where a run's tasks find their stored inputs, and where the values they compute persist.

One object per run, chosen by the scheduler (`placement_for`); the stage graph and the loop
bag ask it, and nothing else in the executor knows where tasks run:

- `InProcess` (threads, sync): tasks run in this process. A stored input is a `load-<digest>`
  task that reads and verifies the object in the pool (decoding runs in parallel); a held value
  is a literal of the graph; tasks carry the `Primitive` itself and watch the run's cancel
  event; a node computed inside a loop item is handed to the writer from the pool thread as
  soon as it is computed (`item_persist`), so a killed run keeps the finished part of an item.
- `ClientSide` (processes, or a distributed cluster): the store stays with the client. Stored
  inputs are loaded here and become data nodes of the graph (shipped once, however many tasks
  use them), and so do held values; tasks carry only the primitive's name and the registry's
  modules; every outcome travels back to the client, which persists it.
- `SharedTier` (a cluster, and a store with a blob directory): as `ClientSide`, but workers
  persist the large objects of what they compute into the blob directory themselves and the
  client receives only the rows to index (the stage adds a `stored-` task after each node's, a
  loop item's task persists its own nodes); a stored input travels as its index rows and the
  worker reads its large bytes from the blob directory by digest (`load-` task, verified there).

Both own the run's `Scheduler`, created on first use (Dask is imported only then).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.execute.graph import data, ref, task
from voxcas.execute.inputs import portable_outcome
from voxcas.execute.keys import held_key, load_key, where_of
from voxcas.execute.tasks import Call, Failed, Literal, Ok, Outcome, checking_cache, load_object, read_check
from voxcas.execute.worker_store import StoredInput, fetch_stored, load_failure, loaded_key
from voxcas.execute.writer import Writer
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Apply, PlanNode
from voxcas.primitives.registry import Primitive, Registry, default_registry
from voxcas.store.base import Store

if TYPE_CHECKING:
    from voxcas.execute.options import RunOptions
    from voxcas.execute.schedulers import Scheduler
    from voxcas.store.sqlite import SqliteStore

Unreadable = Callable[[NodeId, str], None]  # told of a stored input that cannot be read
Warn = Callable[[str], None]  # a one-line warning about the run, said once
Persist = Callable[[NodeId, Any, float], None]
Picks = tuple[NodeId | None, ...] | None  # per argument: the member of a fused chunk it picks


def modules_of(registry: Registry) -> tuple[tuple[str, str], ...] | None:
    """How a worker process rebuilds `registry`: None for the built-in one, else its modules."""
    if registry is default_registry():
        return None
    return tuple(sorted(registry.modules.items()))


class Placement(ABC):
    """Where inputs load and values persist; see the module docstring."""

    in_process: bool  # whether tasks run in this process (may read the store, see the cancel event)

    def __init__(
        self, options: RunOptions, store: Store, writer: Writer, registry: Registry, unreadable: Unreadable
    ) -> None:
        self.options = options
        self.store = store
        self.writer = writer
        self.registry = registry
        self.unreadable = unreadable
        self._scheduler: Scheduler | None = None
        self.notice: tuple[Warn, str] | None = None  # said when the scheduler is first needed

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            from voxcas.execute.schedulers import Scheduler

            self._scheduler = Scheduler(self.options.scheduler, self.options.workers)
            if self.notice is not None:
                warn, text = self.notice
                self.notice = None
                warn(text)
        return self._scheduler

    def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.close()

    # -- tasks -------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def task_cancel(self) -> threading.Event | None:
        """The event tasks watch to skip work after a cancel (None where tasks cannot see it)."""

    def call(self, node: PlanNode, primitive: Primitive, picks: Picks = None) -> Call:
        """What a task needs to apply `primitive` for `node`: in this process the primitive
        itself; elsewhere only its name and the registry's modules (nothing else is pickled). A
        file reader also carries the fingerprint its id was made with, re-checked around the read
        (in this process against the store's stat cache; elsewhere against the worker's own)."""
        d = node.definition
        assert isinstance(d, Apply)
        reads = read_check(d)
        where = where_of(node)
        if self.in_process:
            cache = checking_cache(self.store) if reads is not None else None
            return Call(
                node.id, d.op, where, primitive=primitive, picks=picks, reads=reads, fingerprints=cache,
                access=self.options.access,
            )
        return Call(
            node.id, d.op, where, modules=modules_of(self.registry), picks=picks, reads=reads,
            access=self.options.access,
        )

    # -- inputs of a stage graph -------------------------------------------------------------------
    @abstractmethod
    def stored_input(self, graph: dict[str, Any], node: NodeId, digest: Digest) -> Any:
        """The argument standing for a stored input; adds what loads it to `graph` (once per
        digest). The key it adds is `load-<digest>`; a failed load is an outcome `Failed`."""

    @abstractmethod
    def held_input(self, graph: dict[str, Any], node: NodeId, outcome: Ok) -> Any:
        """The argument standing for a value held in memory (adding a data node when it travels)."""

    # -- inputs and values of loop items -----------------------------------------------------------
    @abstractmethod
    def item_outcome(self, outcome: Outcome) -> Outcome:
        """A known outcome (a held value, a constant) as it travels inside a loop item."""

    #: where a loop item's task persists the values it computes (a blob directory), if anywhere
    item_tier: str | None = None

    def item_load(self, node: NodeId, digest: Digest) -> Outcome | StoredInput:
        """A stored input of a loop item, loaded in this thread and made ready to travel; an
        unreadable object is reported (its node is then recomputed)."""
        outcome = load_object(self.store, digest, node)
        if isinstance(outcome, Failed):
            self.unreadable(node, outcome.message)
        return self.item_outcome(outcome)

    @abstractmethod
    def item_persist(self, nodes: Mapping[NodeId, PlanNode]) -> Persist | None:
        """How a loop item hands each value it computes to the writer, if it can (in-process);
        None: the values come back with the item's outcomes and are persisted then."""


class InProcess(Placement):
    """Threads and sync: tasks share this process, its store and its writer."""

    in_process = True

    @property
    def task_cancel(self) -> threading.Event | None:
        return self.options.cancel

    def stored_input(self, graph: dict[str, Any], node: NodeId, digest: Digest) -> Any:
        key = load_key(digest)
        if key not in graph:  # decoded in the pool, in parallel
            graph[key] = task(key, load_object, Literal(self.store), Literal(digest), Literal(node))
        return ref(key)

    def held_input(self, graph: dict[str, Any], node: NodeId, outcome: Ok) -> Any:
        return Literal(outcome)

    def item_outcome(self, outcome: Outcome) -> Outcome:
        return outcome

    def item_persist(self, nodes: Mapping[NodeId, PlanNode]) -> Persist | None:
        writer = self.writer
        cancel = self.options.cancel

        def persist(nid: NodeId, value: Any, seconds: float) -> None:
            if not cancel.is_set():  # after a cancel, late results are dropped (the run is recorded)
                writer.put(nodes[nid], value, seconds)

        return persist


class ClientSide(Placement):
    """Processes and distributed clusters: the client loads inputs, ships them, and persists."""

    in_process = False

    @property
    def task_cancel(self) -> threading.Event | None:
        return None

    def stored_input(self, graph: dict[str, Any], node: NodeId, digest: Digest) -> Any:
        key = load_key(digest)
        if key not in graph:  # loaded here, then one data node of the graph
            graph[key] = data(key, Literal(self.item_load(node, digest)))
        return ref(key)

    def held_input(self, graph: dict[str, Any], node: NodeId, outcome: Ok) -> Any:
        key = held_key(node)  # one data node, shipped once, however many tasks use it
        if key not in graph:
            graph[key] = data(key, Literal(self.item_outcome(outcome)))
        return ref(key)

    def item_outcome(self, outcome: Outcome) -> Outcome:
        return portable_outcome(outcome)

    def item_persist(self, nodes: Mapping[NodeId, PlanNode]) -> Persist | None:
        return None


class SharedTier(ClientSide):
    """A distributed cluster and a store whose blob tier is a directory the workers reach: each
    node's task is followed, on the same worker, by a `stored-` task that encodes the value and
    writes its large objects to the tier (`voxcas.execute.worker_store`); the client receives
    only the rows to index and its writer records them. Values stay in worker memory for the
    node's dependents. A stored input travels as its index rows (`SqliteStore.detached`): the
    worker reads the large bytes from the tier by digest and verifies them; a `loaded-` task
    after each such load tells the client of a failure, and the input is then recomputed."""

    def __init__(
        self,
        options: RunOptions,
        store: SqliteStore,
        writer: Writer,
        registry: Registry,
        unreadable: Unreadable,
        location: str,
    ) -> None:
        super().__init__(options, store, writer, registry, unreadable)
        self.index: SqliteStore = store
        self.blob_location = location
        self.item_tier = location

    def _detached(self, node: NodeId, digest: Digest) -> StoredInput | Failed:
        try:
            return StoredInput(self.index.detached(digest), self.blob_location, node)
        except (ObjectNotFoundError, CorruptObjectError) as error:
            message = f"error: cannot read the stored value of node {node[:12]}: {error}"
            self.unreadable(node, message)
            return Failed(message, "")

    def stored_input(self, graph: dict[str, Any], node: NodeId, digest: Digest) -> Any:
        key = load_key(digest)
        if key not in graph:  # read on a worker; only whether it failed comes back
            found = self._detached(node, digest)
            if isinstance(found, Failed):
                graph[key] = data(key, Literal(found))
            else:
                graph[key] = task(
                    key, fetch_stored, Literal(found.detached), Literal(found.location), Literal(node)
                )
                graph[loaded_key(key)] = task(loaded_key(key), load_failure, ref(key))
        return ref(key)

    def item_load(self, node: NodeId, digest: Digest) -> Outcome | StoredInput:
        return self._detached(node, digest)


def placement_for(
    options: RunOptions,
    store: Store,
    writer: Writer,
    registry: Registry,
    unreadable: Unreadable,
    warn: Warn | None = None,
) -> Placement:
    """The placement of a run on `options.scheduler`: on a cluster, `SharedTier` when the store
    keeps large objects in a blob directory given to it (`vox init --blobs DIR`: the workers must
    reach it at the same path; a store's own `blobs/` is not assumed reachable); else
    `ClientSide`, and on a cluster `warn` is told that large results travel to this client, once,
    when the run first needs the cluster (a run answered from the store says nothing)."""
    if options.scheduler in ("threads", "sync"):
        return InProcess(options, store, writer, registry, unreadable)
    from voxcas.store.sqlite import SqliteStore

    if "://" in options.scheduler and isinstance(store, SqliteStore) and store.blobs.shared:
        return SharedTier(options, store, writer, registry, unreadable, store.blobs.location)
    placement = ClientSide(options, store, writer, registry, unreadable)
    if "://" in options.scheduler and warn is not None:
        placement.notice = (warn, NO_SHARED_TIER)
    return placement


NO_SHARED_TIER = (
    "warning: this store keeps large objects where the cluster's workers cannot "
    "reach them: every result travels to this client to be stored (give the store a blob "
    "directory on a shared file system, 'vox init --blobs DIR', see docs/run.md)"
)
