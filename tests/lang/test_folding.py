"""The spec's small cases, checked through the constant-folding reducer (a folded value is checkable)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        ("r = 1 + let a = 2 in a * 3", 7),
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


# --- precedence and folding agree with Python's arithmetic on generated expressions ------------

_EXPR = st.recursive(
    st.integers(min_value=0, max_value=50).map(str),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"-{e}" if not e.startswith("-") else f"-({e})"),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(_EXPR)
def test_integer_expressions_fold_to_what_python_computes(text: str) -> None:
    # + - * and prefix minus have the same relative precedence and associativity as in Python
    assert value_of(f"r = {text}") == eval(text)  # digits, + - * and parentheses only


def test_reducing_a_program_does_not_import_numpy() -> None:
    import subprocess
    import sys

    script = (
        "import sys\nfrom voxcas.lang import reduce_source\n"
        'reduce_source(\'x = for i in range(3) do i * 2\\ny = dir(".")\\nprint "x" x\')\n'
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
