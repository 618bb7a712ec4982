"""Loops: `for`, `filter` and `map` over a sequence, item by item, each item stored on its own.

A loop node is `Apply(default.for|filter|map, (closure, sequence))` in either argument order;
the engine runs it itself (`run_loop`), between stages, once its sequence and the closure's captures are
available. For each item:

1. the item becomes a parameter node, `param_node(item, digest)`: a constant for scalars (a
   path from `dir()`, an integer from `range`), a `ValueRef` to the stored object otherwise
   (an image of a dataset, loaded once here and held in memory while its item is in flight;
   with a shared blob tier, not loaded here at all: the worker reads it by digest);
2. `instantiate(closure, [param])` gives the item's sub-workplan and its result id. Ids depend
   on the item's *value*, not its index, so adding one file to a dataset leaves every other
   item's ids unchanged;
3. the items of a batch (`RunOptions.loop_batch`) are satisfied together
   (`item_bag.satisfy_items`): one bulk lookup of their result ids, then the missing items run
   as a bag of tasks, one per item (or per few items, when all their nodes are cheap scalar
   work), each node inside an item still stored, counted and reported on its own. Nodes
   that several items need are computed once, first. A batch of only a few items, or one whose
   items hold loops of their own, runs instead through the context's `satisfy`, one Dask graph
   of its nodes per stage (a few large items then still run their independent branches in
   parallel; a loop inside the body is expanded the same way, on the client, so nested loops
   never nest Dask computations).
   Memory stays bounded by one batch: at most `loop_batch` scalar items (paths, numbers), and
   at most max(4, 2 × workers) object items (images), which are held while their batch runs.
4. `for`/`map` read their items' digests once, after the last batch (one wait for the writer,
   not one per batch); `filter` reads each batch's predicates when the batch ends.

Bounds: a loop over more than `MAX_LOOP_ITEMS` items fails at once, naming the count and the
limit; cancel and the time limit are checked before every item.

The loop's value is a sequence object of the item results' digests (`StoredSequence`, stored
without copying its items); `filter` keeps the digests of the items whose predicate is true.
A failing item is recorded (with its source position inside the body); the other items still
finish and are stored; the loop node itself is then skipped, and so are its dependents.
"""

from __future__ import annotations

import os
import time
from collections import ChainMap
from collections.abc import Callable, Sequence
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.execute.context import Nodes, RunContext
from voxcas.execute.item_bag import satisfy_items
from voxcas.execute.keys import where_of
from voxcas.execute.options import Failure
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import RUNTIME_READ, Apply, Closure, Const, PlanNode, ValueRef
from voxcas.store.base import StoredObject, StoredSequence
from voxcas.values import kind_of

MAX_LOOP_ITEMS = 1_000_000  # items one loop may run over (`for i in range(0, 10^9)` is refused)


def _split(nodes: Nodes, loop: PlanNode) -> tuple[NodeId, NodeId]:
    d = loop.definition
    assert isinstance(d, Apply) and len(d.args) == 2
    a, b = d.args
    if isinstance(nodes[a].definition, Closure):
        return a, b
    return b, a


class _Items:
    """Random access to a loop's items and, when needed, their digests (loaded lazily)."""

    def __init__(self, ctx: RunContext, nodes: Nodes, seq: NodeId) -> None:
        self.store = ctx.store
        state = ctx.state
        d = nodes[seq].definition
        self.values: Sequence[Any] | None = None
        self._stored: StoredSequence | None = None
        self._seq_digest: Digest | None = None
        if isinstance(d, Const):
            value: Any = d.value
        elif seq in state.held:
            value = state.held[seq]
            self._seq_digest = state.digest_of(seq)
        else:
            digest = d.digest if isinstance(d, ValueRef) else state.digest_of(seq)
            value = ctx.store.get(digest) if digest is not None else None
        if isinstance(value, StoredSequence):
            self._stored = value
        elif kind_of(value) != "sequence":
            raise TypeError(f"expected a sequence to loop over, got {kind_of(value)}")
        self.values = value

    def __len__(self) -> int:
        assert self.values is not None
        return len(self.values)

    def item(self, i: int) -> Any:
        assert self.values is not None
        return self.values[i]

    def stored_object(self, i: int) -> StoredObject | None:
        """Item i, not loaded, when it is a stored object other than a scalar (an image of a
        dataset): what a run whose workers read the blob tier hands on; else None."""
        if self._stored is None:
            return None
        digest = self._stored.digests[i]
        info = self.store.object_info(digest)
        if info is None or info.kind == "scalar":
            return None
        return StoredObject(digest)

    def digest(self, i: int) -> Digest | None:
        """The stored digest of item i (None while the sequence exists only in memory)."""
        if self._stored is None and self._seq_digest is not None:
            stored = self.store.get(self._seq_digest)
            if isinstance(stored, StoredSequence):
                self._stored = stored
        return self._stored.digests[i] if self._stored is not None else None


