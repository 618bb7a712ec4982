"""What a run records about where its values came from, beyond the results themselves.

- `run_sources`: the program text and the text of every file it imported (the store keeps them
  as objects, shared between runs), so `vox show RUN --program` prints the exact code that ran.
- `named_constants`: the node records of top-level names and goals bound to constants (constants
  are never stored as results, so `RUN:NAME` of `t = 0.9` needs the record to answer `0.9`, and
  the viewer's run page the record of `print "n" 3` to show `3`).
- `record_arguments`: before applications are computed, the node records of the constants and
  closures they take as arguments (never stored as results): `vox show NODE` of a file reader
  prints the path it read beside the fingerprint its id covers, and `vox status` can say which
  constant changed ("constant 0.9 is now 0.92") from the earlier definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from voxcas.ids import NodeId
from voxcas.plan.nodes import Apply, Closure, Const, PlanNode, Workplan
from voxcas.store.base import Store


def run_sources(program: str, text: str | None, plan: Workplan) -> list[tuple[str, str]]:
    """(path, text) of the program (when its text is known) and of each file it imported."""
    return ([(program, text)] if text is not None else []) + list(plan.imports)


def named_constants(plan: Workplan) -> list[PlanNode]:
    """The nodes of top-level names and of goals that are constants (only those already in the
    plan: a cached plan is not completed for this; its first run recorded them)."""
    found: dict[NodeId, PlanNode] = {}
    for nid in [*plan.names.values(), *(goal.node for goal in plan.goals)]:
        node = plan.nodes.get(nid)  # dict.get: never completes a lazily cached plan
        if node is not None and isinstance(node.definition, Const):
            found[nid] = node
    return list(found.values())


def definition_arguments(nodes: Mapping[NodeId, PlanNode], ids: Iterable[NodeId]) -> list[PlanNode]:
    """The constant and closure arguments of the applications among `ids` (paths among them)."""
    found: dict[NodeId, PlanNode] = {}
    for nid in ids:
        d = nodes[nid].definition
        if isinstance(d, Apply):
            for arg in d.args:
                node = nodes[arg]
                if isinstance(node.definition, Const | Closure):
                    found[arg] = node
    return list(found.values())


def record_arguments(store: Store, nodes: Mapping[NodeId, PlanNode], ids: Iterable[NodeId]) -> None:
    """Record the constant and closure arguments of the applications among `ids` (idempotent)."""
    arguments = definition_arguments(nodes, ids)
    if arguments:
        store.put_nodes(arguments)
