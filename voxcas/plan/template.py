"""Closure instantiation: a loop body's template applied to concrete items becomes plan nodes.

The executor runs `for`/`filter`/`map` itself. For each item it calls `instantiate(closure,
[param_node(item, digest)])` and gets the item's sub-workplan with concrete ids: the same body
over the same item always yields the same ids, so each item's result is stored and reused on
its own. While instantiating, foldable primitives whose arguments are now constants are folded
(`concat($dir, "/", x)` becomes a constant path), and file-reading primitives whose paths are
now constants get their fingerprint (so editing one image of a dataset recomputes one item).
A missing file is an `InputFileError` naming the path and the body's source position.

**What a loop reads reaches its id.** A loop's id covers its sequence and its closure, but the
files its items read are fingerprinted only when the items are instantiated — so a stored loop
would be found by its id after one of those files changed, and its stale value printed. A loop
over a *constant* sequence (a folded `dir()` listing, a literal list) whose body reads files
therefore carries a contents fingerprint (`loop_fingerprint`): the digest of its items' result
ids, each of which covers the fingerprints of what that item reads (nested loops included, by the
same rule). The reducer computes it for top-level loops, `instantiate` for loops inside a body
once the item is known, and the executor re-derives it as it runs the loop (`LoopContents`): a
mismatch means an input changed while the run was using it, and the loop fails rather than
bind the new contents to the old id. A loop whose items read files at paths only the run can
compute gets `RUNTIME_READ` instead, and a loop over a sequence computed at run time whose body
reads files is volatile (`voxcas.plan.volatile`).
"""

from __future__ import annotations

import hashlib
from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import Any

from voxcas.errors import InputFileError
from voxcas.ids import Digest, NodeId
from voxcas.plan.fingerprint import (
    FileArgumentProblem,
    FingerprintCache,
    check_file_arguments,
    read_fingerprint,
)
from voxcas.plan.fold import const_value, to_const, try_fold
from voxcas.plan.identity import node_id
from voxcas.plan.loop_reads import Lookup, closure_reads_files, split_loop
from voxcas.plan.nodes import (
    LOOP_OPS,
    RUNTIME_READ,
    Apply,
    Closure,
    Const,
    Definition,
    PlanNode,
    TApply,
    TClosure,
    TConst,
    Template,
    TemplateNode,
    TemplateRef,
    ValueRef,
)
from voxcas.primitives.registry import Registry


def param_node(value: Any, digest: Digest | None = None) -> PlanNode:
    """A loop item as a node: a `Const` for int/float/bool/str, else a `ValueRef` to its stored digest."""
    const = to_const(value) if isinstance(value, bool | int | float | str) else None
    if const is not None:
        return PlanNode(node_id(const), const)
    if digest is None:
        raise ValueError(f"a loop item of kind {type(value).__name__} needs its store digest")
    ref = ValueRef(digest)
    return PlanNode(node_id(ref), ref)


def instantiate(
    closure: Closure,
    params: Sequence[PlanNode],
    *,
    registry: Registry | None = None,
    fingerprints: FingerprintCache | None = None,
    context: Mapping[NodeId, PlanNode] | None = None,
) -> tuple[list[PlanNode], NodeId]:
    """The body's nodes for these parameter nodes (dependencies first, the param nodes included)
    and the id of the result. `context` holds the nodes the closure captures (needed to find
    the closures of loops nested in the body; without it such loops carry no contents)."""
    outer: Lookup = (lambda nid: None) if context is None else _plan_lookup(context)
    return _instantiate(closure, params, registry, fingerprints, outer)


def _plan_lookup(nodes: Mapping[NodeId, PlanNode]) -> Lookup:
    def lookup(nid: NodeId) -> Definition | None:
        try:
            return nodes[nid].definition  # [] not get(): a cached plan completes itself on a miss
        except KeyError:
            return None

    return lookup


