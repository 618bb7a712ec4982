"""The abstract syntax tree of VoxLogicA programs (language.md §2).

Every node is a frozen dataclass carrying the `Span` of the text it came from; spans do not take
part in equality, so two parses of differently laid out text compare equal when they mean the
same program (the pretty-printer round-trip test relies on this).

Infix and prefix operator uses (`a + b`, `-x`) are kept apart from the call form (`+(a, b)`) so
that the pretty-printer gives back what was written; the reducer treats them alike.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import get_args

from voxcas.span import Span

_NO_SPAN = Span("<none>", 0, 0, 0, 0)


# --- expressions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Var:
    """A program variable: `$stem`, `$file`, `$dir` (name without the `$`)."""

    name: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier, possibly qualified (`vox1.near`), used as a value or a nullary call."""

    name: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """`f(a, b)` or the operator call form `+(a, b)`."""

    func: str
    args: tuple[Expr, ...]
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    # the span of the operator token (where errors point)
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class UnOp:
    op: str
    operand: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Expr, ...]
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Index:
    target: Expr
    index: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Slice:
    target: Expr
    start: Expr | None
    stop: Expr | None
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    value: Expr
    body: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class For:
    var: str
    seq: Expr
    body: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Filter:
    var: str
    seq: Expr
    body: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Fold:
    op: str
    init: Expr | None
    seq: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


Expr = Num | Str | Bool | Var | Name | Call | BinOp | UnOp | Array | Index | Slice | Let | For | Filter | Fold


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decl:
    """`[let] x = e`, `[let] f(a, b) = e`, `let OP(a, b) = e` (params None for a value)."""

    name: str
    params: tuple[str, ...] | None
    body: Expr
    let: bool = False
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)  # the span of the declared name

    @property
    def is_function(self) -> bool:
        return self.params is not None


@dataclass(frozen=True, slots=True)
class Print:
    """`print "label" e`; the label may be computed (`print concat("vol_", stem(p)) e`)."""

    label: str | Expr
    expr: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Save:
    """`save "path" e`; the path may be computed (`save concat("out/", stem(p), ".png") e`)."""

    path: str | Expr
    expr: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class GoalLoop:
    """`for x in s do save TARGET e` (or `print`): the goal once per item of s, x bound to the item."""

    var: str
    seq: Expr
    goal: Print | Save
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Import:
    target: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LoadDecl:
    """VoxLogicA 1's `load x = "file"`, meaning `x = load("file")`."""

    name: str
    path: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


Command = Decl | Print | Save | GoalLoop | Import | LoadDecl


@dataclass(frozen=True, slots=True)
class Program:
    commands: tuple[Command, ...]
    path: str = field(default="<string>", compare=False)
    text: str = field(default="", compare=False, repr=False)
    # the grammar that read it (voxcas.lang.dialect) and what reading it has to say (warnings, notes)
    dialect: str = field(default="voxlogica2", compare=False, repr=False)
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def source_line(self, line: int) -> str | None:
        """The text of a 1-based line (for error carets)."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None


# --- faster construction --------------------------------------------------------------------
# A frozen dataclass's generated `__init__` stores each field with `object.__setattr__(self,
# "name", value)`, which looks the attribute up by name every time; the parser builds tens of
# thousands of nodes per 10,000-line program, and those stores were a large share of its time. Each node class
# gets an `__init__` with the same signature and defaults that stores through the slot
# descriptors directly (about half the cost). Instances are the same: still frozen, equal and
# hashed as before.


def _install_fast_init(cls: type) -> None:
    names = [f.name for f in fields(cls)]
    defaults: dict[str, object] = {}
    params = []
    for f in fields(cls):
        assert f.default_factory is MISSING, "no node field has a default factory"
        if f.default is not MISSING:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        else:
            params.append(f.name)
    namespace: dict[str, object] = {f"_s_{n}": getattr(cls, n).__set__ for n in names}
    namespace.update(defaults)
    body = "".join(f"    _s_{n}(self, {n})\n" for n in names)
    source = f"def __init__(self, {', '.join(params)}):\n{body}"
    exec(source, namespace)  # generated from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]


for _cls in (*get_args(Expr), *get_args(Command)):
    _install_fast_init(_cls)
