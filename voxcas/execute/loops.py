"""Loops: `for`, `filter` and `map` over a sequence, item by item, each item stored on its own.

A loop node is `Apply(default.for|filter|map, (closure, sequence))` in either argument order;
the engine runs it itself, between stages, once its sequence and the closure's captures are
available. For each item:

1. the item becomes a parameter node, `param_node(item, digest)`: a constant for scalars (a
   path from `dir()`, an integer from `range`), a `ValueRef` to the stored object otherwise
   (an image of a dataset, loaded once here and held in memory while its item is in flight);
2. `instantiate(closure, [param])` gives the item's sub-workplan and its result id. Ids depend
   on the item's *value*, not its index, so adding one file to a dataset leaves every other
   item's ids unchanged;
3. the items of a batch (`RunOptions.loop_batch`) are satisfied together
   (`item_bag.satisfy_items`): one bulk lookup of their result ids, then the missing items run
   as a `dask.bag` map, one task per item (or per few items, when all their nodes are cheap
   scalar work), each node inside an item still stored, counted and reported on its own. Nodes
   that several items need are computed once, first. A batch of only a few items, or one whose
   items hold loops of their own, runs instead as one Dask graph of its nodes per stage (a few
   large items then still run their independent branches in parallel; a loop inside the body
   is expanded the same way, on the client, so nested loops never nest Dask computations).
   Memory stays bounded by one batch: at most `loop_batch` scalar items (paths, numbers), and
   at most max(4, 2 × workers) object items (images), which are held while their batch runs.
4. `for`/`map` read their items' digests once, after the last batch (one wait for the writer,
   not one per batch); `filter` reads each batch's predicates when the batch ends.

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
from typing import TYPE_CHECKING, Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.execute.item_bag import satisfy_items
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import RUNTIME_READ, Apply, Closure, Const, PlanNode, ValueRef
from voxcas.plan.volatile import volatile_nodes
from voxcas.store.base import StoredSequence
from voxcas.values import kind_of

if TYPE_CHECKING:
    from voxcas.execute.engine import Engine, Nodes


def _split(nodes: Nodes, loop: PlanNode) -> tuple[NodeId, NodeId]:
    d = loop.definition
    assert isinstance(d, Apply) and len(d.args) == 2
    a, b = d.args
    if isinstance(nodes[a].definition, Closure):
        return a, b
    return b, a


class _Items:
    """Random access to a loop's items and, when needed, their digests (loaded lazily)."""

    def __init__(self, engine: Engine, nodes: Nodes, seq: NodeId) -> None:
        self.engine = engine
        d = nodes[seq].definition
        self.values: Sequence[Any] | None = None
        self._stored: StoredSequence | None = None
        self._seq_digest: Digest | None = None
        if isinstance(d, Const):
            value: Any = d.value
        elif seq in engine.held:
            value = engine.held[seq]
            self._seq_digest = engine.digest_of(seq)
        else:
            digest = d.digest if isinstance(d, ValueRef) else engine.digest_of(seq)
            value = engine.store.get(digest) if digest is not None else None
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

    def digest(self, i: int) -> Digest | None:
        """The stored digest of item i (None while the sequence exists only in memory)."""
        if self._stored is None and self._seq_digest is not None:
            stored = self.engine.store.get(self._seq_digest)
            if isinstance(stored, StoredSequence):
                self._stored = stored
        return self._stored.digests[i] if self._stored is not None else None