def _instantiate(
    closure: Closure,
    params: Sequence[PlanNode],
    registry: Registry | None,
    fingerprints: FingerprintCache | None,
    outer: Lookup,
) -> tuple[list[PlanNode], NodeId]:
    if len(params) != closure.params:
        raise ValueError(f"closure takes {closure.params} parameter(s), got {len(params)}")
    if registry is None:
        from voxcas.primitives.registry import default_registry

        registry = default_registry()
    out: list[PlanNode] = []
    seen: set[NodeId] = set()
    consts: dict[NodeId, Const] = {}
    defs: dict[NodeId, Definition] = {}

    def lookup(nid: NodeId) -> Definition | None:
        found = defs.get(nid)
        return found if found is not None else outer(nid)

    def emit(definition: Definition, span: Any) -> NodeId:
        nid = node_id(definition)
        if nid not in seen:
            seen.add(nid)
            out.append(PlanNode(nid, definition, span))
            defs[nid] = definition
        if isinstance(definition, Const):
            consts[nid] = definition
        return nid

    for p in params:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
            defs[p.id] = p.definition
        if isinstance(p.definition, Const):
            consts[p.id] = p.definition
    ids: list[NodeId] = []

    def resolve(ref: TemplateRef) -> NodeId:
        kind, i = ref
        if kind == "param":
            return params[i].id
        if kind == "capture":
            return closure.captures[i]
        return ids[i]

    for tnode in closure.body.nodes:
        if isinstance(tnode, TConst):
            ids.append(emit(Const(tnode.type, tnode.value), tnode.span))
        elif isinstance(tnode, TClosure):
            values: list[Const | NodeId] = []
            for c in tnode.captures:
                nid = resolve(c)
                values.append(consts.get(nid, nid))
            body, kept = specialise(tnode.body, values)
            ids.append(emit(Closure(tnode.params, body, tuple(kept)), tnode.span))  # type: ignore[arg-type]
        elif isinstance(tnode, TApply):
            args = [resolve(a) for a in tnode.args]
            ids.append(_apply(tnode, args, consts, registry, fingerprints, emit, lookup))
        else:  # pragma: no cover - exhaustive
            raise TypeError(tnode)
    return out, resolve(closure.body.result)


def _apply(
    tnode: TApply,
    args: list[NodeId],
    consts: dict[NodeId, Const],
    registry: Registry,
    fingerprints: FingerprintCache | None,
    emit: Any,
    lookup: Lookup,
) -> NodeId:
    prim = registry.find(tnode.op)
    fingerprint = None
    if tnode.op in LOOP_OPS:
        fingerprint = loop_fingerprint(args, lookup, registry, fingerprints)
    found = [consts.get(a) for a in args]
    arg_consts = [c for c in found if c is not None]
    if prim is not None and prim.reads_files:
        offset = 1 if prim.base_image else 0
        known = [c is not None for c in found[offset:]]
        values = [const_value(c) if c is not None else None for c in found[offset:]]
        try:
            check_file_arguments(prim, values, known)
            if len(arg_consts) == len(args):
                folded = try_fold(prim, arg_consts)
                if folded is not None:
                    return emit(folded, tnode.span)  # type: ignore[no-any-return]
            fingerprint = read_fingerprint(prim, values, known, fingerprints) or RUNTIME_READ
        except FileArgumentProblem as problem:
            where = f" ({tnode.span})" if tnode.span is not None else ""
            raise InputFileError(f"{problem}{where}") from None
    elif prim is not None and len(arg_consts) == len(args):
        folded = try_fold(prim, arg_consts)
        if folded is not None:
            return emit(folded, tnode.span)  # type: ignore[no-any-return]
    return emit(Apply(tnode.op, tnode.version, tuple(args), fingerprint), tnode.span)  # type: ignore[no-any-return]


CaptureValue = Any  # a `Const` to inline, or the reference (NodeId or TemplateRef) to keep capturing


