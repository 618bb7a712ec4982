"""`vox status` / `vox run --dry-run`: what a run would do, and why, without computing anything.

    status_file(path, store, options) -> StatusReport

1. **Reduce** the program as `vox run` would (the reduction cache first, else a real reduction;
   input fingerprints come through the store's stat cache, so an unchanged dataset costs stats).
   Nothing is written but stat-cache entries.
2. **Walk** top-down from the goals, as the executor does (`voxcas.execute.lookup`): a stored
   goal needs nothing below it; below a missing one every pure application is looked up in bulk
   and the walk descends only through missing nodes. Impure primitives and volatile nodes (reads
   at run-time paths) always run. A missing loop over a constant sequence (a folded `dir`, a
   literal list) is opened item by item like the engine does, so its items are counted too; a
   loop over a computed sequence counts as one node (its items are known only once it runs).
3. **Explain** each stale goal against the newest earlier run of the same program: its goal
   with the same kind and target, and the two definitions walked in parallel from the store's
   node records (`voxcas.execute.compare`) — "input images/case_001.nii.gz changed", "new item
   images/case_021.nii.gz", "prog.imgql:4:9: constant 0.9 is now 0.92", "vox1.dt is now version
   3". Without an earlier run the goal is "new"; a goal whose definition is unchanged but whose
   result is gone says so (collected by gc, or its run failed or was interrupted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxcas.execute.compare import Compare, loop_items
from voxcas.ids import NodeId, RunId
from voxcas.plan.nodes import LOOP_OPS, Apply, Closure, Const, PlanNode, ValueRef, Workplan
from voxcas.primitives.registry import Registry, default_registry
from voxcas.store.base import RunInfo, Store

Nodes = Mapping[NodeId, PlanNode]


@dataclass(slots=True)
class GoalStatus:
    kind: str
    target: str
    node: NodeId
    span: str | None
    stale: bool
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "node": self.node,
            "span": self.span,
            "stale": self.stale,
            "reasons": self.reasons,
        }


@dataclass(slots=True)
class StatusReport:
    program: str
    previous: RunId | None  # the run the explanations compare with
    goals: list[GoalStatus]
    computed: int  # nodes a run would compute now (loop items included)
    reused: int  # stored nodes it would reuse (where the walk stops)
    approximate: bool = False  # some loop's items could not be counted (computed sequence)
    warnings: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not any(g.stale for g in self.goals) and self.computed == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "up_to_date": self.up_to_date,
            "previous_run": self.previous,
            "computed": self.computed,
            "reused": self.reused,
            "approximate": self.approximate,
            "goals": [g.to_json() for g in self.goals],
            "warnings": self.warnings,
        }


class _Walk:
    """Counts what a run would compute and reuse (the executor's top-down walk, without a run)."""

    def __init__(self, store: Store, registry: Registry, volatile: set[NodeId], fingerprints: Any) -> None:
        self.store = store
        self.registry = registry
        self.volatile = volatile
        self.fingerprints = fingerprints
        self.computed: set[NodeId] = set()
        self.reused: set[NodeId] = set()
        self.approximate = False
        self._pure: dict[str, bool] = {}

    def lookupable(self, node: PlanNode) -> bool:
        d = node.definition
        if not isinstance(d, Apply) or node.id in self.volatile:
            return False
        pure = self._pure.get(d.op)
        if pure is None:
            prim = self.registry.find(d.op)
            pure = d.op in LOOP_OPS or prim is None or prim.pure
            self._pure[d.op] = pure
        return pure

    def missing(self, nodes: Nodes, roots: list[NodeId]) -> set[NodeId]:
        """Walk from `roots`; return the roots that are not stored."""
        from voxcas.plan.nodes import dependencies_first

        todo = [r for r in dict.fromkeys(roots) if self._counts(nodes[r]) and r not in self.computed]
        found = self.store.lookup_many([r for r in todo if self.lookupable(nodes[r])])
        self.reused.update(found)
        missing_roots = [r for r in todo if r not in found]
        if not missing_roots:
            return set()
        order = dependencies_first(nodes, missing_roots)
        below = self.store.lookup_many(
            [n for n in order if n not in self.computed and self.lookupable(nodes[n])]
        )
        marked = set(missing_roots)
        stack = list(missing_roots)
        while stack:
            for arg in nodes[stack.pop()].args:
                if arg in marked or arg in self.computed:
                    continue
                if arg in below:
                    self.reused.add(arg)
                    continue
                if not self._counts(nodes[arg]):
                    continue
                marked.add(arg)
                stack.append(arg)
        for nid in order:
            if nid in marked:
                self.computed.add(nid)
                if self.is_loop(nodes[nid]):
                    self.open_loop(nodes, nid)
        return set(missing_roots)

    @staticmethod
    def _counts(node: PlanNode) -> bool:
        """Constants, closures and value references are definitions: never run nor counted."""
        return not isinstance(node.definition, Const | Closure | ValueRef)

    @staticmethod
    def is_loop(node: PlanNode) -> bool:
        return isinstance(node.definition, Apply) and node.definition.op in LOOP_OPS

    def open_loop(self, nodes: Nodes, loop: NodeId) -> None:
        """Count the items a missing loop would run (its sequence must be a constant)."""
        items = loop_items(nodes, loop, self.registry, self.fingerprints)
        if items is None:
            self.approximate = True
            return
        for _item, body, result in items:
            own = {n.id: n for n in body}
            self.missing(_Chain(own, nodes), [result])


class _Chain(Mapping[NodeId, PlanNode]):
    """An item's own nodes, then the plan's (what its body captures)."""

    def __init__(self, own: Nodes, outer: Nodes) -> None:
        self.own, self.outer = own, outer

    def __getitem__(self, key: NodeId) -> PlanNode:
        found = self.own.get(key)
        return found if found is not None else self.outer[key]

    def __iter__(self) -> Any:
        return iter(self.own)

    def __len__(self) -> int:
        return len(self.own)

    def __contains__(self, key: object) -> bool:
        return key in self.own or key in self.outer


def previous_run(store: Store, program: str) -> RunInfo | None:
    """The newest run of the same program (as given, up to `./` and `a/../`) that recorded goals."""
    import os

    wanted = os.path.normpath(program)
    for run in store.runs():
        if os.path.normpath(run.program) == wanted and run.goals:
            return run
    return None


def status_workplan(
    plan: Workplan, store: Store, *, program: str, registry: Registry | None = None, fingerprints: Any = None
) -> StatusReport:
    """What a run of `plan` on `store` would compute and reuse, and why each stale goal is stale."""
    from voxcas.plan.volatile import volatile_nodes

    registry = registry or default_registry()
    fingerprints = store if fingerprints is None else fingerprints
    roots = [g.node for g in plan.goals]
    stored = store.lookup_many(roots)
    volatile: set[NodeId] = set()
    if len(stored) < len(set(roots)):  # something to run: the whole plan is needed anyway
        volatile = volatile_nodes(plan.nodes, registry)
    walk = _Walk(store, registry, volatile, fingerprints)
    missing = walk.missing(plan.nodes, roots) if len(stored) < len(set(roots)) else set()
    walk.reused.update(stored)
    previous = previous_run(store, program)
    compare = Compare(store, plan.nodes, registry, fingerprints)
    old_goals = {(g.get("kind"), g.get("target")): g.get("node") for g in previous.goals} if previous else {}
    goals = []
    for g in plan.goals:
        stale = g.node in missing or g.node in volatile
        status = GoalStatus(g.kind, g.target, g.node, None if g.span is None else str(g.span), stale)
        if stale:
            old = old_goals.get((g.kind, g.target))
            if g.node in volatile:
                status.reasons = ["reads a file at a path only the run computes: always recomputed"]
            elif old is None:
                status.reasons = ["new goal" if previous else "never run on this store"]
            else:
                status.reasons = compare.reasons(NodeId(old), g.node)
        goals.append(status)
    return StatusReport(
        program=program,
        previous=previous.id if previous else None,
        goals=goals,
        computed=len(walk.computed),
        reused=len(walk.reused - walk.computed),
        approximate=walk.approximate,
        warnings=list(plan.warnings),
    )


def status_file(
    path: str | Path,
    store: Store,
    *,
    registry: Registry | None = None,
    rehash: bool = False,
    params: dict[str, Any] | None = None,
) -> StatusReport:
    """Reduce a program file as `vox run` would (reduction cache first; `params` as `-p` gives
    them) and report its status."""
    from voxcas.lang import load_workplan
    from voxcas.lang.files import read_source
    from voxcas.plan import cache
    from voxcas.plan.fingerprint import FingerprintCache, RehashingCache

    path = Path(path)
    registry = registry or default_registry()
    text = read_source(str(path))
    fingerprints: FingerprintCache = RehashingCache(store) if rehash else store

    def reduce() -> Workplan:
        return load_workplan(path, registry=registry, fingerprints=fingerprints, params=params)

    directory: Path | None = getattr(store, "directory", None)
    plan = None
    if directory is not None and not rehash:
        plan = cache.load(directory, cache.plan_key(path, text, params), reduce, registry)
    if plan is None:
        plan = reduce()
    return status_workplan(plan, store, program=str(path), registry=registry, fingerprints=fingerprints)
