"""The parser: the grammar of language.md §2 and the precedence table of §3."""

from __future__ import annotations

import pytest

from voxcas.errors import VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.lang import parse
from voxcas.lang.parser import precedence


def expr(text: str) -> A.Expr:
    command = parse(f"r = {text}").commands[0]
    assert isinstance(command, A.Decl)
    return command.body


def n(v: int) -> A.Num:
    return A.Num(v)


def x(name: str) -> A.Name:
    return A.Name(name)


@pytest.mark.parametrize(
    ("op", "level"),
    [
        ("|", 1),
        ("||", 1),
        (".|.", 1),
        ("^", 2),
        ("&&", 3),
        ("==", 4),
        ("!=", 4),
        (".=.", 4),
        ("<", 5),
        (">=", 5),
        (".<=", 5),
        (">.", 5),
        (":", 6),
        ("+", 7),
        ("-.", 7),
        (".+", 7),
        ("*", 8),
        ("/.", 8),
        ("./", 8),
        ("%", 8),
        ("~>", 9),
        ("\\", 9),
        ("@", 9),
        ("..", 9),
    ],
)
def test_precedence_comes_from_the_first_character_that_is_not_a_dot(op: str, level: int) -> None:
    assert precedence(op) == level


def test_multiplication_binds_tighter_than_addition_and_operators_associate_left() -> None:
    assert expr("1 + 2 * 3") == A.BinOp("+", n(1), A.BinOp("*", n(2), n(3)))
    assert expr("10 - 2 - 3") == A.BinOp("-", A.BinOp("-", n(10), n(2)), n(3))
    assert expr("a | b & c == d < e + f * g ~> h") == A.BinOp(
        "|",
        x("a"),
        A.BinOp(
            "&",
            x("b"),
            A.BinOp(
                "==",
                x("c"),
                A.BinOp(
                    "<", x("d"), A.BinOp("+", x("e"), A.BinOp("*", x("f"), A.BinOp("~>", x("g"), x("h"))))
                ),
            ),
        ),
    )


def test_prefix_operators_bind_tighter_than_infix_and_postfix_tighter_still() -> None:
    assert expr("-x * y") == A.BinOp("*", A.UnOp("-", x("x")), x("y"))
    assert expr("!a & b") == A.BinOp("&", A.UnOp("!", x("a")), x("b"))
    assert expr("-s[0]") == A.UnOp("-", A.Index(x("s"), n(0)))


def test_x_minus_one_is_subtraction_however_it_is_spaced() -> None:
    assert expr("x-1") == expr("x - 1") == A.BinOp("-", x("x"), n(1))
    assert expr("-1") == A.UnOp("-", n(1))


def test_an_operator_applied_to_one_parenthesised_argument_is_a_prefix_use() -> None:
    assert expr("-(a + b)") == A.UnOp("-", A.BinOp("+", x("a"), x("b")))
    assert expr("+(a, b)") == A.Call("+", (x("a"), x("b")))


def test_slices_and_indexes() -> None:
    s = x("s")
    assert expr("s[1:-1]") == A.Slice(s, n(1), A.UnOp("-", n(1)))
    assert expr("s[:2]") == A.Slice(s, None, n(2))
    assert expr("s[2:]") == A.Slice(s, n(2), None)
    assert expr("s[:]") == A.Slice(s, None, None)
    assert expr("s[0][1]") == A.Index(A.Index(s, n(0)), n(1))


def test_let_for_filter_extend_as_far_right_as_possible() -> None:
    assert expr("let a = 1 in a + 2") == A.Let("a", n(1), A.BinOp("+", x("a"), n(2)))
    assert expr("for i in s do i * 2") == A.For("i", x("s"), A.BinOp("*", x("i"), n(2)))
    assert expr("filter i in s do i > 2") == A.Filter("i", x("s"), A.BinOp(">", x("i"), n(2)))


def test_fold_takes_an_optional_initial_value_but_not_the_next_declaration() -> None:
    assert expr("fold + 0 [1, 2]") == A.Fold("+", n(0), A.Array((n(1), n(2))))
    assert expr("fold max s") == A.Fold("max", None, x("s"))
    program = parse("a = fold + s\nb = 1\nc = fold * s\nf(q) = q")
    assert [type(c).__name__ for c in program.commands] == ["Decl", "Decl", "Decl", "Decl"]
    assert program.commands[0] == A.Decl("a", None, A.Fold("+", None, x("s")))


def test_commands_need_no_separator_and_may_share_a_line() -> None:
    program = parse('x = 1 y = x print "y" y save "o.json" y import "vox1" load z = "f.nii"')
    assert program.commands == (
        A.Decl("x", None, n(1)),
        A.Decl("y", None, x("x")),
        A.Print("y", x("y")),
        A.Save("o.json", x("y")),
        A.Import("vox1"),
        A.LoadDecl("z", "f.nii"),
    )


