"""One stage of a run: the missing non-loop nodes whose inputs are all available, as one Dask graph.

Graph shape: one task per node, keyed by its node id, `evaluate(Call, cancel, *args)`; an
argument is a reference to another node of the stage, a `Literal` (constants, held values, the
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
    evaluate,
    evaluate_chunk,
    load_object,
)
from voxcas.ids import NodeId
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
    if not runnable:
        return
    from voxcas.execute.engine import where_of

    scheduler = engine.scheduler()
    cancel = engine.options.cancel if scheduler.in_process else None
    in_stage = set(runnable)
    used: set[str] = set()
    dsk: dict[str, Any] = {}
    loads: dict[str, Any] = {}
    load_nodes: dict[str, NodeId] = {}

    def argument(arg: NodeId) -> Any:
        if arg in in_stage:
            key = key_of(arg)
            used.add(key)
            return ref(key)
        if arg in engine.bad:
            return Literal(Skipped(f"depends on {engine.bad[arg]} node {arg[:12]}"))
        if arg in engine.held:
            if scheduler.in_process:
                return Literal(Ok(engine.held[arg], 0.0))
            key = f"held-{arg}"  # one data node, shipped once, however many tasks use it
            if key not in loads:
                loads[key] = data(key, Literal(Ok(portable(engine.held[arg]), 0.0)))
            return ref(key)
        d = nodes[arg].definition
        if isinstance(d, Const):
            return Literal(Ok(d.value, 0.0))
        digest = d.digest if isinstance(d, ValueRef) else engine.digest_of(arg)
        if digest is None:
            return Literal(Failed(f"error: internal: no value for node {arg[:12]}", ""))
        key = f"load-{digest}"
        if key not in loads:
            load_nodes[key] = arg
            if scheduler.in_process:
                loads[key] = task(key, load_object, Literal(engine.store), Literal(digest), Literal(arg))
            else:  # loaded here, then one data node of the graph
                outcome = load_object(engine.store, digest, arg)
                if isinstance(outcome, Failed):
                    engine.unreadable_input(arg, outcome.message)
                elif isinstance(outcome, Ok):
                    outcome = Ok(portable(outcome.value), 0.0)
                loads[key] = data(key, Literal(outcome))
        return ref(key)

    modules = modules_of(engine.registry)
    fusion = Fusion(nodes, engine.registry, lambda nid: held_scalar(engine, nid))
    groups = fusion.groups(runnable, in_stage) if len(runnable) > 1 else [runnable]
    chunk_of: dict[NodeId, str] = {}  # member -> its chunk's key (fused nodes only)
    members: dict[str, list[NodeId]] = {}  # chunk key -> its nodes, in order
    for group in groups:
        if len(group) > 1:
            key = f"fused-{group[0]}"
            members[key] = group
            for nid in group:
                chunk_of[nid] = key

    def key_of(nid: NodeId) -> str:
        return chunk_of.get(nid, nid)

    def call_of(nid: NodeId, op: str, primitive: Any, picks: tuple[NodeId | None, ...] | None) -> Call:
        node = nodes[nid]
        if scheduler.in_process:
            return Call(nid, op, where_of(node), primitive=primitive, picks=picks)
        return Call(nid, op, where_of(node), modules=modules, picks=picks)

    def primitive_of(nid: NodeId, key: str) -> Any:
        """The node's primitive; None (and the node failed, a literal outcome in the graph) if unknown."""
        node = nodes[nid]
        d = node.definition
        assert isinstance(d, Apply)
        try:
            return engine.registry.get(d.op)
        except KeyError:
            where = where_of(node)
            message = f"unknown primitive {d.op}"
            engine.mark_failed(node, f"{where}: error: {message}" if where else f"error: {message}")
            dsk[key] = data(key, Literal(Failed(message, "")))  # a literal outcome: dependents skip
            return None

    for group in groups:
        if len(group) == 1:
            nid = group[0]
            primitive = primitive_of(nid, nid)
            if primitive is None:
                continue
            d = nodes[nid].definition
            assert isinstance(d, Apply)
            args = [argument(a) for a in d.args]
            picks = tuple(a if a in chunk_of else None for a in d.args)
            call = call_of(nid, d.op, primitive, picks if any(picks) else None)
            dsk[nid] = task(nid, evaluate, Literal(call), Literal(cancel), *args)
            continue
        key = chunk_of[group[0]]
        position = {nid: i for i, nid in enumerate(group)}
        inputs: dict[str, int] = {}  # key of another task -> its index among the chunk's inputs
        refs: list[Any] = []
        steps: list[Step] = []
        for nid in group:
            d = nodes[nid].definition
            assert isinstance(d, Apply)
            primitive = engine.registry.get(d.op)  # a fused node's primitive is known (Fusion)
            sources: list[tuple[Any, ...]] = []
            for a in d.args:
                if a in position:
                    sources.append((LOCAL, position[a]))
                    continue
                arg = argument(a)
                if isinstance(arg, Literal):
                    sources.append((GIVEN, arg.value))
                    continue
                arg_key = str(arg.key) if hasattr(arg, "key") else str(arg)
                if arg_key not in inputs:
                    inputs[arg_key] = len(refs)
                    refs.append(arg)
                sources.append((INPUT, inputs[arg_key], a if a in chunk_of else None))
            steps.append(Step(call_of(nid, d.op, primitive, None), tuple(sources)))
        dsk[key] = task(key, evaluate_chunk, Literal(tuple(steps)), Literal(cancel), *refs)
    dsk.update(loads)
    keys = list(dict.fromkeys(key_of(n) for n in runnable))
    sinks: list[str] = [k for k in keys if k not in used]
    kept_keys = {key_of(nid) for nid in keep & in_stage}
    forget: set[str] = {k for k in sinks if k not in kept_keys}

    def on_start(key: str) -> None:
        if key in in_stage:
            engine.progress.pretask(NodeId(key), nodes[NodeId(key)].label)
        elif key in members:
            first = members[key][0]
            engine.progress.pretask(first, nodes[first].label)

    def on_done(key: str, outcome: Any) -> None:
        if key in members:
            for nid in members[key]:
                engine.record(nodes[nid], outcome[nid])
        elif key in in_stage:
            engine.record(nodes[NodeId(key)], outcome)
        else:
            if key in load_nodes and isinstance(outcome, Failed):
                engine.unreadable_input(load_nodes[key], outcome.message)
            return
        engine.check_cancel()

    # A stage that is one chain has nothing to run in parallel: the synchronous scheduler runs
    # it without a thread hop per task (the same tasks, callbacks and outcomes).
    chain = scheduler.in_process and _is_chain(nodes, runnable, in_stage)
    # Large stages hand ready tasks to the pool a few at a time: a thread hop per tiny task
    # costs more than the task, and with thousands of tasks the tail imbalance (at most
    # CHUNK - 1 tasks on one worker) is negligible. Small stages keep perfect balance.
    chunksize = CHUNK if len(keys) >= 64 * scheduler.workers else 1
    results = scheduler.run(
        dsk, sinks, on_start, on_done, sequential=chain, forget=forget, chunksize=chunksize
    )
    for nid in keep & in_stage:
        outcome = results.get(key_of(nid))
        if nid in chunk_of and isinstance(outcome, dict):
            outcome = outcome.get(nid)
        if isinstance(outcome, Ok):
            engine.held[nid] = outcome.value


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


def _is_chain(nodes: Mapping[NodeId, PlanNode], runnable: list[NodeId], in_stage: set[NodeId]) -> bool:
    """True when each node needs at most one other node of the stage and feeds at most one."""
    fed: set[NodeId] = set()
    roots = 0
    for nid in runnable:
        deps = {a for a in nodes[nid].args if a in in_stage}
        if len(deps) > 1:
            return False
        if not deps:
            roots += 1
            if roots > 1:
                return False
        for dep in deps:
            if dep in fed:
                return False
            fed.add(dep)
    return True


def modules_of(registry: Registry) -> tuple[tuple[str, str], ...] | None:
    """How a worker process rebuilds `registry`: None for the built-in one, else its modules."""
    if registry is default_registry():
        return None
    modules: dict[str, str] = getattr(registry, "_modules", {})
    return tuple(sorted(modules.items()))
