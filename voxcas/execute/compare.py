"""Why a node's id changed: an earlier definition and the current one, walked in parallel.

`Compare(store, nodes, registry, fingerprints).reasons(old, new)` walks the earlier definition
(from the store's node records: every node a run computed is recorded, with the constants and
closures it took as arguments — `voxcas.execute.provenance`) beside the current one (from the
workplan) and returns the leaf differences, in source order of discovery:

- `prog.imgql:4:9: constant 0.9 is now 0.92` (a constant argument, or one inside a loop body)
- `vox1.dt is now version 3` (a primitive's version)
- `input images/case_001.nii.gz changed` (a file reader's fingerprint; for a loop over a constant
  sequence, the items whose results are not stored, found by opening the loop as a run would)
- `new item images/case_021.nii.gz`, `item images/case_003.nii.gz removed` (a folded listing)
- `prog.imgql:5:3: default.max replaces default.min` (a different operator)

Only differing ids are descended into, each pair once, so the walk is as small as the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voxcas.errors import ObjectNotFoundError
from voxcas.ids import NodeId
from voxcas.plan.nodes import (
    LOOP_OPS,
    Apply,
    Closure,
    Const,
    Definition,
    PlanNode,
    TApply,
    TClosure,
    TConst,
    Template,
)
from voxcas.primitives.registry import Registry
from voxcas.store.base import Store
from voxcas.values import format_value

Nodes = Mapping[NodeId, PlanNode]
MAX_REASONS = 12  # per goal; the rest are counted


def _value(const: Const | TConst) -> str:
    value = list(const.value) if isinstance(const.value, tuple) else const.value
    return format_value(value, nested=True)  # strings quoted: constant "x" is now "y"


def _where(node: PlanNode | None) -> str:
    return f"{node.span}: " if node is not None and node.span is not None else ""


def loop_items(
    nodes: Nodes, loop: NodeId, registry: Registry, fingerprints: Any
) -> list[tuple[Any, list[PlanNode], NodeId]] | None:
    """(item, body nodes, result id) of each item of a loop over a constant sequence (None for a
    loop over a computed sequence); items that cannot be set up are left out (they fail in a run)."""
    from voxcas.errors import VoxcasError
    from voxcas.plan.loop_reads import split_loop
    from voxcas.plan.template import instantiate, param_node

    def lookup(nid: NodeId) -> Definition | None:
        try:
            return nodes[nid].definition
        except KeyError:
            return None

    split = split_loop(nodes[loop].args, lookup)
    if split is None:
        return None
    closure, seq = split
    sequence = lookup(seq)
    if not isinstance(sequence, Const) or sequence.type != "list":
        return None
    assert isinstance(sequence.value, tuple)
    items = []
    for item in sequence.value:
        try:
            body, result = instantiate(
                closure, [param_node(item)], registry=registry, fingerprints=fingerprints, context=nodes
            )
        except (VoxcasError, OSError, ValueError):
            continue
        items.append((item, body, result))
    return items


class Compare:
    def __init__(self, store: Store, nodes: Nodes, registry: Registry, fingerprints: Any) -> None:
        self.store = store
        self.nodes = nodes
        self.registry = registry
        self.fingerprints = fingerprints
        self._old: dict[NodeId, Definition | None] = {}

    # -- definitions ---------------------------------------------------------------------------
    def old(self, nid: NodeId) -> Definition | None:
        """An earlier definition, from the store's node records (None if never recorded)."""
        if nid not in self._old:
            from voxcas.plan.identity import definition_from_json

            try:
                self._old[nid] = definition_from_json(self.store.node(nid).definition)
            except (ObjectNotFoundError, ValueError):
                self._old[nid] = None
        return self._old[nid]

    def new(self, nid: NodeId) -> PlanNode | None:
        try:
            return self.nodes[nid]
        except KeyError:
            return None

    # -- the walk ------------------------------------------------------------------------------
    def reasons(self, old: NodeId, new: NodeId) -> list[str]:
        """What differs between the earlier node `old` and the current node `new`."""
        if old == new:
            return [
                "its definition is unchanged but its result is not in the store "
                "(collected by vox gc, or the run that computed it failed or was interrupted)"
            ]
        out: list[str] = []
        self._diff(old, new, out, set())
        found = list(dict.fromkeys(out)) or ["its definition changed"]
        if len(found) > MAX_REASONS:
            rest = len(found) - MAX_REASONS
            found = [*found[:MAX_REASONS], f"and {rest} more difference{'s' if rest != 1 else ''}"]
        return found

    def _diff(self, old: NodeId, new: NodeId, out: list[str], seen: set[tuple[NodeId, NodeId]]) -> None:
        if old == new or (old, new) in seen:
            return
        seen.add((old, new))
        node = self.new(new)
        before = self.old(old)
        if node is None:
            return
        now = node.definition
        where = _where(node)
        if before is None:
            out.append(f"{where}{self._describe(now)} changed (its earlier definition was not recorded)")
        elif isinstance(before, Const) and isinstance(now, Const):
            out.append(f"{where}constant {_value(before)} is now {_value(now)}")
        elif isinstance(before, Apply) and isinstance(now, Apply):
            self._apply(before, now, node, out, seen)
        elif isinstance(before, Closure) and isinstance(now, Closure):
            self._template(before.body, now.body, out, where)
            self._args(before.captures, now.captures, node, out, seen)
        else:
            out.append(f"{where}{self._describe(now)} replaces {self._describe(before)}")

    def _args(
        self,
        before: tuple[NodeId, ...],
        now: tuple[NodeId, ...],
        node: PlanNode,
        out: list[str],
        seen: set[tuple[NodeId, NodeId]],
    ) -> None:
        if len(before) != len(now):
            out.append(f"{_where(node)}{self._describe(node.definition)} now takes {len(now)} arguments")
            return
        for a, b in zip(before, now, strict=True):
            self._diff(a, b, out, seen)

    def _apply(
        self, before: Apply, now: Apply, node: PlanNode, out: list[str], seen: set[tuple[NodeId, NodeId]]
    ) -> None:
        where = _where(node)
        if before.op != now.op:
            out.append(f"{where}{now.op} replaces {before.op}")
            return
        if before.version != now.version:
            out.append(f"{now.op} is now version {now.version} (was {before.version})")
        if now.op in LOOP_OPS:
            self._loop(before, now, node, out, seen)
            return
        if before.fingerprint != now.fingerprint and before.args == now.args:
            paths = self._paths(now)
            out += [f"input {p} changed" for p in paths] or [f"{where}what {now.op} reads changed"]
        self._args(before.args, now.args, node, out, seen)

    def _paths(self, reader: Apply, own: Nodes | None = None) -> list[str]:
        """The constant path arguments of a file reader (its string arguments if it names none)."""
        prim = self.registry.find(reader.op)
        count = len(reader.args)
        positions = [i for i in prim.path_params if i < count] if prim and prim.path_params else range(count)
        paths = []
        for i in positions:
            nid = reader.args[i]
            arg = (own or {}).get(nid) or self.new(nid)
            value = arg.definition.value if arg is not None and isinstance(arg.definition, Const) else None
            if isinstance(value, str):
                paths.append(value)
        return paths

    def _loop(
        self, before: Apply, now: Apply, node: PlanNode, out: list[str], seen: set[tuple[NodeId, NodeId]]
    ) -> None:
        """A loop: its sequence (items added or removed), its body, then what its items read."""
        from voxcas.plan.loop_reads import split_loop

        old_split = split_loop(before.args, self.old)
        new_split = split_loop(now.args, lambda n: node.definition if n == node.id else self._def(n))
        if old_split is None or new_split is None:
            self._args(before.args, now.args, node, out, seen)
            return
        (old_closure, old_seq), (new_closure, new_seq) = old_split, new_split
        old_items = self._items(old_seq, self.old(old_seq))
        new_items = self._items(new_seq, self._def(new_seq))
        if old_items is not None and new_items is not None:
            known = set(old_items)
            out += [f"new item {format_value(x)}" for x in new_items if x not in known]
            kept = set(new_items)
            out += [f"item {format_value(x)} removed" for x in old_items if x not in kept]
        elif old_seq != new_seq:
            self._diff(old_seq, new_seq, out, seen)
        closure_ids = [a for a in now.args if a != new_seq]
        old_closure_ids = [a for a in before.args if a != old_seq]
        if closure_ids != old_closure_ids:
            for a, b in zip(old_closure_ids, closure_ids, strict=False):
                self._diff(a, b, out, seen)
            return  # a new body: every item runs again, for that reason
        del old_closure, new_closure
        if before.fingerprint != now.fingerprint:
            self._changed_items(node.id, None if old_items is None else set(old_items), out)

    def _def(self, nid: NodeId) -> Definition | None:
        found = self.new(nid)
        return None if found is None else found.definition

    @staticmethod
    def _items(nid: NodeId, definition: Definition | None) -> tuple[Any, ...] | None:
        if isinstance(definition, Const) and definition.type == "list":
            assert isinstance(definition.value, tuple)
            return definition.value
        return None

    def _changed_items(self, loop: NodeId, old_items: set[Any] | None, out: list[str]) -> None:
        """The items of a loop whose results are not stored, and the files they read anew."""
        items = loop_items(self.nodes, loop, self.registry, self.fingerprints) or []
        candidates = [(x, body, r) for x, body, r in items if old_items is None or x in old_items]
        stored = self.store.lookup_many([r for _, _, r in candidates])
        for item, body, result in candidates:
            if result in stored:
                continue
            readers = [
                n for n in body if isinstance(n.definition, Apply) and n.definition.fingerprint is not None
            ]
            fresh = self.store.lookup_many([n.id for n in readers])
            own = {n.id: n for n in body}
            paths = []
            for reader in readers:
                if reader.id not in fresh:
                    assert isinstance(reader.definition, Apply)
                    paths += self._paths(reader.definition, own)
            out += [f"input {p} changed" for p in paths] or [f"item {format_value(item)} changed"]

    def _template(self, before: Template, now: Template, out: list[str], body: str) -> None:
        """Differences inside a loop body: constants (with their position, or the body's when a
        constant carries none), operators, versions. `body` is the body's own position prefix."""
        if len(before.nodes) != len(now.nodes):
            out.append(f"{body}the loop body changed")
            return
        for old, new in zip(before.nodes, now.nodes, strict=True):
            where = f"{new.span}: " if new.span is not None else (f"{body}in the loop body, " if body else "")
            if isinstance(old, TConst) and isinstance(new, TConst):
                if (old.type, old.value) != (new.type, new.value):
                    out.append(f"{where}constant {_value(old)} is now {_value(new)}")
            elif isinstance(old, TApply) and isinstance(new, TApply):
                if old.op != new.op:
                    out.append(f"{where}{new.op} replaces {old.op}")
                elif old.version != new.version:
                    out.append(f"{new.op} is now version {new.version} (was {old.version})")
            elif isinstance(old, TClosure) and isinstance(new, TClosure):
                self._template(old.body, new.body, out, where or body)
            elif type(old) is not type(new):
                out.append(f"{where}the loop body changed")

    @staticmethod
    def _describe(definition: Definition) -> str:
        if isinstance(definition, Apply):
            return definition.op
        if isinstance(definition, Const):
            return f"constant {_value(definition)}"
        if isinstance(definition, Closure):
            return "a loop body"
        return "a stored value"
