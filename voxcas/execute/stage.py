"""One stage of a run: the missing non-loop nodes whose inputs are all available, as one Dask graph.

Graph shape: one task per node, keyed `<primitive>-<node id>` (`voxcas.execute.keys`),
`evaluate(Call, cancel, *args)` — except runs of cheap scalar nodes, which
`voxcas.execute.fusion` groups into chunks: one task per chunk, keyed
`fused-<primitive>-<first node id>`, `evaluate_chunk(steps, cancel, *inputs)`, whose value maps
each member to its outcome (a task that needs a member picks it out: `Call.picks`). An argument
is a reference to another node (or chunk) of the stage, a `Literal` (constants, the outcome of a
node that already failed), or what the run's placement makes of a stored input or a held value
(`voxcas.execute.placement`: a load task in the pool, or a data node loaded by the client). The sinks are
the graph's outputs, but a sink's value is forgotten by the scheduler as soon as it is handed to
the writer (`forget`), except values the engine asked to keep (loop sequences).

The graph is built from Dask's task objects (`Task`, `TaskRef`, `DataNode`) when this Dask has
them: Dask would otherwise convert every legacy tuple itself before running (about a tenth of a
stage of 10,000 trivial nodes); older Dask gets the equivalent tuples (`voxcas.execute.graph`).

What is written when: in the `posttask` callback (this thread) each outcome is handed to the
run state: `Ok` values go to the writer, `Failed` become failure records, `Skipped` are noted.
"""

from __future__ import annotations

from typing import Any

from voxcas.execute.context import Nodes, RunContext
from voxcas.execute.fusion import Fusion
from voxcas.execute.graph import data, ref, task
from voxcas.execute.inputs import held_scalar, known_outcome, stored_digest
from voxcas.execute.keys import chunk_key, load_key, node_key, where_of
from voxcas.execute.placement import SharedTier
from voxcas.execute.tasks import (
    GIVEN,
    INPUT,
    LOCAL,
    Failed,
    Literal,
    Ok,
    Step,
    evaluate,
    evaluate_chunk,
)
from voxcas.execute.worker_store import loaded_key, persist_outcome, stored_key
from voxcas.ids import NodeId
from voxcas.plan.nodes import Apply

CHUNK = 8  # tasks handed to a pool worker at once, in large stages


def compute(ctx: RunContext, nodes: Nodes, runnable: list[NodeId], keep: set[NodeId]) -> None:
    """Run `runnable` (dependencies first); hand every outcome to the run state as it finishes."""
    if runnable:
        _Stage(ctx, nodes, runnable, keep).run()


