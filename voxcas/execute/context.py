"""`RunContext`: the collaborators of one run, handed to every part of the executor.

The context itself never changes; what changes is the run state (`voxcas.execute.state`),
through its mutators. `satisfy` is the engine's walk-and-compute loop, handed down as a
callable so that loops and the loop bag can make nodes available without importing the
engine back (the executor's modules import one another in one direction only: engine →
goals, loops → item_bag → stage → placement, lookup, inputs → state → writer, tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from voxcas.execute.lookup import Lookup
from voxcas.execute.options import RunOptions
from voxcas.execute.placement import Placement
from voxcas.execute.progress import Progress
from voxcas.execute.state import RunState
from voxcas.ids import NodeId
from voxcas.plan.fingerprint import FingerprintCache
from voxcas.plan.nodes import PlanNode
from voxcas.primitives.registry import Registry
from voxcas.store.base import Store

Nodes = Mapping[NodeId, PlanNode]
Satisfy = Callable[[Nodes, list[NodeId]], None]  # make every root stored, held, failed or skipped


@dataclass(frozen=True, slots=True)
class RunContext:
    store: Store
    registry: Registry
    options: RunOptions
    progress: Progress
    state: RunState
    placement: Placement
    lookup: Lookup
    fingerprints: FingerprintCache  # where loop items' input fingerprints are cached (--rehash: nowhere)
    satisfy: Satisfy
