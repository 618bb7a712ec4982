"""Which definitions a run records beside what it computes, so every computation stays explainable.

Results carry their own node records (`Store.put_results`), but the constants, closures and
values-by-digest a computed node takes as arguments are never results, so without this their
definitions would be lost and `vox why` could not say *which* constant or loop body changed.
`beside_missing` picks them out of a walk's missing nodes; the run state hands them to the writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from voxcas.ids import NodeId
from voxcas.plan.nodes import Closure, Const, PlanNode, ValueRef

DEFINITION_ONLY = (Const, Closure, ValueRef)


def beside_missing(nodes: Mapping[NodeId, PlanNode], missing: Iterable[NodeId]) -> list[PlanNode]:
    """The constant, closure and value nodes among `missing` and their arguments (captures
    included), each once, in the order met."""
    out: dict[NodeId, PlanNode] = {}
    for nid in missing:
        node = nodes[nid]
        if isinstance(node.definition, DEFINITION_ONLY) and nid not in out:
            out[nid] = node
        for arg in node.args:
            a = nodes[arg]
            if arg not in out and isinstance(a.definition, DEFINITION_ONLY):
                out[arg] = a
    return list(out.values())