def run_loop(engine: Engine, nodes: Nodes, loop_id: NodeId) -> None:
    from voxcas.execute.engine import where_of
    from voxcas.plan.template import LoopContents, instantiate, param_node

    loop = nodes[loop_id]
    op = loop.definition.op if isinstance(loop.definition, Apply) else "loop"
    closure_id, seq_id = _split(nodes, loop)
    closure = nodes[closure_id].definition
    assert isinstance(closure, Closure)
    if seq_id in engine.bad or any(c in engine.bad for c in closure.captures):
        engine.mark_skipped(loop)
        return
    where = where_of(loop)

    def fail(message: str) -> None:
        engine.mark_failed(loop, f"{where}: error: {op}: {message}" if where else f"error: {op}: {message}")

    started = time.perf_counter()
    try:
        items = _Items(engine, nodes, seq_id)
    except TypeError as error:
        fail(str(error))
        return
    except (CorruptObjectError, ObjectNotFoundError) as error:  # recomputed by the engine
        engine.unreadable_input(seq_id, f"error: cannot read the stored value of node {seq_id[:12]}: {error}")
        engine.mark_skipped(loop)
        return
    # what the items read must be what the loop's id was made with (voxcas.plan.template)
    expected = loop.definition.fingerprint if isinstance(loop.definition, Apply) else None
    contents = LoopContents() if expected is not None and expected != RUNTIME_READ else None
    keep_filter = op == "default.filter"
    out: list[Digest | None] = []
    uncommitted: list[tuple[int, NodeId]] = []  # (position in out, item result) awaiting a commit
    any_failed = False
    batch = engine.options.loop_batch
    # items that are objects (images of a dataset) are held in memory while their batch runs, so
    # their batches are small: a few per worker; scalar items (paths, numbers) cost nothing
    object_batch = min(batch, max(4, 2 * (engine.options.workers or os.cpu_count() or 1)))
    first = 0
    while first < len(items):
        engine.check_cancel()
        sub: dict[NodeId, PlanNode] = {}
        results: list[NodeId | None] = []
        values: list[Any] = []
        params: list[PlanNode] = []
        objects = 0
        i = first
        while i < len(items) and len(results) < batch and objects < object_batch:
            try:
                value = items.item(i)
            except (CorruptObjectError, ObjectNotFoundError) as error:  # a damaged dataset item
                value = None
                engine.failures.append(_item_failure(engine, loop, where, op, error))
                any_failed = True
                results.append(None)
                values.append(value)
                params.append(loop)
                i += 1
                continue
            scalar = isinstance(value, bool | int | float | str)  # what param_node makes a Const
            objects += 0 if scalar else 1
            digest = None if scalar else items.digest(i)
            i += 1
            if not scalar and digest is None:
                digest = _put_values(engine, [value])[0]
            try:
                param = param_node(value, digest)
                body, result = instantiate(
                    closure,
                    [param],
                    registry=engine.registry,
                    fingerprints=engine.fingerprints,
                    context=nodes,
                )
            except Exception as error:
                if contents is not None:
                    contents.failed(str(error))
                engine.failures.append(_item_failure(engine, loop, where, op, error))
                any_failed = True
                results.append(None)
                values.append(value)
                params.append(loop)
                continue
            if contents is not None:
                contents.item(result)
            if isinstance(param.definition, ValueRef):
                engine.held[param.id] = value
            sub[param.id] = param
            for node in body:
                sub[node.id] = node
            # reads at paths only this run computes (voxcas.plan.volatile): never looked up
            context: Nodes = ChainMap(sub, nodes)  # type: ignore[arg-type]
            volatile_nodes({n.id: n for n in body}, engine.registry, engine.volatile, context)
            results.append(result)
            values.append(value)
            params.append(param)
        view: Nodes = ChainMap(sub, nodes)  # type: ignore[arg-type]
        satisfy_items(engine, view, [r for r in results if r is not None])
        if keep_filter:  # predicates are read back now; `for`/`map` digests once, at the end
            engine.flush()
        for res, value, param, index in zip(
            results, values, params, range(first, first + len(results)), strict=True
        ):
            if res is None or res in engine.bad:
                any_failed = True
                out.append(None)
                continue
            if keep_filter:
                keep = _value(engine, view, res)
                if kind_of(keep) != "bool":
                    fail(f"the predicate must give a boolean, got {kind_of(keep)} for item {index}")
                    _release(engine, params)
                    return
                if bool(keep):
                    out.append(items.digest(index) or _item_digest(engine, param, value))
            elif isinstance(view[res].definition, Apply) and res not in engine.held:
                uncommitted.append((len(out), res))  # its digest is known once the writer commits
                out.append(None)
            else:
                out.append(_result_digest(engine, view, res))
        _release(engine, params)
        first = i
    if uncommitted:
        engine.flush()
        for position, res in uncommitted:
            digest = engine.digest_of(res)
            if digest is None:  # the store refused the value (recorded as a failure by the flush)
                any_failed = True
            out[position] = digest
    if any_failed:
        engine.mark_skipped(loop)
        return
    if contents is not None and contents.fingerprint != expected:
        fail("the files its items read changed while the run was using them; run again")
        return
    digests = [d for d in out if d is not None]
    engine.mark_computed(loop, StoredSequence(engine.store, digests), time.perf_counter() - started)


def _release(engine: Engine, params: list[PlanNode]) -> None:
    for param in params:
        engine.held.pop(param.id, None)


def _item_failure(engine: Engine, loop: PlanNode, where: str | None, op: str, error: BaseException) -> Any:
    """An item that could not even be set up (unreadable item, missing input file): recorded
    against the loop node and the run."""
    import traceback

    from voxcas.execute.options import Failure

    message = f"{where}: error: {op}: {error}" if where else f"error: {op}: {error}"
    engine.writer.fail(loop, message, traceback.format_exc())
    return Failure(loop.id, op, where, message)


def _put_values(engine: Engine, values: list[Any]) -> list[Digest]:
    store = engine.store
    put: Callable[[], list[Digest]] = lambda: [store.put(v) for v in values]  # noqa: E731
    result: list[Digest] = engine.writer.call(put).result()
    return result


def _item_digest(engine: Engine, param: PlanNode, value: Any) -> Digest:
    if isinstance(param.definition, ValueRef):
        return param.definition.digest
    return _put_values(engine, [value])[0]


def _value(engine: Engine, nodes: Nodes, node: NodeId) -> Any:
    d = nodes[node].definition
    if isinstance(d, Const):
        return d.value
    if node in engine.held:
        return engine.held[node]
    digest = d.digest if isinstance(d, ValueRef) else engine.digest_of(node)
    assert digest is not None, f"no value for {node}"
    return engine.store.get(digest)


def _result_digest(engine: Engine, nodes: Nodes, node: NodeId) -> Digest:
    d = nodes[node].definition
    if isinstance(d, ValueRef):
        return d.digest
    digest = engine.digest_of(node)
    if digest is not None:
        return digest
    return _put_values(engine, [_value(engine, nodes, node)])[0]
