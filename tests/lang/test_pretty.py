"""The pretty-printer adds only the parentheses the grammar needs."""

from __future__ import annotations

import pytest

from voxcas.lang import parse, pretty


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("x=1+2*3", "x = 1 + 2 * 3"),
        ("x = (1 + 2) * 3", "x = (1 + 2) * 3"),
        ("x = 10 - (2 - 3)", "x = 10 - (2 - 3)"),
        ("x = (10 - 2) - 3", "x = 10 - 2 - 3"),
        ("x = -(a + b)", "x = -(a + b)"),
        ("x = - - a", "x = -(-a)"),
        ("x = (let a = 1 in a) + 1", "x = (let a = 1 in a) + 1"),
        ("x = s[1:-1]", "x = s[1: -1]"),
        ("x = (a + b)[0]", "x = (a + b)[0]"),
        ("x = fold + 0 [1, 2]", "x = fold + 0 [1, 2]"),
        ("x = fold max s", "x = fold max (s)"),
        ('print "a\\"b" "\\n"', 'print "a\\"b" "\\n"'),
        ("let ~>(a, b) = b", "let ~>(a, b) = b"),
        ('load img = "t1.nii.gz"', 'load img = "t1.nii.gz"'),
        ("// a comment\nf ( a ) = a // another", "f(a) = a"),
    ],
)
def test_pretty_prints_a_canonical_layout_that_parses_back(source: str, printed: str) -> None:
    program = parse(source)
    assert pretty(program) == printed + "\n"
    assert parse(pretty(program)) == program
