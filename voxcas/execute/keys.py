"""How the executor names nodes where people read them: Dask task keys and source positions.

Task keys carry what a task computes, so the Dask dashboard (which groups tasks by the part of a
key before its hash) reads as the program does:

- a node's task: `<primitive>-<node id>` (`vox1.dt-3f2a…`);
- a fused chunk of cheap scalar nodes: `fused-<first primitive>-<first node id>`;
- a loop item (or a partition of a few cheap items): `item-<the item>-<its result id>`, the item
  shortened to a readable label (`item-case_001-9c1e…` for `…/case_001.nii.gz`);
- a stored input loaded for the stage: `load-<digest>`; a value held in memory: `held-<node id>`;
- on a cluster with a shared blob tier, the task that persists a node's value on its worker:
  `stored-<the node's key>` (`voxcas.execute.worker_store`).

Every key still ends in a node id or a digest, so keys stay unique within a run.
"""

from __future__ import annotations

import re
from typing import Any

from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Apply, PlanNode

LABEL_CHARS = 24  # an item's label in its task key is at most this long


def where_of(node: PlanNode) -> str | None:
    """The node's source position, `prog.imgql:4:9`, or None."""
    return str(node.span) if node.span is not None else None


def node_key(node: PlanNode) -> str:
    """The task key of one node: its primitive's name, then its id."""
    d = node.definition
    return f"{d.op}-{node.id}" if isinstance(d, Apply) else str(node.id)


def chunk_key(first: PlanNode) -> str:
    """The task key of a fused chunk, named by its first node."""
    d = first.definition
    op = d.op if isinstance(d, Apply) else "node"
    return f"fused-{op}-{first.id}"


def item_key(item: Any, result: NodeId) -> str:
    """The task key of a loop item (or of the partition of cheap items that starts with it)."""
    return f"item-{item_label(item)}-{result}"


def item_label(item: Any) -> str:
    """A short readable name for a loop item: a file name without its folders and extensions, a
    number or a string as it is (shortened), anything else by its kind."""
    if isinstance(item, bool) or not isinstance(item, int | float | str):
        return type(item).__name__.lower()
    text = str(item)
    if isinstance(item, str):
        text = text.rstrip("/").rsplit("/", 1)[-1] or text
        stem = text.split(".", 1)[0]
        text = stem or text
    text = re.sub(r"[^A-Za-z0-9_.+]+", "_", text).strip("_") or "item"
    return text[:LABEL_CHARS]


def load_key(digest: Digest) -> str:
    return f"load-{digest}"


def held_key(node: NodeId) -> str:
    return f"held-{node}"