def specialise(body: Template, captures: Sequence[CaptureValue]) -> tuple[Template, list[Any]]:
    """A closure body whose constant captures are inlined as template constants, as the reducer
    builds a body that uses a constant (so a loop item's nested loop has the same id as the same
    loop written with that constant). Returns the new body and the captures still needed."""
    if not any(isinstance(c, Const) for c in captures):
        return body, list(captures)
    nodes: list[TemplateNode] = []
    index: dict[object, int] = {}
    const_at: dict[TemplateRef, Const] = {}
    kept: list[Any] = []
    kept_index: dict[Any, int] = {}

    def add(node: TemplateNode) -> TemplateRef:
        key: object = (
            ("float", repr(node.value)) if isinstance(node, TConst) and node.type == "float" else node
        )
        j = index.get(key)
        if j is None:
            j = len(nodes)
            nodes.append(node)
            index[key] = j
        ref: TemplateRef = ("node", j)
        if isinstance(node, TConst):
            const_at[ref] = Const(node.type, node.value)
        return ref

    def capture(k: int) -> TemplateRef:
        value = captures[k]
        if isinstance(value, Const):
            return add(TConst(value.type, value.value))
        slot = kept_index.get(value)
        if slot is None:
            slot = len(kept)
            kept.append(value)
            kept_index[value] = slot
        return ("capture", slot)

    mapping: list[TemplateRef] = []

    def ref(r: TemplateRef) -> TemplateRef:
        kind, i = r
        if kind == "param":
            return r
        if kind == "capture":
            return capture(i)
        return mapping[i]

    for node in body.nodes:
        if isinstance(node, TConst):
            mapping.append(add(node))
        elif isinstance(node, TApply):
            mapping.append(add(TApply(node.op, node.version, tuple(ref(a) for a in node.args), node.span)))
        elif isinstance(node, TClosure):
            inner: list[CaptureValue] = []
            for c in node.captures:
                if c[0] == "capture" and isinstance(captures[c[1]], Const):
                    inner.append(captures[c[1]])  # passed straight through, not materialised here
                    continue
                r = ref(c)
                inner.append(const_at.get(r, r))
            inner_body, inner_kept = specialise(node.body, inner)
            mapping.append(add(TClosure(node.params, inner_body, tuple(inner_kept), node.span)))
        else:  # pragma: no cover - exhaustive
            raise TypeError(node)
    result = ref(body.result)
    return Template(tuple(nodes), result), kept


# --- what a loop reads ----------------------------------------------------------------------
LOOP_CONTENTS = b"voxcas-loop-contents/1\n"


class LoopContents:
    """The contents fingerprint of a loop, item by item, in order: the digest of the items'
    result ids (or, for an item that could not be set up, its error)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(LOOP_CONTENTS)

    def item(self, result: NodeId) -> None:
        self._hash.update(f"{result}\n".encode())

    def failed(self, message: str) -> None:
        self._hash.update(f"!{message}\n".encode())

    @property
    def fingerprint(self) -> str:
        return "sha256:" + self._hash.hexdigest()


class _Known(Mapping[NodeId, PlanNode]):
    """A lookup seen as the read-only mapping `voxcas.plan.volatile` walks."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup

    def __getitem__(self, key: NodeId) -> PlanNode:
        found = self._lookup(key)
        if found is None:
            raise KeyError(key)
        return PlanNode(key, found)

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(NodeId(key)) is not None


def loop_fingerprint(
    args: Sequence[NodeId],
    lookup: Lookup,
    registry: Registry,
    fingerprints: FingerprintCache | None,
) -> str | None:
    """The contents fingerprint of a loop with these arguments, or None when its id already
    covers everything it reads (its body reads no file, or its sequence is not a constant — such
    a loop is volatile instead). `RUNTIME_READ` when an item reads at a path only a run computes."""
    from voxcas.plan.volatile import volatile_nodes

    split = split_loop(args, lookup)
    if split is None:
        return None
    closure, seq = split
    sequence = lookup(seq)
    if not isinstance(sequence, Const) or sequence.type != "list":
        return None
    if not closure_reads_files(closure, lookup, registry):
        return None
    assert isinstance(sequence.value, tuple)
    contents = LoopContents()
    for item in sequence.value:
        try:
            body, result = _instantiate(closure, [param_node(item)], registry, fingerprints, lookup)
        except InputFileError as error:
            contents.failed(str(error))
            continue
        own = {n.id: n for n in body}
        if result in volatile_nodes(own, registry, context=ChainMap(own, _Known(lookup))):  # type: ignore[arg-type]
            return RUNTIME_READ
        contents.item(result)
    return contents.fingerprint
