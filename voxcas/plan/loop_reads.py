"""What a loop's shape says about the files it reads: its closure and sequence, and whether its
body (nested bodies and captured closures included) can read a file at all.

Pure functions over node definitions, shared by closure instantiation (`voxcas.plan.template`)
and the volatility analysis (`voxcas.plan.volatile`), so neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voxcas.ids import NodeId
from voxcas.plan.nodes import Closure, Definition, TApply, TClosure, Template
from voxcas.primitives.registry import Registry

Lookup = Callable[[NodeId], Definition | None]  # the definition of a node outside a template


def split_loop(args: Sequence[NodeId], lookup: Lookup) -> tuple[Closure, NodeId] | None:
    """A loop's closure and its sequence's node, from the loop's two arguments (either order)."""
    if len(args) != 2:
        return None
    a, b = args
    first = lookup(a)
    if isinstance(first, Closure):
        return first, b
    second = lookup(b)
    if isinstance(second, Closure):
        return second, a
    return None


def template_reads_files(template: Template, registry: Registry) -> bool:
    """Whether running `template` (nested loop bodies included) can read a file."""
    for node in template.nodes:
        if isinstance(node, TClosure) and template_reads_files(node.body, registry):
            return True
        if isinstance(node, TApply):
            prim = registry.find(node.op)
            if prim is not None and prim.reads_files:
                return True
    return False


def closure_reads_files(closure: Closure, lookup: Lookup, registry: Registry) -> bool:
    """Whether a loop over `closure` can read files (its body, or a closure it captures)."""
    if template_reads_files(closure.body, registry):
        return True
    for capture in closure.captures:
        inner = lookup(capture)
        if isinstance(inner, Closure) and closure_reads_files(inner, lookup, registry):
            return True
    return False
