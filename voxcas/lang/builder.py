"""Plan builders: where the reducer creates nodes, with loop-invariant hoisting.

The reducer works with `Val`s: a reference to a node in some builder, plus the node's constant
when it is one. There is one builder per nesting level:

- `RootBuilder` (level 0) adds `PlanNode`s with concrete ids to the `Workplan`;
- `TemplateBuilder` (level k > 0) collects the body of a loop closure as a `Template` whose
  nodes refer to the loop parameter, to captured outer values, and to earlier template nodes.

An application is created in the *innermost builder any of its arguments lives in*: a
sub-expression of a loop body that does not depend on the loop item is hoisted out of the
closure into the enclosing level (so it runs once, and its result is shared by every item);
only item-dependent work stays in the template. A value crossing into an inner level becomes a
capture of that closure (chained level by level); a constant crossing into a template becomes
a template constant instead, so that `instantiate` can fold and fingerprint with it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from voxcas.ids import NodeId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import (
    Apply,
    Closure,
    Const,
    PlanNode,
    TApply,
    TClosure,
    TConst,
    Template,
    TemplateNode,
    TemplateRef,
    Workplan,
)
from voxcas.span import Span

_serials = itertools.count(1)

Ref = NodeId | TemplateRef


@dataclass(frozen=True, slots=True)
class Val:
    """A reduced expression: its node's reference in `builder`, and its constant if it is one."""

    builder: Builder
    ref: Ref
    const: Const | None = None
    kind: str = "any"  # the declared result kind of the primitive that computes it (registry kinds)

    @property
    def key(self) -> tuple[int, Ref]:
        """Hashable identity of the value (for memoised function applications)."""
        return (self.builder.serial, self.ref)


class Builder:
    level: int
    serial: int
    parent: Builder | None
    base: Val | None  # the base image of this level (primitives.md), once an image is loaded

    def const(self, const: Const, span: Span | None) -> Ref:
        raise NotImplementedError

    def apply(
        self, op: str, version: str, args: tuple[Ref, ...], fingerprint: str | None, span: Span | None
    ) -> Ref:
        raise NotImplementedError

    def closure(self, template: Template, captures: tuple[Ref, ...], span: Span | None) -> Ref:
        raise NotImplementedError

    def capture(self, parent_ref: Ref) -> Ref:
        raise NotImplementedError

    def lift(self, val: Val) -> Ref:
        """The reference to `val` usable in this builder (capturing it level by level)."""
        if val.builder is self:
            return val.ref
        if val.const is not None:
            return self.const(val.const, None)
        if self.parent is None:
            raise AssertionError("a value of an inner level cannot reach the root")
        return self.capture(self.parent.lift(val))


class RootBuilder(Builder):
    def __init__(self, workplan: Workplan) -> None:
        self.level = 0
        self.serial = next(_serials)
        self.parent = None
        self.base = None
        self.workplan = workplan
        # constants are added to the plan only when something uses them (a folded `1 + 2`
        # leaves no trace of the 1 and the 2)
        self.pending: dict[NodeId, PlanNode] = {}
        self.const_ids: dict[object, NodeId] = {}

    def lift(self, val: Val) -> Ref:
        if val.const is not None and val.builder is self:
            nid = val.ref
            if nid not in self.workplan.nodes:
                self.workplan.nodes[nid] = self.pending.pop(nid)  # type: ignore[arg-type,index]
            return nid
        return super().lift(val)

    def _add(self, definition: Const | Apply | Closure, span: Span | None) -> NodeId:
        nid = node_id(definition)
        if nid not in self.workplan.nodes:
            self.workplan.nodes[nid] = PlanNode(nid, definition, span)
        return nid

    def const(self, const: Const, span: Span | None) -> Ref:
        # ids of repeated constants are remembered (not floats: 0.0 == -0.0 but their ids differ)
        key = (const.type, const.value) if const.type in ("int", "str", "bool") else None
        nid = self.const_ids.get(key) if key is not None else None
        if nid is None:
            nid = node_id(const)
            if key is not None:
                self.const_ids[key] = nid
        if nid not in self.workplan.nodes and nid not in self.pending:
            self.pending[nid] = PlanNode(nid, const, span)
        return nid

    def apply(
        self, op: str, version: str, args: tuple[Ref, ...], fingerprint: str | None, span: Span | None
    ) -> Ref:
        return self._add(Apply(op, version, args, fingerprint), span)  # type: ignore[arg-type]

    def closure(self, template: Template, captures: tuple[Ref, ...], span: Span | None) -> Ref:
        return self._add(Closure(1, template, captures), span)  # type: ignore[arg-type]

    def capture(self, parent_ref: Ref) -> Ref:  # pragma: no cover - the root has no parent
        raise AssertionError("the root level captures nothing")

    def label(self, nid: NodeId, label: str) -> None:
        """Name a node for display (the first declared name wins)."""
        node = self.workplan.nodes[nid]
        if node.label is None:
            self.workplan.nodes[nid] = replace(node, label=label)


@dataclass
class TemplateBuilder(Builder):
    parent: Builder | None
    level: int = 0
    serial: int = 0
    base: Val | None = None
    nodes: list[TemplateNode] = field(default_factory=list)
    index: dict[object, int] = field(default_factory=dict)
    captures: list[Ref] = field(default_factory=list)
    capture_index: dict[Ref, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.parent is not None
        self.level = self.parent.level + 1
        self.serial = next(_serials)

    def _add(self, node: TemplateNode) -> Ref:
        # 0.0 == -0.0 (and they hash alike) but they are different constants: key floats by repr
        key: object = node
        if isinstance(node, TConst) and node.type == "float":
            key = ("float", repr(node.value))
        j = self.index.get(key)
        if j is None:
            j = len(self.nodes)
            self.nodes.append(node)
            self.index[key] = j
        return ("node", j)

    def const(self, const: Const, span: Span | None) -> Ref:
        return self._add(TConst(const.type, const.value, span))

    def apply(
        self, op: str, version: str, args: tuple[Ref, ...], fingerprint: str | None, span: Span | None
    ) -> Ref:
        return self._add(TApply(op, version, args, span))  # type: ignore[arg-type]

    def closure(self, template: Template, captures: tuple[Ref, ...], span: Span | None) -> Ref:
        return self._add(TClosure(1, template, captures, span))  # type: ignore[arg-type]

    def capture(self, parent_ref: Ref) -> Ref:
        k = self.capture_index.get(parent_ref)
        if k is None:
            k = len(self.captures)
            self.captures.append(parent_ref)
            self.capture_index[parent_ref] = k
        return ("capture", k)

    def template(self, result: Val) -> Template:
        ref = self.lift(result)  # may add a constant or a capture: before the nodes are read
        return Template(tuple(self.nodes), ref)  # type: ignore[arg-type]
