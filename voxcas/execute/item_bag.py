"""Loop items as a bag of tasks: each missing item's own nodes are evaluated, in order, by one task.

`loops.run_loop` hands each batch of items (their result ids, over the items' sub-workplans) to
`satisfy_items`. After the usual top-down lookup (stored items and stored nodes inside items are
reused, as everywhere), the missing nodes are split by *owner*:

- a node needed by two or more items (a loop-invariant sub-expression, two equal items) is
  *shared*: the shared nodes are computed first, once, by the run's ordinary stages (the
  `satisfy` of the run context), and their values held in memory for the items;
- every other missing node belongs to exactly one item. An item's own nodes become a list of
  steps (`tasks.Step`, dependencies first), and the items are cut into partitions, one Dask task
  each, `evaluate_items(items)`, keyed `item-<the item>-<its result id>` (`voxcas.execute.keys`,
  so the dashboard names the case each task works on), run on the run's scheduler (threads,
  processes or a distributed cluster). Arguments from outside the item (constants, held values,
  the shared results, stored inputs loaded once here) travel inside the item, as outcomes known
  when the graph is built (the run's placement decides how: `voxcas.execute.placement`).

Every node inside an item still has its own outcome: when tasks run in this process, each
node's value goes to the writer the moment it is computed (a killed run keeps the finished part
of an item); as each partition finishes, the run state counts and reports the nodes one by one
(and, for processes and clusters, stores them), records a failure against its node (with its source
position) and skips only what depends on it. Memory stays bounded by the batch, as before:
`loops` decides how many items are in flight.

The bag is used when it pays: when the batch has at least two items per worker (so the bag keeps
every worker busy) and no item contains a loop of its own or an unknown primitive. Otherwise the
batch runs as the ordinary per-node graph (the context's `satisfy`): a few large items then still
run their independent branches in parallel, and nested loops are expanded on the client.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voxcas.execute.context import Nodes, RunContext
from voxcas.execute.fusion import Fusion
from voxcas.execute.graph import task
from voxcas.execute.inputs import held_scalar, known_outcome, stored_digest
from voxcas.execute.keys import item_key
from voxcas.execute.provenance import record_arguments
from voxcas.execute.tasks import (
    GIVEN,
    LOCAL,
    Failed,
    Literal,
    Outcome,
    Step,
    evaluate_chunk,
)
from voxcas.execute.worker_store import StoredInput, Unreadable, fetch_inputs, persist_outcome
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Apply, Closure

PARTITIONS_PER_WORKER = 4  # partitions per worker when every item is cheap: balance against overhead


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One loop item's own nodes, as steps; tokenized by Dask by its result id, not its content."""

    root: NodeId
    steps: tuple[Step, ...]
    cancel: threading.Event | None = None
    persist: Callable[[NodeId, Any, float], None] | None = None  # in-process: the run's writer
    label: Any = None  # the item itself, when it is a scalar (a path, a number): names its task
    tier: str | None = None  # a shared blob directory: the worker persists the item's values there

    def __dask_tokenize__(self) -> str:
        return self.root

    def __reduce__(self) -> tuple[Any, ...]:  # the cancel event and the writer stay in this process
        return (ItemSpec, (self.root, self.steps, None, None, None, self.tier))


ItemOutcomes = dict[NodeId, Outcome | Unreadable]


def evaluate_item(item: ItemSpec, cache: dict[Digest, Outcome] | None = None) -> ItemOutcomes:
    """Every outcome of one item's nodes, by node id; never raises. In this process each node's
    value goes to the writer as soon as it is computed, not when the item ends. With a shared
    tier, stored inputs are read from it here (once per digest of `cache`), each value is
    persisted there and only its rows to index are returned, and a stored input that could not
    be read is returned as `Unreadable` under its node."""
    if item.tier is None:
        return dict(evaluate_chunk(item.steps, item.cancel, persist=item.persist))
    steps, unreadable = fetch_inputs(item.steps, {} if cache is None else cache)
    where = Literal(item.tier)
    outcomes: ItemOutcomes = {
        nid: persist_outcome(outcome, where) for nid, outcome in evaluate_chunk(steps, item.cancel).items()
    }
    outcomes.update(unreadable)
    return outcomes


def evaluate_items(items: tuple[ItemSpec, ...] | Literal) -> list[ItemOutcomes]:
    """The task of one partition: `evaluate_item` of each of its items, in order."""
    specs: tuple[ItemSpec, ...] = items.value if isinstance(items, Literal) else items
    cache: dict[Digest, Outcome] = {}  # stored inputs the partition's items share, read once
    return [evaluate_item(item, cache) for item in specs]


