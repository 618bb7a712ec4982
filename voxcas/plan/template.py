"""Closure instantiation: a loop body's template applied to concrete items becomes plan nodes.

The executor runs `for`/`filter`/`map` itself. For each item it calls `instantiate(closure,
[param_node(item, digest)])` and gets the item's sub-workplan with concrete ids: the same body
over the same item always yields the same ids, so each item's result is stored and reused on
its own. While instantiating, foldable primitives whose arguments are now constants are folded
(`concat($dir, "/", x)` becomes a constant path), and file-reading primitives whose paths are
now constants get their fingerprint (so editing one image of a dataset recomputes one item).
A missing file is an `InputFileError` naming the path and the body's source position.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from voxcas.plan.nodes import (
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
) -> tuple[list[PlanNode], NodeId]:
    """The body's nodes for these parameter nodes (dependencies first, the param nodes included)
    and the id of the result."""
    if len(params) != closure.params:
        raise ValueError(f"closure takes {closure.params} parameter(s), got {len(params)}")
    if registry is None:
        from voxcas.primitives.registry import default_registry

        registry = default_registry()
    out: list[PlanNode] = []
    seen: set[NodeId] = set()
    consts: dict[NodeId, Const] = {}

    def emit(definition: Definition, span: Any) -> NodeId:
        nid = node_id(definition)
        if nid not in seen:
            seen.add(nid)
            out.append(PlanNode(nid, definition, span))
        if isinstance(definition, Const):
            consts[nid] = definition
        return nid

    for p in params:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
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
            ids.append(_apply(tnode, [resolve(a) for a in tnode.args], consts, registry, fingerprints, emit))
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
) -> NodeId:
    prim = registry.find(tnode.op)
    fingerprint = None
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
