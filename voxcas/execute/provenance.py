"""What a run records about where its values came from, beyond the results themselves.

- `run_sources`: the program text and the text of every file it imported (the store keeps them
  as objects, shared between runs), so `vox show RUN --program` prints the exact code that ran.
- `named_constants`: the node records of top-level names bound to constants (constants are never
  stored as results, so `RUN:NAME` of `t = 0.9` needs the record to answer `0.9`).
- `record_reads`: before file-reading nodes are computed, the node records of their constant
  arguments (the paths), so `vox show NODE` can print the path a node read beside the fingerprint
  its id covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from voxcas.ids import NodeId
from voxcas.plan.nodes import Apply, Const, PlanNode, Workplan
from voxcas.store.base import Store


def run_sources(program: str, text: str | None, plan: Workplan) -> list[tuple[str, str]]:
    """(path, text) of the program (when its text is known) and of each file it imported."""
    return ([(program, text)] if text is not None else []) + list(plan.imports)


def named_constants(plan: Workplan) -> list[PlanNode]:
    """The nodes of top-level names that are constants (only those already in the plan: a cached
    plan is not completed for this; its first run recorded them)."""
    found: dict[NodeId, PlanNode] = {}
    for nid in plan.names.values():
        node = plan.nodes.get(nid)  # dict.get: never completes a lazily cached plan
        if node is not None and isinstance(node.definition, Const):
            found[nid] = node
    return list(found.values())


def read_arguments(nodes: Mapping[NodeId, PlanNode], ids: Iterable[NodeId]) -> list[PlanNode]:
    """The constant arguments of the file-reading applications among `ids` (their paths)."""
    found: dict[NodeId, PlanNode] = {}
    for nid in ids:
        d = nodes[nid].definition
        if isinstance(d, Apply) and d.fingerprint is not None:
            for arg in d.args:
                node = nodes[arg]
                if isinstance(node.definition, Const):
                    found[arg] = node
    return list(found.values())


def record_reads(store: Store, nodes: Mapping[NodeId, PlanNode], ids: Iterable[NodeId]) -> None:
    """Record the path arguments of the file readers among `ids` (idempotent, one transaction)."""
    arguments = read_arguments(nodes, ids)
    if arguments:
        store.put_nodes(arguments)
