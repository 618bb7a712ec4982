"""The pretty-printer: AST → program text that parses back to an equal AST (spans aside).

Parentheses are added only where the grammar needs them: around an operand of lower
precedence (or equal precedence on the right, operators being left-associative), around
`let`/`for`/`filter`/`fold` used as operands, and around compound expressions inside `[ ]`
and in `fold` arguments.
"""

from __future__ import annotations

import json

from voxcas.lang import ast as A
from voxcas.lang.lexer import OP_CHARS
from voxcas.lang.parser import precedence

_ATOMS = (A.Num, A.Str, A.Bool, A.Var, A.Name, A.Call, A.Array, A.Index, A.Slice)


def _num(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def _str(text: str) -> str:
    """A string literal: JSON's quoting and escapes, non-ASCII characters kept as they are."""
    return json.dumps(text, ensure_ascii=False)


def expr(node: A.Expr) -> str:
    if isinstance(node, A.Num):
        return _num(node.value)
    if isinstance(node, A.Str):
        return _str(node.value)
    if isinstance(node, A.Bool):
        return "true" if node.value else "false"
    if isinstance(node, A.Var):
        return f"${node.name}"
    if isinstance(node, A.Name):
        return node.name
    if isinstance(node, A.Call):
        return f"{node.func}({', '.join(expr(a) for a in node.args)})"
    if isinstance(node, A.Array):
        return f"[{', '.join(expr(a) for a in node.items)}]"
    if isinstance(node, A.Index):
        return f"{_postfix_target(node.target)}[{_bracketed(node.index)}]"
    if isinstance(node, A.Slice):
        start = "" if node.start is None else _bracketed(node.start)
        stop = "" if node.stop is None else _bracketed(node.stop)
        sep = ": " if stop[:1] in OP_CHARS and stop else ":"
        return f"{_postfix_target(node.target)}[{start}{sep}{stop}]"
    if isinstance(node, A.BinOp):
        level = precedence(node.op)
        return (
            f"{_operand(node.left, level, right=False)} {node.op} {_operand(node.right, level, right=True)}"
        )
    if isinstance(node, A.UnOp):
        inner = expr(node.operand)
        dot_digit = node.op.endswith(".") and inner[:1].isdigit()  # `.5` would lex as a number
        if isinstance(node.operand, _ATOMS) and inner[:1] not in OP_CHARS + "(" and not dot_digit:
            return f"{node.op}{inner}"
        return f"{node.op}({inner})"
    if isinstance(node, A.Let):
        return f"let {node.name} = {expr(node.value)} in {expr(node.body)}"
    if isinstance(node, A.For | A.Filter):
        word = "for" if isinstance(node, A.For) else "filter"
        return f"{word} {node.var} in {expr(node.seq)} do {expr(node.body)}"
    if isinstance(node, A.Fold):
        init = "" if node.init is None else f" {_fold_arg(node.init)}"
        return f"fold {node.op}{init} {_fold_arg(node.seq)}"
    raise TypeError(f"not an expression: {node!r}")


def _operand(node: A.Expr, level: int, *, right: bool) -> str:
    if isinstance(node, A.BinOp):
        inner = precedence(node.op)
        if inner < level or (right and inner == level):
            return f"({expr(node)})"
        return expr(node)
    if isinstance(node, A.Let | A.For | A.Filter | A.Fold):
        return f"({expr(node)})"
    return expr(node)


def _postfix_target(node: A.Expr) -> str:
    text = expr(node)
    return text if isinstance(node, _ATOMS) else f"({text})"


def _bracketed(node: A.Expr) -> str:
    text = expr(node)
    if isinstance(node, _ATOMS) and not text.startswith(":"):
        return text
    if isinstance(node, A.UnOp) and not node.op.startswith(":"):
        return text
    return f"({text})"


def _fold_arg(node: A.Expr) -> str:
    text = expr(node)
    if isinstance(node, A.Num | A.Str | A.Bool | A.Var | A.Array):
        return text
    return f"({text})"


def _goal_target(target: str | A.Expr) -> str:
    """A print label or save path: a string literal, or a computed one in parentheses."""
    return _str(target) if isinstance(target, str) else f"({expr(target)})"


def command(cmd: A.Command) -> str:
    if isinstance(cmd, A.Decl):
        head = ("let " if cmd.let else "") + cmd.name
        if cmd.params is not None:
            head += f"({', '.join(cmd.params)})"
        return f"{head} = {expr(cmd.body)}"
    if isinstance(cmd, A.Print):
        return f"print {_goal_target(cmd.label)} {expr(cmd.expr)}"
    if isinstance(cmd, A.Save):
        return f"save {_goal_target(cmd.path)} {expr(cmd.expr)}"
    if isinstance(cmd, A.GoalLoop):
        return f"for {cmd.var} in {expr(cmd.seq)} do {command(cmd.goal)}"
    if isinstance(cmd, A.Import):
        return f"import {_str(cmd.target)}"
    if isinstance(cmd, A.LoadDecl):
        return f"load {cmd.name} = {_str(cmd.path)}"
    raise TypeError(f"not a command: {cmd!r}")


def pretty_program(program: A.Program) -> str:
    return "".join(command(c) + "\n" for c in program.commands)
