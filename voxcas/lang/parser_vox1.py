"""The VoxLogicA 1 grammar (`vox run --dialect voxlogica1`), to the same AST as voxcas's own.

It follows VoxLogicA 1's FParsec parser (`vincenzoml/VoxLogicA`, `src/Parser.fs`) rule by rule:

- an identifier starts with a lower-case letter and goes on with letters and digits;
- an *operator* is a run of upper-case letters and ``#;:_'.|!$%&/^=*-+<>?@~\\``: `N`, `B+`, `&`,
  `.<=`, `T` are all operators, usable prefix (`N a`: the operator takes the whole expression to
  its right) and infix (`a ~> b`), with extra arguments in brackets (`a OP [x, y] b` is
  `OP(a, b, x, y)`);
- infix is right-recursive with no precedence: `a & b | c` is `a & (b | c)`, `!a & b` is
  `!(a & b)`;
- commands are `load x = "file"`, `save "file" e`, `print "label" e`, `import "file"` and
  `let name(params) = e` (`let` is required; an operator can be declared, `let B+(a) = ...`);
- numbers are decimal (a whole number stays an integer, so `volume(a) .=. 0` has the ids of the
  same text read as VoxLogicA-2), `true`, `false`, strings without escapes, `//` comments.

The AST is voxcas's (`voxcas.lang.ast`): an operator made only of voxcas operator characters
becomes the same `BinOp`/`UnOp` voxcas's parser makes, any other (`N`, `B+`) a call of that name,
so the same computation written in either dialect reduces to the same nodes and ids. Errors are
`VoxSyntaxError`s at the position where the program stops following the grammar.
"""

from __future__ import annotations

import bisect
import re

from voxcas.errors import VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.lang.lexer import OP_CHARS
from voxcas.span import Span

_OPERATOR_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ#;:_'.|!$%&/^=*-+<>?@~\\")
_VOXCAS_OP = frozenset(OP_CHARS)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[a-z][A-Za-z0-9]*")


class _NoMatch(Exception):
    """This alternative does not apply here (the caller backtracks)."""


