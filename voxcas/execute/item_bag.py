"""Loop items as a `dask.bag` map: each missing item's own nodes are evaluated, in order, by one task.

`loops.run_loop` hands each batch of items (their result ids, over the items' sub-workplans) to
`satisfy_items`. After the usual top-down lookup (stored items and stored nodes inside items are
reused, as everywhere), the missing nodes are split by *owner*:

- a node needed by two or more items (a loop-invariant sub-expression, two equal items) is
  *shared*: the shared nodes are computed first, once, by the engine's ordinary stages, and their
  values held in memory for the items;
- every other missing node belongs to exactly one item. An item's own nodes become a list of
  steps (`tasks.Step`, dependencies first), and the items become a bag,
  `dask.bag.from_sequence(items, npartitions=…).map(evaluate_item)`, run on the run's scheduler
  (threads, processes or a distributed cluster). Arguments from outside the item (constants,
  held values, the shared results, stored inputs loaded once here) travel inside the item, as
  outcomes known when the bag is built.

Every node inside an item still has its own outcome: when tasks run in this process, each
node's value goes to the writer the moment it is computed (a killed run keeps the finished part
of an item); as each partition finishes, the engine counts and reports the nodes one by one (and,
for processes and clusters, stores them), records a failure against its node (with its source
position) and skips only what depends on it. Memory stays bounded by the batch, as before:
`loops` decides how many items are in flight.

The bag is used when it pays: when the batch has at least two items per worker (so the bag keeps
every worker busy) and no item contains a loop of its own or an unknown primitive. Otherwise the
batch runs as the ordinary per-node graph (`Engine.satisfy`): a few large items then still run
their independent branches in parallel, and nested loops are expanded on the client.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voxcas.execute.fusion import Fusion
from voxcas.execute.stage import given_outcome, held_scalar, load_here, modules_of, stored_digest
from voxcas.execute.tasks import (
    GIVEN,
    LOCAL,
    Call,
    Failed,
    Outcome,
    Step,
    checking_cache,
    evaluate_chunk,
    read_check,
)
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Apply, Closure, PlanNode

if TYPE_CHECKING:
    from voxcas.execute.engine import Engine

PARTITIONS_PER_WORKER = 4  # bag partitions per worker: balance against per-task overhead


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One loop item's own nodes, as steps; tokenized by Dask by its result id, not its content."""

    root: NodeId
    steps: tuple[Step, ...]
    cancel: threading.Event | None = None
    persist: Callable[[NodeId, Any, float], None] | None = None  # in-process: the run's writer

    def __dask_tokenize__(self) -> str:
        return self.root

    def __reduce__(self) -> tuple[Any, ...]:  # the cancel event and the writer stay in this process
        return (ItemSpec, (self.root, self.steps))


def evaluate_item(item: ItemSpec) -> dict[NodeId, Outcome]:
    """The bag's map function: every outcome of one item's nodes, by node id; never raises. In this
    process each node's value goes to the writer as soon as it is computed, not when the item ends."""
    return evaluate_chunk(item.steps, item.cancel, persist=item.persist)


def satisfy_items(engine: Engine, nodes: Mapping[NodeId, PlanNode], roots: list[NodeId]) -> None:
    """Make every item result in `roots` stored, held, failed or skipped (see the module docstring)."""
    reused_before = engine.reused
    remaining = engine.missing(nodes, roots)
    engine.progress.grow(0, engine.reused - reused_before)
    work = [n for n in remaining if not isinstance(nodes[n].definition, Closure)]
    if not work:
        return
    owners = _owners(engine, nodes, roots, work)
    if owners is None:
        engine.satisfy(nodes, roots)
        return
    shared = [n for n in work if n not in owners]
    if shared:
        engine.keep_values.update(shared)
        try:
            engine.satisfy(nodes, shared)
        finally:
            engine.keep_values.difference_update(shared)
    items = _item_specs(engine, nodes, [n for n in work if n in owners], owners)
    for nid in shared:
        engine.held.pop(nid, None)
    if items is None:  # a stored input could not be read: the engine forgets it and recomputes
        for nid in list(engine.unreadable):
            engine.forget(nid)
        engine.unreadable.clear()
        engine.satisfy(nodes, roots)
        return
    engine.progress.grow(sum(len(item.steps) for item in items), 0)
    fusion = Fusion(nodes, engine.registry, lambda nid: held_scalar(engine, nid))
    light = all(fusion.is_cheap(n) for n in owners)
    _run_bag(engine, nodes, items, light)


