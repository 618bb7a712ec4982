"""Argument kinds known before running: a constant, or a primitive's declared result, passed where
a primitive declares a scalar kind (int, float, number, bool, str).

`argument_problem` finds what the run would report later, so `vox run` and `vox plan` refuse it
at the call's position before any node runs. It is deliberately conservative: a constant is
checked with the very coercion a primitive applies at run time (`registry.coerce`), and a
computed argument only when its declared result can never be the declared parameter kind; every
argument of kind "any" (images in vox1 are undeclared) waits for the run.
"""

from __future__ import annotations

from collections.abc import Sequence

from voxcas.errors import PrimitiveError
from voxcas.lang.builder import Val
from voxcas.plan.fold import const_value
from voxcas.primitives.registry import Param, Primitive, coerce

SCALAR_KINDS = frozenset({"int", "float", "number", "bool", "str"})
# a declared result kind -> the scalar parameter kinds it can never satisfy
NEVER = {
    "image": SCALAR_KINDS,
    "mask": SCALAR_KINDS,
    "seq": SCALAR_KINDS,
    "str": frozenset({"int", "float", "number", "bool"}),
    "bool": frozenset({"int", "float", "number", "str"}),
    "int": frozenset({"bool", "str"}),
    "float": frozenset({"bool", "str"}),
    "number": frozenset({"bool", "str"}),
}
EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "number": "a number",
    "bool": "a boolean",
    "str": "a string",
}
AN = {"image": "an image", "mask": "a boolean image", "seq": "a sequence", "str": "a string"}


def _params(prim: Primitive, n: int) -> list[Param | None]:
    params: list[Param | None] = list(prim.params[:n])
    params += [prim.variadic] * (n - len(params))
    return params


def argument_problem(prim: Primitive, vals: Sequence[Val]) -> str | None:
    """The error a call of `prim` on `vals` (the written arguments, no base image) is bound to
    raise at run time, as `PrimitiveError` words it, or None when only the run can tell."""
    for param, val in zip(_params(prim, len(vals)), vals, strict=True):
        if param is None or param.kind not in SCALAR_KINDS:
            continue
        if val.const is not None:
            try:
                coerce(prim.qualified, param, const_value(val.const))
            except PrimitiveError as error:
                return str(error)
        elif param.kind in NEVER.get(val.kind, frozenset()):
            got = AN.get(val.kind, f"a {val.kind}")
            return str(
                PrimitiveError(prim.qualified, f"expected {EXPECTED[param.kind]}, got {got}", param.name)
            )
    return None