def test_goal_targets_may_be_computed_and_goals_may_loop_over_a_sequence() -> None:
    program = parse(
        'save concat("out/", stem(p), ".png") y\n'
        "print (label) y\n"
        'save ["a.json", "b.json"] y\n'
        'for p in s do save concat(p, ".png") p\n'
        'for p in s do print "n" p'
    )
    target = A.Call("concat", (A.Str("out/"), A.Call("stem", (x("p"),)), A.Str(".png")))
    assert program.commands == (
        A.Save(target, x("y")),
        A.Print(x("label"), x("y")),
        A.Save(A.Array((A.Str("a.json"), A.Str("b.json"))), x("y")),
        A.GoalLoop("p", x("s"), A.Save(A.Call("concat", (x("p"), A.Str(".png"))), x("p"))),
        A.GoalLoop("p", x("s"), A.Print("n", x("p"))),
    )


def test_declarations_of_functions_and_operators() -> None:
    program = parse("f(a, b) = a\nlet g() = 1\nlet ~>(a, b) = b\nx=-1")
    assert program.commands == (
        A.Decl("f", ("a", "b"), x("a")),
        A.Decl("g", (), n(1), let=True),
        A.Decl("~>", ("a", "b"), x("b"), let=True),
        A.Decl("x", None, A.UnOp("-", n(1))),
    )


def test_every_node_carries_its_source_span() -> None:
    program = parse("r = 1 +\n  foo(2)", "p.imgql")
    decl = program.commands[0]
    assert isinstance(decl, A.Decl) and str(decl.span) == "p.imgql:1:1"
    body = decl.body
    assert isinstance(body, A.BinOp) and str(body.span) == "p.imgql:1:7"
    assert str(body.right.span) == "p.imgql:2:3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x 1", "<string>:1:3: error: expected '=' after 'x', found '1'"),
        ("x = ", "<string>:1:4: error: expected an expression, found end of file"),
        ("x = (1", "<string>:1:7: error: expected ')' to close '(', found end of file"),
        ("x = [1, 2", "<string>:1:10: error: expected ',' or ']' in the sequence, found end of file"),
        ("f(a, a) = a", "<string>:1:6: error: parameter 'a' is declared twice"),
        ("let +(a, b, c) = a", "<string>:1:5: error: operator '+' must take one or two parameters, not 3"),
        ("$stem = 1", "<string>:1:1: error: program variable '$stem' is read-only and cannot be declared"),
        ("vox1.x = 1", "<string>:1:1: error: cannot declare the qualified name 'vox1.x'"),
        (
            "x = fold 1 s",
            "<string>:1:10: error: expected an operator, 'min' or 'max' after 'fold', found '1'",
        ),
        (
            "print x",
            "<string>:1:7: error: expected a string or a computed label (a call such as concat(...), "
            "or an expression in parentheses) after 'print', found 'x'",
        ),
        (
            "save 3 x",
            "<string>:1:6: error: expected a string or a computed path (a call such as concat(...), "
            "or an expression in parentheses) after 'save', found '3'",
        ),
        (
            "for p in s do x = 1",
            "<string>:1:15: error: expected 'print' or 'save' after 'do' in a 'for' command, found 'x'",
        ),
        ("for p s do save x", "<string>:1:7: error: expected 'in' after 'for p', found 's'"),
        (
            "for p in s save x",
            "<string>:1:12: error: expected 'do' after the sequence of 'for', found 'save'",
        ),
        ("x = let in", "<string>:1:9: error: 'in' is a keyword and cannot be used as a name"),
        ("x = -()", "<string>:1:5: error: operator '-' needs at least one argument"),
        ("x = s[]", "<string>:1:7: error: expected an index or a slice inside '[ ]', found ']'"),
        ("+ = 1", "<string>:1:1: error: expected a declaration or a command, found '+'"),
    ],
)
def test_syntax_errors_have_exact_messages(text: str, message: str) -> None:
    with pytest.raises(VoxSyntaxError) as info:
        parse(text)
    assert str(info.value) == message


def test_a_syntax_error_renders_the_line_and_a_caret() -> None:
    with pytest.raises(VoxSyntaxError) as info:
        parse("a = 1\nb = (2 +\n", "p.imgql")
    assert info.value.render() == (
        "p.imgql:2:9: error: expected an expression, found end of file\n    b = (2 +\n            ^"
    )


def test_ten_thousand_nested_parentheses_parse() -> None:
    assert parse("x = " + "(" * 10_000 + "1" + ")" * 10_000).commands[0] == A.Decl("x", None, n(1))


def test_let_for_filter_and_fold_may_be_operands_extending_to_the_right() -> None:
    assert expr("1 + let a = 2 in a * 3") == A.BinOp("+", n(1), A.Let("a", n(2), A.BinOp("*", x("a"), n(3))))
    assert expr("-for i in s do i") == A.UnOp("-", A.For("i", x("s"), x("i")))
    assert expr("a * fold + s") == A.BinOp("*", x("a"), A.Fold("+", None, x("s")))
