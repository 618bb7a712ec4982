"""The parser: tokens to an AST (language.md §2, precedence §3).

A hand-written recursive-descent parser over the token list. Infix chains are parsed with an
explicit operator stack (precedence climbing without recursion), so a 10,000-term sum costs no
stack depth; nested parentheses and calls recurse, which `voxcas.lang.deep.run_deep` makes safe
to depth 10,000 and beyond. Every node carries the span of the token that names it (the
operator of an infix use, the function name of a call, the first token otherwise).

Grammar decisions the spec leaves to the implementation:
- a bare `=` is never an infix operator (it ends a declaration's expression);
- `OP(x)` with one argument is the prefix use `OP x`; `OP(a, b, ...)` is a call;
- `x=-1` (no spaces) declares `x = -1`: an operator token after a declared name that starts
  with a single `=` is split;
- inside `[ ]`, an operator token starting with `:` is the slice colon (`s[1:-1]` works);
- `let`, `for`, `filter` and `fold` may also be operands (`1 + let x = 2 in x * 3` is
  `1 + (let x = 2 in (x * 3))`): wherever an expression may appear, as language.md §2 says;
- in `fold op a b`, a `[` preceded by whitespace starts `b` (`fold + 0 [1, 2]`), while `a[0]`
  written without the space indexes `a`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from voxcas.errors import VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.lang.lexer import Token, syntax_error, tokenize
from voxcas.span import Span

_LEVELS = {
    "|": 1,
    "^": 2,
    "&": 3,
    "=": 4,
    "!": 4,
    "<": 5,
    ">": 5,
    ":": 6,
    "+": 7,
    "-": 7,
    "*": 8,
    "/": 8,
    "%": 8,
}
PROGRAM_VARIABLES = ("stem", "file", "dir")

# `Span` is a frozen dataclass: its `__init__` stores each field through `object.__setattr__`
# with a name lookup. The parser makes one span per AST node, so it builds them through the slot
# descriptors directly (the same frozen `Span`, in about half the time).
_new_object = object.__new__
_set_path = Span.__dict__["path"].__set__
_set_line = Span.__dict__["line"].__set__
_set_col = Span.__dict__["col"].__set__
_set_end_line = Span.__dict__["end_line"].__set__
_set_end_col = Span.__dict__["end_col"].__set__
_set_inner = Span.__dict__["inner"].__set__
_LEVEL_OF: dict[str, int] = {}  # precedence() of the operators met so far
_OPEN_ENDED = frozenset({"let", "for", "filter", "fold"})  # expressions whose body extends right


def precedence(op: str) -> int:
    """The infix level of an operator: from its first character that is not a dot (9 if none)."""
    for ch in op:
        if ch != ".":
            return _LEVELS.get(ch, 9)
    return 9


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "end of file"
    if tok.kind == "str":
        return f"string {tok.text}"
    return f"'{tok.text}'"


# deepest nesting of expressions (parentheses, calls, lists, prefix operators) a program may have:
# far beyond hand-written programs, well inside what `voxcas.lang.deep`'s stack can walk
MAX_NESTING = 20_000


class Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.toks = tokenize(text, path)
        self.i = 0
        self.depth = 0

    def enter(self) -> None:
        """One level deeper into an expression; past `MAX_NESTING`, a syntax error at this token."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"expressions nested deeper than {MAX_NESTING} levels")

    # --- helpers --------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.toks[-1]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def span(self, tok: Token) -> Span:
        """The span of one token (an empty token, the end of file, covers one column)."""
        span: Span = _new_object(Span)
        line = tok.line
        col = tok.col
        _set_path(span, self.path)
        _set_line(span, line)
        _set_col(span, col)
        _set_end_line(span, line)
        _set_end_col(span, col + (len(tok.text) or 1))
        _set_inner(span, None)
        return span

    def error(self, message: str, tok: Token | None = None) -> VoxSyntaxError:
        t = tok or self.tok
        return syntax_error(self.text, self.path, t.pos, t.line, t.col, message)

    def is_punct(self, text: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "punct" and t.text == text

    def is_op(self, text: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "op" and t.text == text

    def is_kw(self, text: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "kw" and t.text == text

    def expect_punct(self, text: str, context: str) -> Token:
        if not self.is_punct(text):
            raise self.error(f"expected '{text}' {context}, found {_describe(self.tok)}")
        return self.advance()

    def expect_equals(self, context: str) -> None:
        """Consume the `=` of a declaration, splitting `=-1` (written without spaces) into `=` and `-`."""
        t = self.tok
        if t.kind != "op" or not t.text.startswith("=") or t.text.startswith("=="):
            raise self.error(f"expected '=' {context}, found {_describe(t)}")
        if t.text == "=":
            self.advance()
        else:
            rest = t.text[1:]
            self.toks[self.i] = Token("op", rest, rest, t.line, t.col + 1, t.pos + 1)

    def expect_ident(self, context: str, *, qualified: bool = False) -> Token:
        t = self.tok
        if t.kind == "kw":
            raise self.error(f"'{t.text}' is a keyword and cannot be used as a name")
        if t.kind == "var" and self.is_op("=", self.peek()):
            raise self.error(f"program variable '${t.value}' is read-only and cannot be declared")
        if t.kind != "ident":
            raise self.error(f"expected a name {context}, found {_describe(t)}")
        if not qualified and "." in t.text:
            raise self.error(f"cannot declare the qualified name '{t.text}'")
        return self.advance()

    def expect_string(self, context: str) -> Token:
        if self.tok.kind != "str":
            raise self.error(f"expected a string {context}, found {_describe(self.tok)}")
        return self.advance()

    # --- commands -------------------------------------------------------------------------
    def program(self) -> A.Program:
        commands: list[A.Command] = []
        toks = self.toks
        while toks[self.i].kind != "eof":
            commands.append(self.command())
        return A.Program(tuple(commands), self.path, self.text)

    def command(self) -> A.Command:
        t = self.toks[self.i]
        if t.kind == "kw":
            if t.text == "let":
                self.advance()
                if self.tok.kind == "op" and self.tok.text != "=":
                    return self.operator_declaration()
                return self.declaration(let=True)
            if t.text in ("print", "save"):
                self.advance()
                return self.goal(t)
            if t.text == "for" and self.peek().kind == "ident":
                return self.goal_loop()
            if t.text == "import":
                self.advance()
                target = self.expect_string("after 'import'")
                return A.Import(str(target.value), self.span(t))
            if t.text == "load":
                self.advance()
                name = self.expect_ident("after 'load'")
                self.expect_equals(f"after 'load {name.text}'")
                path = self.expect_string(f"after 'load {name.text} ='")
                return A.LoadDecl(name.text, str(path.value), self.span(name))
        if t.kind == "ident":
            return self.declaration(let=False)
        if t.kind == "var" and self.is_op("=", self.peek()):
            raise self.error(f"program variable '${t.value}' is read-only and cannot be declared")
        if t.kind == "kw" and (self.is_op("=", self.peek()) or self.is_punct("(", self.peek())):
            raise self.error(f"'{t.text}' is a keyword and cannot be declared")
        raise self.error(f"expected a declaration or a command, found {_describe(t)}")

    def goal(self, t: Token) -> A.Print | A.Save:
        """`print TARGET e` / `save TARGET e` after the keyword `t`: TARGET is a string, or a label
        or path computed by a call, a bracketed sequence or a parenthesised expression."""
        target: str | A.Expr
        tok = self.tok
        if tok.kind == "str":
            self.advance()
            target = str(tok.value)
        elif self.computed_target():
            target = self.primary()
        else:
            what = "label" if t.text == "print" else "path"
            raise self.error(
                f"expected a string or a computed {what} (a call such as concat(...), or an expression "
                f"in parentheses) after '{t.text}', found {_describe(tok)}"
            )
        cls = A.Print if t.text == "print" else A.Save
        return cls(target, self.expr(), self.span(t))

    def computed_target(self) -> bool:
        """Whether a goal's target here is computed: a call, `(expr)` or `[...]`."""
        tok = self.tok
        if tok.kind == "punct":
            return tok.text in ("(", "[")
        return tok.kind == "ident" and self.is_punct("(", self.peek())

    def goal_loop(self) -> A.GoalLoop:
        """`for x in s do print|save TARGET e` at command level: one goal per item of s."""
        t = self.advance()
        var = self.expect_ident("after 'for'")
        if not self.is_kw("in"):
            raise self.error(f"expected 'in' after 'for {var.text}', found {_describe(self.tok)}")
        self.advance()
        seq = self.expr()
        if not self.is_kw("do"):
            raise self.error(f"expected 'do' after the sequence of 'for', found {_describe(self.tok)}")
        self.advance()
        keyword = self.tok
        if not (keyword.kind == "kw" and keyword.text in ("print", "save")):
            raise self.error(
                f"expected 'print' or 'save' after 'do' in a 'for' command, found {_describe(keyword)}"
            )
        self.advance()
        return A.GoalLoop(var.text, seq, self.goal(keyword), self.span(t))

    def params(self, context: str) -> tuple[str, ...]:
        self.expect_punct("(", context)
        names: list[str] = []
        if not self.is_punct(")"):
            while True:
                p = self.expect_ident("as a parameter")
                if p.text in names:
                    raise self.error(f"parameter '{p.text}' is declared twice", p)
                names.append(p.text)
                if self.is_punct(","):
                    self.advance()
                    continue
                break
        self.expect_punct(")", "after the parameters")
        return tuple(names)

    def declaration(self, *, let: bool) -> A.Decl:
        name = self.expect_ident("to declare" if let else "")
        params: tuple[str, ...] | None = None
        t = self.toks[self.i]
        if t.kind == "op" and t.text == "=":  # the common case, without building the error context
            self.i += 1
        else:
            if self.is_punct("("):
                params = self.params(f"after '{name.text}'")
            self.expect_equals(
                f"after '{name.text}'" if params is None else f"after the parameters of '{name.text}'"
            )
        return A.Decl(name.text, params, self.expr(), let, self.span(name))

    def operator_declaration(self) -> A.Decl:
        op = self.advance()
        params = self.params(f"after 'let {op.text}'")
        if not 1 <= len(params) <= 2:
            raise self.error(f"operator '{op.text}' must take one or two parameters, not {len(params)}", op)
        self.expect_equals(f"after the parameters of '{op.text}'")
        return A.Decl(op.text, params, self.expr(), True, self.span(op))

    # --- expressions ----------------------------------------------------------------------
    def expr(self, stop_colon: bool = False) -> A.Expr:
        self.enter()
        try:
            return self.expr_inner(stop_colon)
        finally:
            self.depth -= 1

    def expr_inner(self, stop_colon: bool) -> A.Expr:
        t = self.toks[self.i]
        if t.kind == "kw":
            if t.text == "let":
                self.advance()
                name = self.expect_ident("after 'let'")
                self.expect_equals(f"after 'let {name.text}'")
                value = self.expr(stop_colon)
                if not self.is_kw("in"):
                    raise self.error(
                        f"expected 'in' after 'let {name.text} = ...', found {_describe(self.tok)}"
                    )
                self.advance()
                return A.Let(name.text, value, self.expr(stop_colon), self.span(t))
            if t.text in ("for", "filter"):
                self.advance()
                var = self.expect_ident(f"after '{t.text}'")
                if not self.is_kw("in"):
                    raise self.error(
                        f"expected 'in' after '{t.text} {var.text}', found {_describe(self.tok)}"
                    )
                self.advance()
                seq = self.expr(stop_colon)
                if not self.is_kw("do"):
                    raise self.error(
                        f"expected 'do' after the sequence of '{t.text}', found {_describe(self.tok)}"
                    )
                self.advance()
                body = self.expr(stop_colon)
                cls = A.For if t.text == "for" else A.Filter
                return cls(var.text, seq, body, self.span(t))
            if t.text == "fold":
                return self.fold()
        return self.infix(stop_colon)

    def fold(self) -> A.Fold:
        t = self.advance()
        op = self.tok
        if op.kind == "op" or (op.kind == "ident" and op.text in ("min", "max")):
            self.advance()
        else:
            raise self.error(f"expected an operator, 'min' or 'max' after 'fold', found {_describe(op)}")
        first = self.postfix(fold_arg=True)
        if self.starts_postfix() and not self.starts_declaration():
            return A.Fold(op.text, first, self.postfix(fold_arg=True), self.span(t))
        return A.Fold(op.text, None, first, self.span(t))

    def starts_postfix(self) -> bool:
        t = self.tok
        if t.kind in ("num", "str", "var", "ident"):
            return True
        if t.kind == "kw":
            return t.text in ("true", "false") or (t.text == "load" and self.is_punct("(", self.peek()))
        if t.kind == "punct":
            return t.text in ("(", "[")
        return t.kind == "op" and self.is_punct("(", self.peek())

    def starts_declaration(self) -> bool:
        """Whether the current token begins a declaration (`x =`, `f(a, b) =`): ends a fold."""
        if self.tok.kind != "ident":
            return False
        nxt = self.peek()
        if nxt.kind == "op" and nxt.text.startswith("=") and not nxt.text.startswith("=="):
            return True
        if not self.is_punct("(", nxt):
            return False
        j = self.i + 2
        toks = self.toks
        while toks[j].kind == "ident" or self.is_punct(",", toks[j]):
            j += 1
        after = toks[j + 1] if j + 1 < len(toks) else toks[-1]
        return self.is_punct(")", toks[j]) and after.kind == "op" and after.text.startswith("=")

    def infix(self, stop_colon: bool) -> A.Expr:
        operands: list[A.Expr] = [self.operand(stop_colon)]
        ops: list[tuple[Token, int]] = []
        toks = self.toks
        levels = _LEVEL_OF
        while True:
            t = toks[self.i]
            if t.kind != "op" or t.text == "=" or (stop_colon and t.text.startswith(":")):
                break
            level = levels.get(t.text)
            if level is None:
                level = precedence(t.text)
                if len(levels) < 4096:
                    levels[t.text] = level
            while ops and ops[-1][1] >= level:
                op_tok = ops.pop()[0]
                right = operands.pop()
                operands[-1] = A.BinOp(op_tok.text, operands[-1], right, self.span(op_tok))
            ops.append((t, level))
            self.i += 1  # t is an operator, not the end of file
            operands.append(self.operand(stop_colon))
        while ops:
            op_tok = ops.pop()[0]
            right = operands.pop()
            operands[-1] = A.BinOp(op_tok.text, operands[-1], right, self.span(op_tok))
        return operands[0]

    def operand(self, stop_colon: bool) -> A.Expr:
        """`prefix()`, with a shortcut for the commonest operands: a name or a number standing alone."""
        i = self.i
        toks = self.toks
        t = toks[i]
        kind = t.kind
        if kind == "ident" or kind == "num":
            nxt = toks[i + 1]  # t is not the end of file, so a token follows
            if nxt.kind != "punct" or (nxt.text != "(" and nxt.text != "["):
                self.i = i + 1
                if kind == "num":
                    return A.Num(t.value, self.span(t))  # type: ignore[arg-type]
                return A.Name(t.text, self.span(t))
        return self.prefix(stop_colon)

    def prefix(self, stop_colon: bool = False) -> A.Expr:
        t = self.toks[self.i]
        if t.kind == "op" and not self.is_punct("(", self.peek()):
            if t.text == "=":
                raise self.error("expected an expression, found '='")
            self.advance()
            self.enter()
            try:
                return A.UnOp(t.text, self.prefix(stop_colon), self.span(t))
            finally:
                self.depth -= 1
        if t.kind == "kw" and t.text in _OPEN_ENDED:
            # `1 + let x = 2 in x * 3`: an operand may be a let/for/filter/fold, extending right
            return self.expr(stop_colon)
        return self.postfix()

    def postfix(self, fold_arg: bool = False) -> A.Expr:
        """`fold_arg`: in `fold op a [1, 2]` a `[` after whitespace starts the next argument."""
        node = self.primary()
        toks = self.toks
        while (
            toks[self.i].text == "["
            and toks[self.i].kind == "punct"
            and not (fold_arg and self.text[self.tok.pos - 1].isspace())
        ):
            open_tok = self.advance()
            start: A.Expr | None = None
            if not self.take_colon():
                if self.is_punct("]"):
                    raise self.error("expected an index or a slice inside '[ ]', found ']'")
                start = self.expr(stop_colon=True)
                if self.is_punct("]"):
                    self.advance()
                    node = A.Index(node, start, self.span(open_tok))
                    continue
                if not self.take_colon():
                    raise self.error(f"expected ']' or ':' after the index, found {_describe(self.tok)}")
            stop = None if self.is_punct("]") else self.expr(stop_colon=True)
            self.expect_punct("]", "to close the slice")
            node = A.Slice(node, start, stop, self.span(open_tok))
        return node

    def take_colon(self) -> bool:
        """Consume a slice colon, splitting an operator token such as `:-` into `:` and `-`."""
        t = self.tok
        if t.kind != "op" or not t.text.startswith(":"):
            return False
        if t.text == ":":
            self.advance()
        else:
            rest = t.text[1:]
            self.toks[self.i] = Token("op", rest, rest, t.line, t.col + 1, t.pos + 1)
        return True

    def args(self, close: str, context: str) -> tuple[A.Expr, ...]:
        items: list[A.Expr] = []
        if self.is_punct(close):
            self.advance()
            return ()
        while True:
            items.append(self.expr())
            if self.is_punct(","):
                self.advance()
                continue
            if self.is_punct(close):
                self.advance()
                return tuple(items)
            raise self.error(f"expected ',' or '{close}' {context}, found {_describe(self.tok)}")

    def primary(self) -> A.Expr:
        t = self.toks[self.i]
        kind = t.kind
        if kind == "num":
            self.i += 1
            return A.Num(t.value, self.span(t))  # type: ignore[arg-type]
        if kind == "str":
            self.i += 1
            return A.Str(str(t.value), self.span(t))
        if kind == "ident" or (kind == "kw" and t.text == "load" and self.is_punct("(", self.peek())):
            self.i += 1
            if self.toks[self.i].text == "(" and self.toks[self.i].kind == "punct":
                self.advance()
                return A.Call(t.text, self.args(")", f"in the arguments of '{t.text}'"), self.span(t))
            return A.Name(t.text, self.span(t))
        if kind == "var":
            self.advance()
            return A.Var(str(t.value), self.span(t))
        if kind == "kw" and t.text in ("true", "false"):
            self.advance()
            return A.Bool(t.text == "true", self.span(t))
        if kind == "op":  # OP "(" args ")" (prefix() sends only this case here)
            self.advance()
            self.advance()
            args = self.args(")", f"in the arguments of '{t.text}'")
            if not args:
                raise self.error(f"operator '{t.text}' needs at least one argument", t)
            if len(args) == 1:
                return A.UnOp(t.text, args[0], self.span(t))
            return A.Call(t.text, args, self.span(t))
        if kind == "punct":
            if t.text == "(":
                before = self.toks[self.i - 1] if self.i > 0 else None
                self.advance()
                inner = self.expr()
                if self.is_punct(",") and before is not None and before.kind == "op":
                    # `x = 1  +(a, b) = a`: an operator declaration without `let` continues `x`
                    raise self.error(
                        f"expected ')' to close '(', found ',' (to declare the operator '{before.text}', "
                        f"write 'let {before.text}(...) = ...')"
                    )
                self.expect_punct(")", "to close '('")
                return inner
            if t.text == "[":
                self.advance()
                return A.Array(self.args("]", "in the sequence"), self.span(t))
        if kind == "kw":
            raise self.error(f"expected an expression, found keyword '{t.text}'")
        raise self.error(f"expected an expression, found {_describe(t)}")


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the front-end builds a program's AST or plan.

    Parsing and reduction allocate hundreds of thousands of long-lived, acyclic objects (tokens,
    spans, AST nodes, plan nodes); each allocation burst triggers collections that traverse all of
    them again, a third of the reduction time of a 10,000-line program. Nothing the front-end
    makes needs the cyclic collector to be freed promptly, so it is paused while at least one
    parse or reduction runs (a counter under a lock, like `deep.run_deep`'s recursion limit) and
    restored, as it was when the first one began, when the last one ends. Reference counting
    frees everything as usual meanwhile.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def parse_program(text: str, path: str = "<string>") -> A.Program:
    """Parse a whole program (no recursion-depth protection: see `voxcas.lang.parse`)."""
    with gc_paused():
        return Parser(text, path).program()
