"""Which nodes of a stage share one Dask task: runs of cheap scalar nodes are fused into chunks.

Dask spends tens of microseconds scheduling a task, whatever the task does; a node that adds two
numbers takes a microsecond. A program of 10,000 such nodes would spend nearly all its time in
the scheduler. So the nodes of a stage are partitioned into *groups*, one Dask task each: a node
that may be costly is a group of its own (as before), while consecutive *cheap* nodes share a
chunk of up to `CHUNK_NODES`, evaluated in order by one task (`tasks.evaluate_chunk`). Every
node still has its own outcome, persisted, counted and reported on its own.

**Cheap** means: the primitive is pure, foldable (declared cheap on constant arguments: the
arithmetic, comparison, string and sequence helpers of `default` and `strings`), neither reads
files nor takes a base image, does not declare a non-scalar result, and every argument is known
to be a *scalar* (a number, boolean or string). A node's value is known to be scalar when it is
a constant or held value that is one, when its primitive declares a scalar result (`length`:
int, `volume`: float, …), or when it is a cheap node itself. Values that are only known at run
time to be small (an image's voxel count read back from the store) count through their
primitive's declared result. A `+` of two images is therefore never fused: its arguments are
not known scalars; images, masks and loops always keep one task per node and full parallelism.

**No cycles, no lost parallelism.** Groups are formed in dependency order and numbered as they
open. A cheap node joins the open chunk only if each of its stage dependencies is in that chunk
or in a group numbered before it; a node that may be costly and needs a member of the open chunk
closes it. Every dependency therefore points from a lower number to a higher one (the graph of
groups is acyclic), and a chunk never waits for a costly node scheduled after it opened, so
cheap work is not held back behind unrelated expensive work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voxcas.ids import NodeId
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.primitives.registry import Primitive, Registry

CHUNK_NODES = 256  # cheap nodes per fused task: ~1 ms of work, against ~50 µs of scheduling
SCALAR_RESULTS = frozenset({"int", "float", "bool", "str", "number"})
_SCALAR_TYPES = (bool, int, float, str)


def is_scalar_value(value: Any) -> bool:
    """Whether a value is a plain number, boolean or string (what cheap nodes compute on)."""
    return type(value) in _SCALAR_TYPES


class Fusion:
    """Decides, for the nodes of one stage, which are cheap and which share a task."""

    def __init__(
        self,
        nodes: Mapping[NodeId, PlanNode],
        registry: Registry,
        held_scalar: Callable[[NodeId], bool | None],
    ) -> None:
        """`held_scalar(nid)` says whether a value held outside the plan is a scalar (None: not held)."""
        self.nodes = nodes
        self.registry = registry
        self.held_scalar = held_scalar
        self._scalar: dict[NodeId, bool] = {}
        self._cheap: dict[NodeId, bool] = {}
        self._primitives: dict[str, Primitive | None] = {}

    def _primitive(self, op: str) -> Primitive | None:
        if op not in self._primitives:
            self._primitives[op] = self.registry.find(op)
        return self._primitives[op]

    def is_cheap(self, nid: NodeId) -> bool:
        """A pure, foldable application on known scalar arguments with a scalar-or-any result."""
        cheap = self._cheap.get(nid)
        if cheap is None:
            cheap = False
            d = self.nodes[nid].definition
            if isinstance(d, Apply):
                prim = self._primitive(d.op)
                cheap = (
                    prim is not None
                    and prim.foldable
                    and prim.pure
                    and not prim.reads_files
                    and not prim.base_image
                    and (prim.result in SCALAR_RESULTS or prim.result == "any")
                    and all(self.is_scalar(a) for a in d.args)
                )
            self._cheap[nid] = cheap
        return cheap

    def is_scalar(self, nid: NodeId) -> bool:
        """Whether the node's value is known, before running, to be a number, boolean or string."""
        scalar = self._scalar.get(nid)
        if scalar is None:
            held = self.held_scalar(nid)
            d = self.nodes[nid].definition
            if held is not None:
                scalar = held
            elif isinstance(d, Const):
                scalar = is_scalar_value(d.value)
            elif isinstance(d, Apply):
                prim = self._primitive(d.op)
                scalar = prim is not None and (
                    prim.result in SCALAR_RESULTS or (prim.result == "any" and self.is_cheap(nid))
                )
            else:
                scalar = False
            self._scalar[nid] = scalar
        return scalar

    def groups(self, runnable: list[NodeId], in_stage: set[NodeId]) -> list[list[NodeId]]:
        """`runnable` (dependencies first) cut into groups, in an order that runs dependencies first."""
        out: list[list[NodeId]] = []
        number: dict[NodeId, int] = {}  # node -> the number of its group (its index in `out`)
        open_index = -1  # the open chunk's index in `out`, or -1
        for nid in runnable:
            deps = [a for a in self.nodes[nid].args if a in in_stage]
            if self.is_cheap(nid):
                if (
                    open_index >= 0
                    and len(out[open_index]) < CHUNK_NODES
                    and all(number[a] <= open_index for a in deps)
                ):
                    out[open_index].append(nid)
                    number[nid] = open_index
                    continue
                open_index = len(out)
                out.append([nid])
                number[nid] = open_index
                continue
            if open_index >= 0 and any(number[a] == open_index for a in deps):
                open_index = -1  # a costly node needs the chunk: it can take no more members
            number[nid] = len(out)
            out.append([nid])
        return out
