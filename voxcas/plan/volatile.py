"""Volatile nodes: what reads a file at a path only a run can compute, and so is never reused.

A node id covers the fingerprint of every file the node reads, taken while reducing (constant
paths) or when a loop item is instantiated (paths built from the item). A path computed by a
primitive that is not folded — `load(load("which.txt"))`, where the inner `load` yields the
name of the file to read — is known only while the program runs, so no fingerprint can be in
the id: editing that file would leave every id unchanged and the store would answer with the
old result. Such a read carries the fingerprint marker `RUNTIME_READ` instead, and it, and
every node that depends on it, is *volatile*: the engine never looks it up, computes it on every
run (storing the result as usual) and still reuses everything else.

Loop bodies are analysed before they run: a closure whose body (or a loop nested in it) reads a
file at a path computed inside the body by an unfolded primitive makes its loop volatile — the
loop node is looked up before any item is instantiated, so it must not answer from the store.
So is a loop whose body reads files and whose sequence is computed at run time (not a constant):
the files its items will read are known only once the sequence is, so no fingerprint of them can
be in the loop's id. (A loop over a constant sequence carries its items' contents in its id
instead: `voxcas.plan.template.loop_fingerprint`.) A volatile loop still reuses every item whose
result is stored: the items' own ids cover what they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from voxcas.ids import NodeId
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
    TemplateRef,
)

if TYPE_CHECKING:
    from voxcas.primitives.registry import Registry


def volatile_nodes(
    nodes: Mapping[NodeId, PlanNode],
    registry: Registry,
    volatile: set[NodeId] | None = None,
    context: Mapping[NodeId, PlanNode] | None = None,
) -> set[NodeId]:
    """The volatile nodes among `nodes` (in dependency order, as a `Workplan` keeps them), added
    to `volatile` if given. `context` resolves closure captures outside `nodes` (default: `nodes`)."""
    out = set() if volatile is None else volatile
    look = nodes if context is None else context
    for nid, node in nodes.items():
        d = node.definition
        if (
            (isinstance(d, Apply) and d.fingerprint == RUNTIME_READ)
            or (out and not out.isdisjoint(node.args))
            or (isinstance(d, Closure) and closure_reads_at_run_time(d, look, registry))
            or (isinstance(d, Apply) and d.op in LOOP_OPS and loop_over_computed_reads(d, look, registry))
        ):
            out.add(nid)
    return out


def loop_over_computed_reads(loop: Apply, nodes: Mapping[NodeId, PlanNode], registry: Registry) -> bool:
    """Whether `loop` reads files through its body while its sequence is computed at run time
    (a loop with a contents fingerprint is covered by it)."""
    from voxcas.plan.loop_reads import closure_reads_files, split_loop

    if loop.fingerprint is not None:
        return False

    def lookup(nid: NodeId) -> Definition | None:
        node = nodes.get(nid) if nid in nodes else None
        return None if node is None else node.definition

    split = split_loop(loop.args, lookup)
    if split is None:
        return False
    closure, seq = split
    sequence = lookup(seq)
    if isinstance(sequence, Const) and sequence.type == "list":
        return False  # a constant sequence: what the items read is in their ids
    return closure_reads_files(closure, lookup, registry)


def closure_reads_at_run_time(closure: Closure, nodes: Mapping[NodeId, PlanNode], registry: Registry) -> bool:
    """Whether running a loop over `closure` reads a file at a path only the run can compute."""
    dynamic = [c not in nodes or not isinstance(nodes[c].definition, Const) for c in closure.captures]
    return template_reads_at_run_time(closure.body, dynamic, registry)


def template_reads_at_run_time(template: Template, captures_dynamic: list[bool], registry: Registry) -> bool:
    """Whether instantiating `template` (and running it) reads a file at a path that is still not
    a constant once the item is known. A value is *dynamic* if an unfolded primitive computes it
    (or a non-constant capture gives it); the item itself and constants are not."""
    dynamic: list[bool] = []

    def is_dynamic(ref: TemplateRef) -> bool:
        kind, index = ref
        if kind == "node":
            return dynamic[index]
        if kind == "capture":
            return captures_dynamic[index]
        return False  # the item: a constant once instantiated (paths are strings)

    for node in template.nodes:
        if isinstance(node, TConst | TClosure):
            dynamic.append(False)  # definitions, not computations
            continue
        assert isinstance(node, TApply)
        args = [is_dynamic(a) for a in node.args]
        if node.op in LOOP_OPS:
            for ref in node.args:
                inner = template.nodes[ref[1]] if ref[0] == "node" else None
                if isinstance(inner, TClosure):
                    inner_captures = [is_dynamic(c) for c in inner.captures]
                    if template_reads_at_run_time(inner.body, inner_captures, registry):
                        return True
            dynamic.append(True)
            continue
        prim = registry.find(node.op)
        if prim is None:
            dynamic.append(True)  # fails when it runs
            continue
        if prim.reads_files:
            given = args[1:] if prim.base_image else args
            if prim.fingerprint is not None and any(given):
                return True
            if any(given[i] for i in prim.path_params if i < len(given)):
                return True
        dynamic.append(not prim.foldable or any(args))
    return False
