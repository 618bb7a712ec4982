"""VoxLogicA 1's grammar (`--dialect voxlogica1`): capitalised operators prefix and infix,
right-recursive infix without precedence, `let` declarations, VoxLogicA 1's commands; the AST is
voxcas's, so the pretty-printer shows how each formula groups."""

from __future__ import annotations

import pytest

from voxcas.errors import VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.lang.parser_vox1 import parse_vox1


def body(text: str) -> str:
    # imported here: importing the module voxcas.lang.pretty while tests are collected would
    # shadow the function voxcas.lang.pretty that other test modules import by that name
    from voxcas.lang.pretty import expr as pretty_expr

    decl = parse_vox1(f"let x = {text}").commands[0]
    assert isinstance(decl, A.Decl)
    return pretty_expr(decl.body)


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("a & b | c", "a & (b | c)"),  # right-recursive, no precedence
        ("a * b + c", "a * (b + c)"),
        ("!a & b", "!(a & b)"),  # a prefix operator takes everything to its right
        ("i(y) & !g(y) & !h(y)", "i(y) & !(g(y) & !h(y))"),
        ("(a & b) | c", "a & b | c"),  # shown with voxcas's precedence
    ],
)
def test_infix_is_right_recursive_and_prefix_takes_the_rest(text: str, grouped: str) -> None:
    assert body(text) == grouped


def test_capitalised_operators_are_calls_usable_prefix_and_infix() -> None:
    decl = parse_vox1("let x = N A b").commands[0]
    assert isinstance(decl, A.Decl)
    assert decl.body == A.Call("N", (A.Call("A", (A.Name("b"),)),))
    infix = parse_vox1("let y = a T b").commands[0]
    assert isinstance(infix, A.Decl) and infix.body == A.Call("T", (A.Name("a"), A.Name("b")))


def test_an_infix_operator_takes_extra_arguments_in_brackets() -> None:
    decl = parse_vox1("let x = a ~ [3, 10] b").commands[0]
    assert isinstance(decl, A.Decl)
    assert decl.body == A.Call("~", (A.Name("a"), A.Name("b"), A.Num(3), A.Num(10)))


def test_commands_and_operator_declarations() -> None:
    program = parse_vox1(
        'import "stdlib.imgql"\nload img = "a.nii.gz"\nlet B+(a) = (near(a)) \\ a\n'
        'let f(p, q) = p .<= q\nprint "v" volume(B+ img)\nsave "o.nii.gz" img // done\n'
    )
    assert program.commands == (
        A.Import("stdlib.imgql"),
        A.LoadDecl("img", "a.nii.gz"),
        A.Decl("B+", ("a",), A.BinOp("\\", A.Call("near", (A.Name("a"),)), A.Name("a")), True),
        A.Decl("f", ("p", "q"), A.BinOp(".<=", A.Name("p"), A.Name("q")), True),
        A.Print("v", A.Call("volume", (A.Call("B+", (A.Name("img"),)),))),
        A.Save("o.nii.gz", A.Name("img")),
    )


def test_numbers_booleans_and_strings() -> None:
    decl = parse_vox1('let x = f(1, 2.5, -3, true, "s")').commands[0]
    assert isinstance(decl, A.Decl)
    assert decl.body == A.Call("f", (A.Num(1), A.Num(2.5), A.Num(-3), A.Bool(True), A.Str("s")))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "x = 1",
            "1:1: error: VoxLogicA 1 syntax: expected a command (let, load, save, print, import), found 'x'",
        ),
        ("let x = f(1,", "1:13: error: VoxLogicA 1 syntax: expected an expression, found end of file"),
        ("let x = [1]", "1:9: error: VoxLogicA 1 syntax: expected an expression, found '['"),
    ],
)
def test_text_outside_the_grammar_is_an_error_at_its_position(text: str, message: str) -> None:
    with pytest.raises(VoxSyntaxError) as info:
        parse_vox1(text, "p.imgql")
    assert str(info.value) == f"p.imgql:{message}"