class Vox1Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0
        self.furthest = 0  # where the program stops following the grammar (errors point there)
        self.expected = "a command"
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    # --- positions and errors --------------------------------------------------------------
    def where(self, pos: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, pos)
        return line, pos - self.line_starts[line - 1] + 1

    def span(self, start: int, end: int | None = None) -> Span:
        line, col = self.where(start)
        end_line, end_col = self.where(end if end is not None else start + 1)
        return Span(self.path, line, col, end_line, max(end_col, col + 1) if end_line == line else end_col)

    def fail(self, expected: str) -> _NoMatch:
        if self.pos >= self.furthest:
            self.furthest, self.expected = self.pos, expected
        return _NoMatch()

    def error(self) -> VoxSyntaxError:
        pos = self.furthest
        line, col = self.where(pos)
        found = self.text[pos] if pos < len(self.text) else None
        what = "end of file" if found is None else repr(found)
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        source = self.text[start:] if end < 0 else self.text[start:end]
        return VoxSyntaxError(
            f"VoxLogicA 1 syntax: expected {self.expected}, found {what}",
            Span(self.path, line, col, line, col + 1),
            source,
        )

    # --- lexical ---------------------------------------------------------------------------
    def spaces(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                return

    def literal(self, s: str) -> bool:
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            self.spaces()
            return True
        return False

    def keyword(self, word: str, need_space: bool) -> bool:
        if not self.text.startswith(word, self.pos):
            return False
        after = self.pos + len(word)
        spaced = after < len(self.text) and (self.text[after].isspace() or self.text.startswith("//", after))
        if need_space and not spaced:
            return False
        self.pos = after
        self.spaces()
        return True

    def ident(self) -> tuple[str, int]:
        m = _IDENT.match(self.text, self.pos)
        if m is None:
            raise self.fail("an identifier")
        start = self.pos
        self.pos = m.end()
        self.spaces()
        return m.group(), start

    def operator(self) -> tuple[str, int]:
        start = end = self.pos
        text = self.text
        while end < len(text) and text[end] in _OPERATOR_CHARS and not text.startswith("//", end):
            end += 1
        if end == start:
            raise self.fail("an operator")
        self.pos = end
        self.spaces()
        return text[start:end], start

    def string(self) -> tuple[str, int]:
        start = self.pos
        if not self.text.startswith('"', start):
            raise self.fail("a quoted string")
        end = self.text.find('"', start + 1)
        if end < 0:
            self.pos = len(self.text)
            raise self.fail("a closing quote")
        self.pos = end + 1
        self.spaces()
        return self.text[start + 1 : end], start

    # --- expressions -----------------------------------------------------------------------
    def args(self, open_: str, close: str) -> tuple[A.Expr, ...]:
        if not self.literal(open_):
            raise self.fail(f"'{open_}'")
        items = [self.expr()]
        while self.literal(","):
            items.append(self.expr())
        if not self.literal(close):
            raise self.fail(f"',' or '{close}'")
        return tuple(items)

    def simple(self) -> A.Expr:
        start = self.pos
        m = _NUMBER.match(self.text, start)
        if m is not None:
            self.pos = m.end()
            self.spaces()
            digits = m.group()
            value: int | float = int(digits) if re.fullmatch(r"[+-]?\d+", digits) else float(digits)
            return A.Num(value, self.span(start, m.end()))
        for word, value_ in (("true", True), ("false", False)):
            if self.text.startswith(word, start):
                self.pos = start + len(word)
                self.spaces()
                return A.Bool(value_, self.span(start, start + len(word)))
        if self.text.startswith('"', start):
            value_s, _ = self.string()
            return A.Str(value_s, self.span(start, self.pos))
        name, _ = self.ident()
        if self.text.startswith("(", self.pos):
            return A.Call(name, self.args("(", ")"), self.span(start, start + len(name)))
        return A.Name(name, self.span(start, start + len(name)))

    def bracketed(self) -> A.Expr:
        if not self.literal("("):
            raise self.fail("an expression")
        inner = self.expr()
        if not self.literal(")"):
            raise self.fail("an operator or ')'")
        return inner

    def expr(self) -> A.Expr:
        start = self.pos
        bracket: A.Expr | None = None
        after = start
        try:  # infix: an operand, an operator, [extra arguments], the expression to its right
            if self.text.startswith("(", start):
                left = bracket = self.bracketed()
            else:
                left = self.simple()
            after = self.pos
            op, op_pos = self.operator()
        except _NoMatch:
            if bracket is not None:  # a bracketed operand alone: parsing it again would cost 2^depth
                self.pos = after
                return bracket
            self.pos = start
        else:
            extra = self.args("[", "]") if self.text.startswith("[", self.pos) else ()
            right = self.expr()
            return _apply(op, (left, right, *extra), self.span(op_pos, op_pos + len(op)))
        try:
            return self.simple()
        except _NoMatch:
            self.pos = start
        if self.pos < len(self.text) and self.text[self.pos] in _OPERATOR_CHARS:
            op, op_pos = self.operator()
            return _apply(op, (self.expr(),), self.span(op_pos, op_pos + len(op)))
        return self.bracketed()

    # --- commands --------------------------------------------------------------------------
    def command(self) -> A.Command:
        start = self.pos
        if self.keyword("load", True):
            name, _ = self.ident()
            if not self.literal("="):
                raise self.fail("'='")
            path, _ = self.string()
            return A.LoadDecl(name, path, self.span(start, start + 4))
        for word in ("save", "print"):
            if self.keyword(word, False):
                target, _ = self.string()
                body = self.expr()
                span = self.span(start, start + len(word))
                return A.Save(target, body, span) if word == "save" else A.Print(target, body, span)
        if self.keyword("import", False):
            target, _ = self.string()
            return A.Import(target, self.span(start, start + 6))
        if self.keyword("let", True):
            name_pos = self.pos
            name, _ = self.ident() if _IDENT.match(self.text, self.pos) else self.operator()
            params: tuple[str, ...] | None = None
            if self.literal("("):
                names = [self.ident()[0]]
                while self.literal(","):
                    names.append(self.ident()[0])
                if not self.literal(")"):
                    raise self.fail("',' or ')'")
                params = tuple(names)
            if not self.literal("="):
                raise self.fail("'='")
            body = self.expr()
            return A.Decl(name, params, body, True, self.span(name_pos, name_pos + len(name)))
        raise self.fail("a command (let, load, save, print, import)")

    def program(self) -> A.Program:
        self.spaces()
        commands: list[A.Command] = []
        while self.pos < len(self.text):
            try:
                commands.append(self.command())
            except _NoMatch:
                raise self.error() from None
        return A.Program(tuple(commands), self.path, self.text)


def _apply(op: str, args: tuple[A.Expr, ...], span: Span) -> A.Expr:
    """An operator use as voxcas's parser would make it (or a call of an operator named otherwise)."""
    if all(c in _VOXCAS_OP for c in op) and op != "=":
        if len(args) == 2:
            return A.BinOp(op, args[0], args[1], span)
        if len(args) == 1:
            return A.UnOp(op, args[0], span)
    return A.Call(op, args, span)


def parse_vox1(text: str, path: str = "<string>") -> A.Program:
    """Parse a whole VoxLogicA 1 program (`VoxSyntaxError` where it stops following the grammar)."""
    from voxcas.lang.parser import gc_paused

    with gc_paused():
        return Vox1Parser(text, path).program()
