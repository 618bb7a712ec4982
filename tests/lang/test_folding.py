"""The spec's small cases, checked through the constant-folding reducer (a folded value is checkable)."""

from __future__ import annotations

import pytest

from voxcas.lang import reduce_source
from voxcas.plan.nodes import Const


def value_of(src: str, name: str = "r") -> object:
    wp = reduce_source(src)
    definition = wp.nodes[wp.names[name]].definition
    assert isinstance(definition, Const), definition
    return definition.value


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("x = 3 r = x-1", 2),
        ("x = 3 r = x - 1", 2),
        ("r = -1", -1),
        ("r=-1", -1),
        ("r = 1 + 2 * 3", 7),
        ("r = 10 - 2 - 3", 5),
        ('r = "a\\"b"', 'a"b'),
        ("r = (1 + 2) * 3", 9),
        ("r = -2 * 3", -6),
        ("r = 2 < 3 && !false", True),
        ("r = 7 / 2", 3.5),
        ('r = concat("a", 1, "b")', "a1b"),
        ("r = [1, 2, 3][-1]", 3),
        ("r = [1, 2, 3][1:]", (2, 3)),
        ("r = [1, 2, 3][:-1]", (1, 2)),
        ("r = fold + 0 [1, 2, 3]", 6),
        ("r = fold max [3, 9, 2]", 9),
        ("r = let a = 2 in a * a", 4),
        ('r = format_string("{:.2f}", 3.14159)', "3.14"),
        ("f(a) = a * 2 r = f(f(3))", 12),
    ],
)
def test_constant_programs_fold_to_the_value_the_spec_gives(src: str, expected: object) -> None:
    assert value_of(src) == expected


def test_minus_one_folds_to_the_integer_constant() -> None:
    wp = reduce_source("r = -1")
    assert wp.nodes[wp.names["r"]].definition == Const("int", -1)
    assert len(wp.nodes) == 1
