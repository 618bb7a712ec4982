"""Dialects: which grammar reads a program (`vox run --dialect voxlogica1|voxlogica2`).

- `voxlogica2` is voxcas's own language (language.md), a superset of VoxLogicA-2's.
- `voxlogica1` is VoxLogicA 1's grammar (`voxcas.lang.parser_vox1`), with VoxLogicA 1's
  implicit standard library: the program is read as if it began with `import "vox1"`, and the
  files it imports are read with the same grammar (so VoxLogicA 1's own `stdlib.imgql` imports).

Without a dialect, it is detected: a program that voxcas's grammar does not read but VoxLogicA
1's does is VoxLogicA 1, and so is one that both read when it uses VoxLogicA 1's
`load x = "file"` command; a note says so. A program neither grammar reads is an error at the
position where the grammar of the form it uses first stops.

In `voxlogica2`, a program that VoxLogicA 1's grammar also reads, but groups differently (VoxLogicA
1 has no precedence and a prefix operator takes everything to its right), gets one warning per
differing command, with both readings.
"""

from __future__ import annotations

import re

from voxcas.errors import UsageError, VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.span import Span

DIALECTS = ("voxlogica1", "voxlogica2")
_LOAD_COMMAND = re.compile(r"^[ \t]*load[ \t]+[a-z][A-Za-z0-9]*[ \t]*=", re.M)


def check_dialect(name: str | None) -> str | None:
    """`name` if it is a dialect (or None); else a UsageError listing them."""
    if name is None or name in DIALECTS:
        return name
    raise UsageError(f"unknown dialect '{name}' (use {' or '.join(DIALECTS)})")


def parse_dialect(text: str, path: str, dialect: str | None) -> A.Program:
    """The program in `dialect`, or in the detected one (`Program.dialect`, `Program.notes`)."""
    from voxcas.lang.parser import parse_program
    from voxcas.lang.parser_vox1 import parse_vox1

    if dialect == "voxlogica1":
        return _as_vox1(parse_vox1(text, path), ())
    if dialect == "voxlogica2":
        program = parse_program(text, path)
        return _with(program, "voxlogica2", _grouping_warnings(program, text, path))
    try:
        program = parse_program(text, path)
    except VoxSyntaxError as own:
        try:
            vox1 = parse_vox1(text, path)
        except VoxSyntaxError as other:
            if not _looks_vox1(text) or own.span is None:
                raise own from None
            where = f"{own.span.line}:{own.span.col}"
            raise VoxSyntaxError(
                f"the program mixes VoxLogicA 1 and VoxLogicA-2 forms: {other.bare_message} "
                f"(as VoxLogicA-2, at {where}: {own.bare_message}); --dialect chooses one",
                other.span,
                other.source_line,
            ) from None
        return _as_vox1(vox1, (_note(path, "voxcas's grammar does not read it"),))
    load = _LOAD_COMMAND.search(text)
    if load is not None:
        try:
            vox1 = parse_vox1(text, path)
        except VoxSyntaxError:
            return program
        line = text.count("\n", 0, load.start()) + 1
        return _as_vox1(vox1, (_note(path, f"its line {line} is VoxLogicA 1's load command"),))
    return _with(program, "voxlogica2", _grouping_warnings(program, text, path))


def _looks_vox1(text: str) -> bool:
    return _LOAD_COMMAND.search(text) is not None or re.search(r"^[ \t]*let[ \t]", text, re.M) is not None


def _note(path: str, why: str) -> str:
    return f"{path}: note: reading it as VoxLogicA 1 ({why}); --dialect voxlogica2 reads it otherwise"


def _with(program: A.Program, dialect: str, notes: tuple[str, ...]) -> A.Program:
    return A.Program(program.commands, program.path, program.text, dialect, notes)


def _as_vox1(program: A.Program, notes: tuple[str, ...]) -> A.Program:
    """VoxLogicA 1's implicit standard library: the vox1 namespace, imported first."""
    first = A.Import("vox1", Span(program.path, 1, 1, 1, 2))
    return A.Program((first, *program.commands), program.path, program.text, "voxlogica1", notes)


def _grouping_warnings(program: A.Program, text: str, path: str) -> tuple[str, ...]:
    from voxcas.lang.parser_vox1 import parse_vox1

    if not re.search(r"^[ \t]*let[ \t]", text, re.M):
        return ()  # VoxLogicA 1 declares only with let: nothing it reads alike
    try:
        other = parse_vox1(text, path)
    except VoxSyntaxError:
        return ()
    if len(other.commands) != len(program.commands):
        return ()
    warnings = []
    for mine, theirs in zip(program.commands, other.commands, strict=True):
        body, alt = _body(mine), _body(theirs)
        if body is None or alt is None or body == alt:
            continue
        warnings.append(
            f"{mine.span}: warning: VoxLogicA 1 groups this differently: here it is "
            f"{_grouped(body)}, in VoxLogicA 1 {_grouped(alt)}"
        )
    return tuple(warnings)


def _body(cmd: A.Command) -> A.Expr | None:
    if isinstance(cmd, A.Decl):
        return cmd.body
    if isinstance(cmd, A.Print | A.Save):
        return cmd.expr
    return None


def _grouped(e: A.Expr) -> str:
    """The expression with every operator use parenthesised (the grouping made visible)."""
    from voxcas.lang.pretty import expr as pretty_expr

    if isinstance(e, A.BinOp):
        return f"({_grouped(e.left)} {e.op} {_grouped(e.right)})"
    if isinstance(e, A.UnOp):
        return f"{e.op}({_grouped(e.operand)})"
    if isinstance(e, A.Call):
        return f"{e.func}({', '.join(_grouped(a) for a in e.args)})"
    return pretty_expr(e)
