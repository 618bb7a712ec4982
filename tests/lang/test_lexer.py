"""The lexer: tokens, numbers, strings with JSON escapes, comments, positions and errors."""

from __future__ import annotations

import pytest

from voxcas.errors import VoxSyntaxError
from voxcas.lang.lexer import tokenize


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(text)[:-1]]


def test_numbers_are_unsigned_integers_or_floats() -> None:
    assert kinds("42 4.2 .5 1e-3 2. 7E2") == [
        ("num", 42),
        ("num", 4.2),
        ("num", 0.5),
        ("num", 0.001),
        ("num", 2.0),
        ("num", 700.0),
    ]


def test_a_minus_sign_is_an_operator_token() -> None:
    assert kinds("x-1") == [("ident", "x"), ("op", "-"), ("num", 1)]
    assert kinds("-1") == [("op", "-"), ("num", 1)]


def test_operators_are_maximal_runs_of_symbol_characters() -> None:
    assert kinds("a.<=b ~> c ./. d") == [
        ("ident", "a"),
        ("op", ".<="),
        ("ident", "b"),
        ("op", "~>"),
        ("ident", "c"),
        ("op", "./."),
        ("ident", "d"),
    ]


def test_a_trailing_dot_before_an_operator_belongs_to_the_operator() -> None:
    assert kinds("2.+3") == [("num", 2), ("op", ".+"), ("num", 3)]


def test_comments_run_to_the_end_of_the_line_and_never_start_an_operator() -> None:
    assert kinds("a +// note\nb") == [("ident", "a"), ("op", "+"), ("ident", "b")]


def test_strings_decode_json_escapes() -> None:
    assert kinds(r'"a\"b" "\\" "\n\t" "\u00e9"') == [
        ("str", 'a"b'),
        ("str", "\\"),
        ("str", "\n\t"),
        ("str", "é"),
    ]


def test_identifiers_may_be_qualified_once_and_keywords_are_recognised() -> None:
    assert kinds("vox1.near let x $dir") == [
        ("ident", "vox1.near"),
        ("kw", "let"),
        ("ident", "x"),
        ("var", "dir"),
    ]


def test_tokens_know_their_line_and_column() -> None:
    toks = tokenize("a =\n  b")
    assert [(t.text, t.line, t.col) for t in toks] == [("a", 1, 1), ("=", 1, 3), ("b", 2, 3), ("", 2, 4)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('x = "abc', "<string>:1:5: error: unterminated string"),
        ("x = 1 ; 2", "<string>:1:7: error: unexpected character ';'"),
        ('x = "\\q"', '<string>:1:5: error: invalid escape in string "\\q"'),
        ("x = $ 1", "<string>:1:5: error: '$' must be followed by a variable name"),
    ],
)
def test_lexical_errors_name_the_problem_and_the_position(text: str, message: str) -> None:
    with pytest.raises(VoxSyntaxError) as info:
        tokenize(text)
    assert str(info.value) == message


def test_an_integer_literal_of_thousands_of_digits_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(VoxSyntaxError) as caught:
        tokenize("x = " + "7" * 5000, "p.imgql")
    assert str(caught.value) == "p.imgql:1:5: error: integer literal of 5000 digits: at most 1000 are allowed"
    assert tokenize("x = " + "7" * 1000)[2].value == int("7" * 1000)
