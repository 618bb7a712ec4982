"""Node definitions of a workplan and the plan itself.

A node *definition* is what its id covers (see `voxcas.plan.identity`):

- `Const`: a typed constant (`1`, `1.0`, `"1"` and `true` are four different nodes). Folded
  directory listings are constants of type `list` holding a tuple of strings.
- `Apply`: a primitive applied to argument nodes: qualified primitive name, the primitive's
  declared version, argument ids in order, and for primitives that read files a fingerprint
  of what they read.
- `Closure`: a loop body / function value for `for`, `filter`, `map`: its parameter count,
  its body as a `Template` in canonical form, and the ids of the values it captures.
- `ValueRef`: a node whose value is an existing store object, named by digest (a loop item
  that is not a scalar constant, e.g. an image of a dataset).

A `PlanNode` adds what the id does *not* cover: the source span and a display label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from voxcas.ids import Digest, NodeId
from voxcas.span import Span

Scalar = int | float | bool | str
ConstType = Literal["int", "float", "bool", "str", "list"]


@dataclass(frozen=True, slots=True)
class Const:
    type: ConstType
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Apply:
    op: str  # qualified primitive name, e.g. "vox1.near", "default.+"
    version: str
    args: tuple[NodeId, ...]
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class ValueRef:
    digest: Digest


# --- closure bodies -------------------------------------------------------------------------
# A template is a small plan whose nodes refer to each other by position. An argument
# reference is one of:
#   ("param", i)   the i-th parameter of the closure (the loop item)
#   ("capture", k) the k-th captured outer node (Closure.captures[k])
#   ("node", j)    the j-th earlier node of this template
TemplateRef = tuple[Literal["param", "capture", "node"], int]


@dataclass(frozen=True, slots=True)
class TConst:
    type: ConstType
    value: Scalar | tuple[Scalar, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TApply:
    op: str
    version: str
    args: tuple[TemplateRef, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TClosure:
    """A closure nested in a template: its captures are refs into the enclosing template."""

    params: int
    body: Template
    captures: tuple[TemplateRef, ...]
    span: Span | None = field(default=None, compare=False)


TemplateNode = TConst | TApply | TClosure


@dataclass(frozen=True, slots=True)
class Template:
    """A closure body: nodes in topological order and the ref of its result."""

    nodes: tuple[TemplateNode, ...]
    result: TemplateRef


@dataclass(frozen=True, slots=True)
class Closure:
    params: int
    body: Template
    captures: tuple[NodeId, ...]


Definition = Const | Apply | Closure | ValueRef


@dataclass(frozen=True, slots=True)
class PlanNode:
    """A node of a workplan: its id, its definition, and where it came from (not part of the id)."""

    id: NodeId
    definition: Definition
    span: Span | None = None
    label: str | None = None  # e.g. the declared name, for display

    @property
    def args(self) -> tuple[NodeId, ...]:
        """The nodes this node needs before it can run (closure captures included)."""
        d = self.definition
        if isinstance(d, Apply):
            return d.args
        if isinstance(d, Closure):
            return d.captures
        return ()


@dataclass(frozen=True, slots=True)
class Goal:
    """A `print "label" e` or `save "path" e` command, in program order.

    `pairs`: the label or path is computed (`save concat("out/", stem(p), ".png") e`, or a goal
    inside `for p in s do ...`): the node's value is then a sequence of [target, value] pairs,
    and `target` is the target's expression as text (for listings)."""

    kind: Literal["print", "save"]
    target: str  # the print label or the save path
    node: NodeId
    span: Span | None = None
    pairs: bool = False


@dataclass(slots=True)
class Workplan:
    """A reduced program: nodes in topological order (dependencies first), goals in program order,
    the node of every top-level declared value name (for `vox run --show NAME`), and the files the
    program imported, as (path shown, text) in the order first read (a run records them)."""

    nodes: dict[NodeId, PlanNode] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    names: dict[str, NodeId] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    imports: list[tuple[str, str]] = field(default_factory=list)

    def add(self, node: PlanNode) -> NodeId:
        """Add a node unless one with the same id exists (equal ids are equal computations)."""
        if node.id not in self.nodes:
            self.nodes[node.id] = node
        return node.id

    def needed_by(self, roots: list[NodeId]) -> list[NodeId]:
        """Every node reachable from `roots`, dependencies first (iterative: deep chains are fine)."""
        return dependencies_first(self.nodes, roots)


def dependencies_first(nodes: Mapping[NodeId, PlanNode], roots: list[NodeId]) -> list[NodeId]:
    """Every node of `nodes` reachable from `roots`, dependencies before dependents.

    Iterative (an explicit stack), so a chain 10,000 deep is no problem; `nodes[...]` is the only
    access, so a lazily completed mapping (`voxcas.plan.cache.LazyNodes`) works."""
    seen: set[NodeId] = set()
    order: list[NodeId] = []
    stack: list[tuple[NodeId, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        nid, expanded = stack.pop()
        if expanded:
            order.append(nid)
            continue
        if nid in seen:
            continue
        seen.add(nid)
        stack.append((nid, True))
        for arg in reversed(nodes[nid].args):
            if arg not in seen:
                stack.append((arg, False))
    return order


# The fingerprint of a file-reading application whose path is known only while the program runs
# (computed by a primitive that is not folded): see `voxcas.plan.volatile`.
RUNTIME_READ = "read at run time"


# Applications of these primitives are loops: the executor runs them itself (closure over a
# sequence, item by item, each item a sub-workplan instantiated from the closure's template),
# instead of calling a primitive function.
LOOP_OPS: frozenset[str] = frozenset({"default.for", "default.filter", "default.map"})