def run_loop(ctx: RunContext, nodes: Nodes, loop_id: NodeId) -> None:
    """Run one loop node whose sequence and captures are available (see the module docstring)."""
    from voxcas.plan.template import LoopContents, instantiate, param_node

    state = ctx.state
    loop = nodes[loop_id]
    op = loop.definition.op if isinstance(loop.definition, Apply) else "loop"
    closure_id, seq_id = _split(nodes, loop)
    closure = nodes[closure_id].definition
    assert isinstance(closure, Closure)
    if seq_id in state.bad or any(c in state.bad for c in closure.captures):
        state.mark_skipped(loop)
        return
    where = where_of(loop)

    def fail(message: str) -> None:
        state.mark_failed(loop, f"{where}: error: {op}: {message}" if where else f"error: {op}: {message}")

    def item_failed(error: BaseException) -> None:
        """An item that could not even be set up (unreadable item, missing input file): recorded
        against the loop node and the run."""
        import traceback

        message = f"{where}: error: {op}: {error}" if where else f"error: {op}: {error}"
        state.record_failure(loop, message, traceback.format_exc())
        state.add_failure(Failure(loop.id, op, where, message))

    started = time.perf_counter()
    try:
        items = _Items(ctx, nodes, seq_id)
    except TypeError as error:
        fail(str(error))
        return
    except (CorruptObjectError, ObjectNotFoundError) as error:  # recomputed by the engine
        state.unreadable_input(seq_id, f"error: cannot read the stored value of node {seq_id[:12]}: {error}")
        state.mark_skipped(loop)
        return
    if len(items) > MAX_LOOP_ITEMS:  # its result alone would be a list of that many digests
        fail(f"the sequence has {len(items):,} items, over the limit of {MAX_LOOP_ITEMS:,} per loop")
        return
    # what the items read must be what the loop's id was made with (voxcas.plan.template)
    expected = loop.definition.fingerprint if isinstance(loop.definition, Apply) else None
    contents = LoopContents() if expected is not None and expected != RUNTIME_READ else None
    keep_filter = op == "default.filter"
    out: list[Digest | None] = []
    uncommitted: list[tuple[int, NodeId]] = []  # (position in out, item result) awaiting a commit
    any_failed = False
    batch = ctx.options.loop_batch
    lazy = ctx.placement.item_tier is not None
    # items that are objects (images of a dataset) are held in memory while their batch runs, so
    # their batches are small: a few per worker; scalar items (paths, numbers) cost nothing
    object_batch = min(batch, max(4, 2 * (ctx.options.workers or os.cpu_count() or 1)))
    first = 0
    ctx.progress.items(len(items))
    while first < len(items):
        state.check_cancel()
        sub: dict[NodeId, PlanNode] = {}
        results: list[NodeId | None] = []
        values: list[Any] = []
        params: list[PlanNode] = []
        labels: dict[NodeId, Any] = {}
        objects = 0
        i = first
        while i < len(items) and len(results) < batch and objects < object_batch:
            state.check_cancel()  # between items too: an item's body may be large to instantiate
            try:
                # with a shared blob tier, a stored image item is read by the worker, not here
                value = (items.stored_object(i) if lazy else None) or items.item(i)
            except (CorruptObjectError, ObjectNotFoundError) as error:  # a damaged dataset item
                item_failed(error)
                any_failed = True
                results.append(None)
                values.append(None)
                params.append(loop)
                i += 1
                continue
            scalar = isinstance(value, bool | int | float | str)  # what param_node makes a Const
            objects += 0 if scalar else 1
            digest = None if scalar else items.digest(i)
            i += 1
            if not scalar and digest is None:
                digest = _put_values(ctx, [value])[0]
            try:
                param = param_node(value, digest)
                body, result = instantiate(
                    closure, [param], registry=ctx.registry, fingerprints=ctx.fingerprints, context=nodes
                )
            except Exception as error:
                if contents is not None:
                    contents.failed(str(error))
                item_failed(error)
                any_failed = True
                results.append(None)
                values.append(value)
                params.append(loop)
                continue
            if contents is not None:
                contents.item(result)
            if isinstance(param.definition, ValueRef) and not isinstance(value, StoredObject):
                state.hold(param.id, value)
            sub[param.id] = param
            for node in body:
                sub[node.id] = node
            # reads at paths only this run computes (voxcas.plan.volatile): never looked up
            context: Nodes = ChainMap(sub, nodes)  # type: ignore[arg-type]
            state.find_volatile({n.id: n for n in body}, ctx.registry, context)
            results.append(result)
            values.append(value)
            params.append(param)
            labels[result] = value if scalar else None
        view: Nodes = ChainMap(sub, nodes)  # type: ignore[arg-type]
        satisfy_items(ctx, view, [r for r in results if r is not None], labels)
        if keep_filter:  # predicates are read back now; `for`/`map` digests once, at the end
            state.flush()
        for res, value, param, index in zip(
            results, values, params, range(first, first + len(results)), strict=True
        ):
            if res is None or res in state.bad:
                any_failed = True
                out.append(None)
                continue
            if keep_filter:
                keep = _value(ctx, view, res)
                if kind_of(keep) != "bool":
                    fail(f"the predicate must give a boolean, got {kind_of(keep)} for item {index}")
                    state.release(p.id for p in params)
                    return
                if bool(keep):
                    out.append(items.digest(index) or _item_digest(ctx, param, value))
            elif isinstance(view[res].definition, Apply) and res not in state.held:
                uncommitted.append((len(out), res))  # its digest is known once the writer commits
                out.append(None)
            else:
                out.append(_result_digest(ctx, view, res))
        state.release(p.id for p in params)
        ctx.progress.items_done(i - first, values[-1] if values else None)
        first = i
    if uncommitted:
        state.flush()
        for position, res in uncommitted:
            digest = state.digest_of(res)
            if digest is None:  # the store refused the value (recorded as a failure by the flush)
                any_failed = True
            out[position] = digest
    if any_failed:
        state.mark_skipped(loop)
        return
    if contents is not None and contents.fingerprint != expected:
        fail("the files its items read changed while the run was using them; run again")
        return
    digests = [d for d in out if d is not None]
    state.mark_computed(loop, StoredSequence(ctx.store, digests), time.perf_counter() - started)


def _put_values(ctx: RunContext, values: list[Any]) -> list[Digest]:
    store = ctx.store
    put: Callable[[], list[Digest]] = lambda: [store.put(v) for v in values]  # noqa: E731
    result: list[Digest] = ctx.state.writer.call(put).result()
    return result


def _item_digest(ctx: RunContext, param: PlanNode, value: Any) -> Digest:
    if isinstance(param.definition, ValueRef):
        return param.definition.digest
    return _put_values(ctx, [value])[0]


def _value(ctx: RunContext, nodes: Nodes, node: NodeId) -> Any:
    state = ctx.state
    d = nodes[node].definition
    if isinstance(d, Const):
        return d.value
    if node in state.held:
        return state.held[node]
    digest = d.digest if isinstance(d, ValueRef) else state.digest_of(node)
    assert digest is not None, f"no value for {node}"
    return ctx.store.get(digest)


def _result_digest(ctx: RunContext, nodes: Nodes, node: NodeId) -> Digest:
    d = nodes[node].definition
    if isinstance(d, ValueRef):
        return d.digest
    digest = ctx.state.digest_of(node)
    if digest is not None:
        return digest
    return _put_values(ctx, [_value(ctx, nodes, node)])[0]