def partition(items: Sequence[ItemSpec], npartitions: int) -> list[list[ItemSpec]]:
    """`items` cut into `npartitions` consecutive runs of nearly equal length (as dask.bag does)."""
    size, extra = divmod(len(items), npartitions)
    out: list[list[ItemSpec]] = []
    start = 0
    for i in range(npartitions):
        end = start + size + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return [p for p in out if p]


def satisfy_items(
    ctx: RunContext, nodes: Nodes, roots: list[NodeId], labels: Mapping[NodeId, Any] | None = None
) -> None:
    """Make every item result in `roots` stored, held, failed or skipped (see the module docstring);
    `labels` maps an item's result id to the item, which names the item's task."""
    state = ctx.state
    reused_before = state.reused
    remaining = ctx.lookup.missing(nodes, roots)
    ctx.progress.grow(0, state.reused - reused_before)
    work = [n for n in remaining if not isinstance(nodes[n].definition, Closure)]
    if not work:
        return
    owners = _owners(ctx, nodes, roots, work)
    if owners is None:
        ctx.satisfy(nodes, roots)
        return
    shared = [n for n in work if n not in owners]
    if shared:
        with state.keeping(shared):
            ctx.satisfy(nodes, shared)
    items = _item_specs(ctx, nodes, [n for n in work if n in owners], owners, labels or {})
    state.release(shared)
    if items is None:  # a stored input could not be read: forget it and recompute
        state.forget_unreadable()
        ctx.satisfy(nodes, roots)
        return
    ctx.progress.grow(sum(len(item.steps) for item in items), 0)
    fusion = Fusion(nodes, ctx.registry, lambda nid: held_scalar(state, nid))
    light = all(fusion.is_cheap(n) for n in owners)
    _run_bag(ctx, nodes, items, light)


def _owners(
    ctx: RunContext, nodes: Nodes, roots: list[NodeId], work: list[NodeId]
) -> dict[NodeId, NodeId] | None:
    """Each missing node's item (shared nodes absent); None when the batch should not be a bag."""
    in_work = set(work)
    items = [r for r in dict.fromkeys(roots) if r in in_work]
    workers = ctx.options.workers or os.cpu_count() or 1
    if len(items) < 2 * workers:
        return None
    for nid in work:
        d = nodes[nid].definition
        if not isinstance(d, Apply) or ctx.registry.find(d.op) is None:
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
    ctx: RunContext,
    nodes: Nodes,
    own: list[NodeId],
    owners: dict[NodeId, NodeId],
    labels: Mapping[NodeId, Any],
) -> list[ItemSpec] | None:
    """The items' steps, dependencies first; None if a stored input turned out unreadable."""
    state, placement = ctx.state, ctx.placement
    cancel = placement.task_cancel
    loaded: dict[Digest, Outcome | StoredInput] = {}
    persist = placement.item_persist(nodes)
    record_arguments(ctx.store, nodes, own)

    def given(arg: NodeId) -> Outcome | StoredInput:
        known = known_outcome(state, nodes, arg)
        if known is not None:
            return placement.item_outcome(known)
        digest = stored_digest(state, nodes, arg)
        if digest is None:
            return Failed(f"error: internal: no value for node {arg[:12]}", "")
        if digest not in loaded:
            loaded[digest] = placement.item_load(arg, digest)
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
            steps.append(Step(placement.call(node, ctx.registry.get(d.op)), sources))
        specs.append(ItemSpec(root, tuple(steps), cancel, persist, labels.get(root), placement.item_tier))
    return None if state.unreadable else specs


def _run_bag(ctx: RunContext, nodes: Nodes, items: list[ItemSpec], light: bool) -> None:
    """Run the items as tasks: a few partitions per worker when every node is cheap scalar work,
    else one item per partition (an item's values are held until its partition is handed back)."""
    state = ctx.state
    scheduler = ctx.placement.scheduler
    persisted = items[0].persist is not None  # the items' values already went to the writer
    partitions = min(len(items), PARTITIONS_PER_WORKER * scheduler.workers) if light else len(items)
    graph: dict[str, Any] = {}
    for part in partition(items, partitions):
        key = item_key(part[0].label, part[0].root)
        graph[key] = task(key, evaluate_items, Literal(tuple(part)))
    keys = list(graph)

    def on_start(key: Any) -> None:
        pass

    def on_done(key: Any, outcomes: Any) -> None:
        for item in outcomes:
            for nid, outcome in item.items():
                if isinstance(outcome, Unreadable):  # forgotten and recomputed by the engine's walk
                    state.unreadable_input(nid, outcome.message)
                else:
                    state.record(nodes[nid], outcome, persisted=persisted)
        state.check_cancel()

    scheduler.run(graph, keys, on_start, on_done, forget=set(keys), cancel=ctx.options.cancel)
