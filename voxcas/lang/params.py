"""Program parameters: `vox run prog.imgql -p threshold=0.9` (or `voxcas.run(..., params=...)`)
replaces the value of a top-level declaration of the program by a constant.

A parameter is an ordinary constant of the program: it is part of the node ids of everything that
depends on it (a run with another value computes what changed and reuses the rest), and the run
record keeps the parameters it ran with. Only values declared at the top level of the program file
itself can be set (not functions, not names of imported files); setting a name the program does
not declare is an error naming the names it does declare.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from voxcas.errors import UsageError
from voxcas.plan.nodes import Const

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")


def parse_assignment(text: str) -> tuple[str, Any]:
    """`threshold=0.9` -> ("threshold", 0.9): numbers, `true`/`false`, anything else a string
    (quote it, `-p 'name="0.9"'`, to pass digits as a string)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name):
        raise UsageError(f"parameter {text!r}: expected NAME=VALUE, e.g. -p threshold=0.9")
    return name, _literal(raw.strip())


def _literal(raw: str) -> Any:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.match(raw):
        return int(raw)
    try:
        number = float(raw)
    except ValueError:
        return raw
    return number if math.isfinite(number) else raw


def parse_assignments(texts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Every `-p NAME=VALUE` of a command line (a name given twice is an error)."""
    out: dict[str, Any] = {}
    for text in texts:
        name, value = parse_assignment(text)
        if name in out:
            raise UsageError(f"parameter {name!r} is given twice")
        out[name] = value
    return out


def param_const(name: str, value: Any) -> Const:
    """The constant node of a parameter's value (a bool, an int, a finite float or a string)."""
    if isinstance(value, bool):
        return Const("bool", value)
    if isinstance(value, int):
        return Const("int", value)
    if isinstance(value, float) and math.isfinite(value):
        return Const("float", value)
    if isinstance(value, str):
        return Const("str", value)
    raise UsageError(
        f"parameter {name!r}: {value!r} is not a number, a boolean or a string"
    )


def param_consts(params: Mapping[str, Any]) -> dict[str, Const]:
    return {name: param_const(name, value) for name, value in params.items()}


def record(params: Mapping[str, Const]) -> dict[str, Any]:
    """The parameters as a run records them (JSON values)."""
    return {name: const.value for name, const in params.items()}
