"""One stage of a run: the missing non-loop nodes whose inputs are all available, as one Dask graph.

Graph shape: one task per node, keyed by its node id, `evaluate(Call, cancel, *args)` — except
runs of cheap scalar nodes, which `voxcas.execute.fusion` groups into chunks: one task per chunk,
keyed `fused-<first node id>`, `evaluate_chunk(steps, cancel, *inputs)`, whose value maps each
member to its outcome (a task that needs a member picks it out: `Call.picks`). An argument is a
reference to another node (or chunk) of the stage, a `Literal` (constants, held values, the
outcome of a node that already failed), or — for stored inputs — a `load-<digest>` task when
tasks run in this process (threads/sync: decoding runs in the pool) or, for processes and
distributed, a `load-<digest>` / `held-<id>` data node holding the value loaded here (the store
stays with the client; each input is shipped once, whatever the number of tasks using it). The sinks are
the graph's outputs, but a sink's value is forgotten by the scheduler as soon as it is handed to
the writer (`forget`), except values the engine asked to keep (loop sequences).

The graph is built from Dask's task objects (`Task`, `TaskRef`, `DataNode`) when this Dask has
them: Dask would otherwise convert every legacy tuple itself before running (about a tenth of a
stage of 10,000 trivial nodes); older Dask gets the equivalent tuples (`voxcas.execute.graph`).

What is written when: in the `posttask` callback (this thread) each outcome is handed to the
engine: `Ok` values go to the writer, `Failed` become failure records, `Skipped` are noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from voxcas.execute.fusion import Fusion, is_scalar_value
from voxcas.execute.graph import data, ref, task
from voxcas.execute.tasks import (
    GIVEN,
    INPUT,
    LOCAL,
    Call,
    Failed,
    Literal,
    Ok,
    Skipped,
    Step,
    checking_cache,
    evaluate,
    evaluate_chunk,
    load_object,
    read_check,
)
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Apply, Const, PlanNode, ValueRef
from voxcas.primitives.registry import Registry, default_registry
from voxcas.store.base import StoredSequence

if TYPE_CHECKING:
    from voxcas.execute.engine import Engine


def const_value(node: PlanNode) -> Any:
    d = node.definition
    assert isinstance(d, Const)
    return d.value


CHUNK = 8  # tasks handed to a pool worker at once, in large stages


def compute(
    engine: Engine, nodes: Mapping[NodeId, PlanNode], runnable: list[NodeId], keep: set[NodeId]
) -> None:
    """Run `runnable` (dependencies first); hand every outcome to the engine as it finishes."""
    if runnable:
        _Stage(engine, nodes, runnable, keep).run()


def given_outcome(engine: Engine, nodes: Mapping[NodeId, PlanNode], arg: NodeId, *, here: bool) -> Any:
    """The outcome of a node outside the graph being built, when it is known without the store:
    a failed/skipped node, a held value (made `portable` unless `here`), a constant; else None."""
    if arg in engine.bad:
        return Skipped(f"depends on {engine.bad[arg]} node {arg[:12]}")
    if arg in engine.held:
        value = engine.held[arg]
        return Ok(value if here else portable(value), 0.0)
    d = nodes[arg].definition
    if isinstance(d, Const):
        return Ok(d.value, 0.0)
    return None


def load_here(engine: Engine, digest: Digest, arg: NodeId, *, here: bool) -> Any:
    """The outcome of loading a stored input in this thread (made `portable` unless `here`); an
    unreadable object is noted with the engine, which recomputes its node."""
    outcome = load_object(engine.store, digest, arg)
    if isinstance(outcome, Failed):
        engine.unreadable_input(arg, outcome.message)
    elif isinstance(outcome, Ok) and not here:
        outcome = Ok(portable(outcome.value), 0.0)
    return outcome


def stored_digest(engine: Engine, nodes: Mapping[NodeId, PlanNode], arg: NodeId) -> Digest | None:
    """The digest of a stored input: named by a ValueRef, or the result stored for the node."""
    d = nodes[arg].definition
    return d.digest if isinstance(d, ValueRef) else engine.digest_of(arg)


class _Stage:
    """Builds one stage's Dask graph (single tasks and fused chunks), runs it, reports outcomes."""

    def __init__(
        self, engine: Engine, nodes: Mapping[NodeId, PlanNode], runnable: list[NodeId], keep: set[NodeId]
    ) -> None:
        self.engine = engine
        self.nodes = nodes
        self.runnable = runnable
        self.keep = keep
        self.scheduler = engine.scheduler()
        self.here = self.scheduler.in_process  # tasks run in this process (threads/sync)
        self.cancel = engine.options.cancel if self.here else None
        self.modules = modules_of(engine.registry)
        self.in_stage = set(runnable)
        self.used: set[str] = set()  # keys some task of the stage reads
        self.dsk: dict[str, Any] = {}
        self.loads: dict[str, Any] = {}  # load-<digest> / held-<id> entries
        self.load_nodes: dict[str, NodeId] = {}  # load key -> the node whose value it loads
        fusion = Fusion(nodes, engine.registry, lambda nid: held_scalar(engine, nid))
        self.groups = fusion.groups(runnable, self.in_stage) if len(runnable) > 1 else [runnable]
        self.chunk_of: dict[NodeId, str] = {}  # member -> its chunk's key (fused nodes only)
        self.members: dict[str, list[NodeId]] = {}  # chunk key -> its nodes, in order
        for group in self.groups:
            if len(group) > 1:
                key = f"fused-{group[0]}"
                self.members[key] = group
                for nid in group:
                    self.chunk_of[nid] = key

    def key_of(self, nid: NodeId) -> str:
        return self.chunk_of.get(nid, nid)

    # -- building ------------------------------------------------------------------------------
    def argument(self, arg: NodeId) -> Any:
        """A task argument for node `arg`: a reference to a key of the graph, or a `Literal`."""
        if arg in self.in_stage:
            key = self.key_of(arg)
            self.used.add(key)
            return ref(key)
        if arg in self.engine.held and arg not in self.engine.bad and not self.here:
            key = f"held-{arg}"  # one data node, shipped once, however many tasks use it
            if key not in self.loads:
                self.loads[key] = data(key, Literal(given_outcome(self.engine, self.nodes, arg, here=False)))
            return ref(key)
        known = given_outcome(self.engine, self.nodes, arg, here=True)
        if known is not None:
            return Literal(known)
        digest = stored_digest(self.engine, self.nodes, arg)
        if digest is None:
            return Literal(Failed(f"error: internal: no value for node {arg[:12]}", ""))
        key = f"load-{digest}"
        if key not in self.loads:
            self.load_nodes[key] = arg
            if self.here:  # decoded in the pool, in parallel
                store = Literal(self.engine.store)
                self.loads[key] = task(key, load_object, store, Literal(digest), Literal(arg))
            else:  # loaded here, then one data node of the graph
                self.loads[key] = data(key, Literal(load_here(self.engine, digest, arg, here=False)))
        return ref(key)

    def call(self, nid: NodeId, primitive: Any, picks: tuple[NodeId | None, ...] | None = None) -> Call:
        from voxcas.execute.engine import where_of

        node = self.nodes[nid]
        d = node.definition
        assert isinstance(d, Apply)
        reads = read_check(d)
        if self.here:
            cache = checking_cache(self.engine.store) if reads is not None else None
            return Call(
                nid, d.op, where_of(node), primitive=primitive, picks=picks, reads=reads, fingerprints=cache
            )
        return Call(nid, d.op, where_of(node), modules=self.modules, picks=picks, reads=reads)

    def add_single(self, nid: NodeId) -> None:
        from voxcas.execute.engine import where_of

        node = self.nodes[nid]
        d = node.definition
        assert isinstance(d, Apply)
        try:
            primitive = self.engine.registry.get(d.op)
        except KeyError:
            where = where_of(node)
            message = f"unknown primitive {d.op}"
            self.engine.mark_failed(node, f"{where}: error: {message}" if where else f"error: {message}")
            self.dsk[nid] = data(nid, Literal(Failed(message, "")))  # a literal outcome: dependents skip
            return
        args = [self.argument(a) for a in d.args]
        picks = tuple(a if a in self.chunk_of else None for a in d.args)
        call = self.call(nid, primitive, picks if any(picks) else None)
        self.dsk[nid] = task(nid, evaluate, Literal(call), Literal(self.cancel), *args)

    def add_chunk(self, group: list[NodeId]) -> None:
        key = self.chunk_of[group[0]]
        position = {nid: i for i, nid in enumerate(group)}
        inputs: dict[str, int] = {}  # key of another task -> its index among the chunk's inputs
        refs: list[Any] = []
        steps: list[Step] = []
        for nid in group:
            d = self.nodes[nid].definition
            assert isinstance(d, Apply)
            sources: list[tuple[Any, ...]] = []
            for a in d.args:
                if a in position:
                    sources.append((LOCAL, position[a]))
                    continue
                arg = self.argument(a)
                if isinstance(arg, Literal):
                    sources.append((GIVEN, arg.value))
                    continue
                arg_key = str(arg.key) if hasattr(arg, "key") else str(arg)
                if arg_key not in inputs:
                    inputs[arg_key] = len(refs)
                    refs.append(arg)
                sources.append((INPUT, inputs[arg_key], a if a in self.chunk_of else None))
            primitive = self.engine.registry.get(d.op)  # known: Fusion fuses only known primitives
            steps.append(Step(self.call(nid, primitive), tuple(sources)))
        self.dsk[key] = task(key, evaluate_chunk, Literal(tuple(steps)), Literal(self.cancel), *refs)

    # -- running -------------------------------------------------------------------------------
    def on_start(self, key: str) -> None:
        first = self.members[key][0] if key in self.members else NodeId(key)
        if first in self.in_stage:
            self.engine.progress.pretask(first, self.nodes[first].label)

    def on_done(self, key: str, outcome: Any) -> None:
        if key in self.members:
            for nid in self.members[key]:
                self.engine.record(self.nodes[nid], outcome[nid])
        elif key in self.in_stage:
            self.engine.record(self.nodes[NodeId(key)], outcome)
        else:
            if key in self.load_nodes and isinstance(outcome, Failed):
                self.engine.unreadable_input(self.load_nodes[key], outcome.message)
            return
        self.engine.check_cancel()

    def run(self) -> None:
        for group in self.groups:
            if len(group) == 1:
                self.add_single(group[0])
            else:
                self.add_chunk(group)
        self.dsk.update(self.loads)
        keys = list(dict.fromkeys(self.key_of(n) for n in self.runnable))
        sinks = [k for k in keys if k not in self.used]
        kept = {self.key_of(nid) for nid in self.keep & self.in_stage}
        forget = {k for k in sinks if k not in kept}
        # Large stages hand ready tasks to the pool a few at a time: a thread hop per tiny task
        # costs more than the task, and with thousands of tasks the tail imbalance (at most
        # CHUNK - 1 tasks on one worker) is negligible. Small stages keep perfect balance.
        chunksize = CHUNK if len(keys) >= 64 * self.scheduler.workers else 1
        results = self.scheduler.run(
            self.dsk,
            sinks,
            self.on_start,
            self.on_done,
            forget=forget,
            chunksize=chunksize,
            cancel=self.engine.options.cancel,
        )
        for nid in self.keep & self.in_stage:
            outcome = results.get(self.key_of(nid))
            if nid in self.chunk_of and isinstance(outcome, dict):
                outcome = outcome.get(nid)
            if isinstance(outcome, Ok):
                self.engine.held[nid] = outcome.value


def held_scalar(engine: Engine, nid: NodeId) -> bool | None:
    """Whether a value the engine holds in memory is a scalar; None when it holds none."""
    if nid not in engine.held:
        return None
    return is_scalar_value(engine.held[nid])


def portable(value: Any) -> Any:
    """A value that can leave this process: stored sequences (which hold the store) become lists."""
    if isinstance(value, StoredSequence):
        return [portable(item) for item in value]
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    return value


def modules_of(registry: Registry) -> tuple[tuple[str, str], ...] | None:
    """How a worker process rebuilds `registry`: None for the built-in one, else its modules."""
    if registry is default_registry():
        return None
    modules: dict[str, str] = getattr(registry, "_modules", {})
    return tuple(sorted(modules.items()))