def _owners(
    engine: Engine, nodes: Mapping[NodeId, PlanNode], roots: list[NodeId], work: list[NodeId]
) -> dict[NodeId, NodeId] | None:
    """Each missing node's item (shared nodes absent); None when the batch should not be a bag."""
    in_work = set(work)
    items = [r for r in dict.fromkeys(roots) if r in in_work]
    workers = engine.options.workers or os.cpu_count() or 1
    if len(items) < 2 * workers:
        return None
    for nid in work:
        d = nodes[nid].definition
        if not isinstance(d, Apply) or engine.registry.find(d.op) is None:
            return None
        if any(isinstance(nodes[a].definition, Closure) for a in d.args):  # loops, nested
            return None
    owner: dict[NodeId, NodeId] = {}
    shared: set[NodeId] = set()
    for root in items:
        stack = [root]
        while stack:
            nid = stack.pop()
            if nid not in in_work or nid in shared:
                continue
            first = owner.get(nid)
            if first is None:
                owner[nid] = root
                stack.extend(nodes[nid].args)
            elif first != root:  # reached from two items: it and everything below it are shared
                below = [nid]
                while below:
                    m = below.pop()
                    if m in in_work and m not in shared:
                        shared.add(m)
                        owner.pop(m, None)
                        below.extend(nodes[m].args)
    return owner


def _item_specs(
    engine: Engine, nodes: Mapping[NodeId, PlanNode], own: list[NodeId], owners: dict[NodeId, NodeId]
) -> list[ItemSpec] | None:
    """The items' steps, dependencies first; None if a stored input turned out unreadable."""
    from voxcas.execute.engine import where_of

    scheduler = engine.scheduler()
    modules = modules_of(engine.registry)
    cancel = engine.options.cancel if scheduler.in_process else None
    loaded: dict[Digest, Outcome] = {}
    persist = _persister(engine, nodes) if scheduler.in_process else None

    def given(arg: NodeId) -> Outcome:
        known: Outcome | None = given_outcome(engine, nodes, arg, here=scheduler.in_process)
        if known is not None:
            return known
        digest = stored_digest(engine, nodes, arg)
        if digest is None:
            return Failed(f"error: internal: no value for node {arg[:12]}", "")
        if digest not in loaded:
            loaded[digest] = load_here(engine, digest, arg, here=scheduler.in_process)
        return loaded[digest]

    by_item: dict[NodeId, list[NodeId]] = {}
    for nid in own:
        by_item.setdefault(owners[nid], []).append(nid)
    specs: list[ItemSpec] = []
    for root, members in by_item.items():
        position = {nid: i for i, nid in enumerate(members)}
        steps: list[Step] = []
        for nid in members:
            node = nodes[nid]
            d = node.definition
            assert isinstance(d, Apply)
            sources = tuple((LOCAL, position[a]) if a in position else (GIVEN, given(a)) for a in d.args)
            reads = read_check(d)
            if scheduler.in_process:
                cache = checking_cache(engine.store) if reads is not None else None
                prim = engine.registry.get(d.op)
                call = Call(nid, d.op, where_of(node), primitive=prim, reads=reads, fingerprints=cache)
            else:
                call = Call(nid, d.op, where_of(node), modules=modules, reads=reads)
            steps.append(Step(call, sources))
        specs.append(ItemSpec(root, tuple(steps), cancel, persist))
    return None if engine.unreadable else specs


def _persister(engine: Engine, nodes: Mapping[NodeId, PlanNode]) -> Callable[[NodeId, Any, float], None]:
    """Hands a value computed inside an item straight to the writer (thread-safe), from the pool."""
    writer = engine.writer
    cancel = engine.options.cancel

    def persist(nid: NodeId, value: Any, seconds: float) -> None:
        if not cancel.is_set():  # after a cancel, late results are dropped (the run is recorded)
            writer.put(nodes[nid], value, seconds)

    return persist


def _run_bag(engine: Engine, nodes: Mapping[NodeId, PlanNode], items: list[ItemSpec], light: bool) -> None:
    """Run the items as a bag: a few partitions per worker when every node is cheap scalar work,
    else one item per partition (an item's values are held until its partition is handed back)."""
    import dask.bag as db

    scheduler = engine.scheduler()
    partitions = min(len(items), PARTITIONS_PER_WORKER * scheduler.workers) if light else len(items)
    bag = db.from_sequence(items, npartitions=partitions).map(evaluate_item)  # type: ignore[no-untyped-call]
    keys = list(bag.__dask_keys__())
    mapped = set(keys)

    def on_start(key: Any) -> None:
        pass

    def on_done(key: Any, outcomes: Any) -> None:
        if key not in mapped:  # the partitions of the sequence itself
            return
        persisted = scheduler.in_process  # the items' values already went to the writer
        for item in outcomes:
            for nid, outcome in item.items():
                engine.record(nodes[nid], outcome, persisted=persisted)
        engine.check_cancel()

    graph = dict(bag.__dask_graph__())
    scheduler.run(graph, keys, on_start, on_done, forget=mapped, cancel=engine.options.cancel)
