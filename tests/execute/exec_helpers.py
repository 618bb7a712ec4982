"""Hand-built workplans over a small test namespace `t`, for the executor's tests.

Imported by the test modules of this folder (pytest puts the folder on sys.path; the module has
a unique name in the tests tree).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.ids import NodeId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, Goal, PlanNode, Workplan
from voxcas.primitives.registry import Namespace, Param, Registry
from voxcas.span import Span

CALLS: Counter[str] = Counter()
_LOCK = threading.Lock()
NAP_RELEASE = threading.Event()  # set it to end every `t.nap` early


def _count(name: str) -> None:
    with _LOCK:
        CALLS[name] += 1


def make_registry() -> Registry:
    ns = Namespace("t", doc="executor test primitives")

    @ns.primitive(params=(Param("a", "number"), Param("b", "number")))
    def add(a: Any, b: Any) -> Any:
        _count("add")
        return a + b

    @ns.primitive(params=(Param("a", "number"),))
    def inc(a: Any) -> Any:
        _count("inc")
        return a + 1

    @ns.primitive(params=(Param("a", "any"),))
    def boom(a: Any) -> Any:
        _count("boom")
        raise PrimitiveError("t.boom", f"cannot take {a!r}", "a")

    @ns.primitive(params=(Param("a", "any"),))
    def crash(a: Any) -> Any:
        _count("crash")
        return {1: 2}[a]  # a bug, not a PrimitiveError: KeyError

    @ns.primitive(params=(Param("a", "any"),))
    def unstorable(a: Any) -> Any:
        return object()

    @ns.primitive(params=(Param("n", "int"),))
    def seq(n: int) -> Any:
        _count("seq")
        return list(range(n))

    @ns.primitive(params=(Param("a", "any"), Param("ms", "int")))
    def nap(a: Any, ms: int) -> Any:
        _count("nap")
        NAP_RELEASE.wait(ms / 1000)
        return a

    @ns.primitive(params=(Param("a", "any"),), pure=False)
    def impure(a: Any) -> Any:
        _count("impure")
        return a

    @ns.primitive(params=(Param("k", "int"),))
    def img(k: int) -> Any:
        import numpy as np

        from voxcas.values import Image

        _count("img")
        return Image.from_array(np.full((3, 4), k, dtype=np.int32))

    @ns.primitive(params=(Param("i", "any"),))
    def total(i: Any) -> Any:
        _count("total")
        return int(i.array.sum())

    registry = Registry(modules={"default": "voxcas.primitives.default"})
    registry.add_namespace(ns)
    return registry


class PlanBuilder:
    """Builds a `Workplan` node by node, with spans `prog.imgql:<line>:1` when asked."""

    def __init__(self) -> None:
        self.plan = Workplan()

    def add(self, definition: Any, line: int | None = None, label: str | None = None) -> NodeId:
        nid = node_id(definition)
        span = Span("prog.imgql", line, 1, line, 2) if line is not None else None
        self.plan.add(PlanNode(nid, definition, span, label))
        return nid

    def const(self, value: Any) -> NodeId:
        kind = {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]
        return self.add(Const(kind, value))  # type: ignore[arg-type]

    def app(self, op: str, *args: NodeId, line: int | None = None, label: str | None = None) -> NodeId:
        nid = self.add(Apply(f"t.{op}" if "." not in op else op, "1", tuple(args)), line, label)
        if label is not None:
            self.plan.names[label] = nid
        return nid

    def print(self, label: str, node: NodeId, line: int | None = None) -> None:
        span = Span("prog.imgql", line, 1, line, 6) if line is not None else None
        self.plan.goals.append(Goal("print", label, node, span))


def reduce(text: str, registry: Registry, path: str = "prog.imgql") -> Workplan:
    from voxcas.lang import reduce_source

    return reduce_source(text, path, registry=registry)


def chain(length: int, start: int = 0) -> tuple[PlanBuilder, list[NodeId]]:
    """x0 = start; x_{i+1} = inc(x_i); print "last" x_n."""
    b = PlanBuilder()
    ids = [b.const(start)]
    for _ in range(length):
        ids.append(b.app("inc", ids[-1]))
    b.print("last", ids[-1])
    return b, ids