class _Stage:
    """Builds one stage's Dask graph (single tasks and fused chunks), runs it, reports outcomes."""

    def __init__(self, ctx: RunContext, nodes: Nodes, runnable: list[NodeId], keep: set[NodeId]) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.placement = ctx.placement
        self.nodes = nodes
        self.runnable = runnable
        self.keep = keep
        self.scheduler = ctx.placement.scheduler
        self.cancel = ctx.placement.task_cancel
        self.in_stage = set(runnable)
        self.used: set[str] = set()  # keys some task of the stage reads
        self.dsk: dict[str, Any] = {}
        self.loads: dict[str, Any] = {}  # load-<digest> / held-<id> entries
        self.load_nodes: dict[str, NodeId] = {}  # load key -> the node whose value it loads
        fusion = Fusion(nodes, ctx.registry, lambda nid: held_scalar(ctx.state, nid))
        self.groups = fusion.groups(runnable, self.in_stage) if len(runnable) > 1 else [runnable]
        self.key: dict[NodeId, str] = {}  # node -> its task's key (its chunk's, when fused)
        self.members: dict[str, list[NodeId]] = {}  # chunk key -> its nodes, in order
        self.single: dict[str, NodeId] = {}  # key of a one-node task -> its node
        self.chunk_of: dict[NodeId, str] = {}  # fused node -> its chunk's key
        self.stored: dict[str, NodeId] = {}  # key of a `stored-` task (SharedTier) -> its node
        for group in self.groups:
            if len(group) > 1:
                key = chunk_key(nodes[group[0]])
                self.members[key] = group
                for nid in group:
                    self.key[nid] = self.chunk_of[nid] = key
            else:
                key = node_key(nodes[group[0]])
                self.single[key] = group[0]
                self.key[group[0]] = key

    # -- building ------------------------------------------------------------------------------
    def argument(self, arg: NodeId) -> Any:
        """A task argument for node `arg`: a reference to a key of the graph, or a `Literal`."""
        if arg in self.in_stage:
            key = self.key[arg]
            self.used.add(key)
            return ref(key)
        known = known_outcome(self.state, self.nodes, arg)
        if isinstance(known, Ok) and arg in self.state.held:
            return self.placement.held_input(self.loads, arg, known)
        if known is not None:
            return Literal(known)
        digest = stored_digest(self.state, self.nodes, arg)
        if digest is None:
            return Literal(Failed(f"error: internal: no value for node {arg[:12]}", ""))
        self.load_nodes.setdefault(load_key(digest), arg)
        return self.placement.stored_input(self.loads, arg, digest)

    def add_single(self, nid: NodeId) -> None:
        node = self.nodes[nid]
        d = node.definition
        assert isinstance(d, Apply)
        key = self.key[nid]
        primitive = self.ctx.registry.find(d.op)
        if primitive is None:
            where = where_of(node)
            message = f"unknown primitive {d.op}"
            self.state.mark_failed(node, f"{where}: error: {message}" if where else f"error: {message}")
            self.dsk[key] = data(key, Literal(Failed(message, "")))  # a literal outcome: dependents skip
            return
        args = [self.argument(a) for a in d.args]
        picks = tuple(a if a in self.chunk_of else None for a in d.args)
        call = self.placement.call(node, primitive, picks if any(picks) else None)
        self.dsk[key] = task(key, evaluate, Literal(call), Literal(self.cancel), *args)
        if isinstance(self.placement, SharedTier):  # the worker persists; the value stays there
            skey = stored_key(key)
            self.dsk[skey] = task(skey, persist_outcome, ref(key), Literal(self.placement.blob_location))
            self.stored[skey] = nid

    def add_chunk(self, group: list[NodeId]) -> None:
        key = self.key[group[0]]
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
            primitive = self.ctx.registry.get(d.op)  # known: Fusion fuses only known primitives
            steps.append(Step(self.placement.call(self.nodes[nid], primitive), tuple(sources)))
        self.dsk[key] = task(key, evaluate_chunk, Literal(tuple(steps)), Literal(self.cancel), *refs)

    # -- running -------------------------------------------------------------------------------
    def on_start(self, key: str) -> None:
        first = self.members[key][0] if key in self.members else self.single.get(key)
        if first is not None:
            self.ctx.progress.pretask(first, self.nodes[first].label)

    def on_done(self, key: str, outcome: Any) -> None:
        if key in self.members:
            for nid in self.members[key]:
                self.state.record(self.nodes[nid], outcome[nid])
        elif key in self.stored:
            self.state.record(self.nodes[self.stored[key]], outcome)
        elif key in self.single:
            if stored_key(key) in self.stored:
                return  # its `stored-` task reports it
            self.state.record(self.nodes[self.single[key]], outcome)
        else:
            if key in self.load_nodes and isinstance(outcome, Failed):
                self.state.unreadable_input(self.load_nodes[key], outcome.message)
            return
        self.state.check_cancel()

    def run(self) -> None:
        for group in self.groups:
            if len(group) == 1:
                self.add_single(group[0])
            else:
                self.add_chunk(group)
        self.dsk.update(self.loads)
        worker_loads = {k for k in self.loads if loaded_key(k) in self.loads}  # SharedTier
        for k in worker_loads:  # the client hears only whether the load failed
            self.load_nodes[loaded_key(k)] = self.load_nodes[k]
        keys = list(dict.fromkeys(self.key[n] for n in self.runnable))
        sinks = [k for k in keys if k not in self.used]
        kept = {self.key[nid] for nid in self.keep & self.in_stage}
        forget = {k for k in sinks if k not in kept}
        quiet: set[str] = set()
        if self.stored:  # values stay on the workers, but kept ones are still wanted here
            sinks = [k for k in keys if k not in self.used or k in kept]
            sinks += list(self.stored)
            forget = {k for k in sinks if k not in kept}
            quiet = {k for k in keys if stored_key(k) in self.stored and k not in kept}
        quiet |= worker_loads
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
            cancel=self.ctx.options.cancel,
            quiet=quiet,
        )
        for nid in self.keep & self.in_stage:
            outcome = results.get(self.key[nid])
            if nid in self.chunk_of and isinstance(outcome, dict):
                outcome = outcome.get(nid)
            if isinstance(outcome, Ok):
                self.state.hold(nid, outcome.value)
