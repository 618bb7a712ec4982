"""Property: reducing any well-formed program either gives a workplan or fails with a
source error (never another exception), and reducing it twice gives the same ids."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxcas.errors import SourceError
from voxcas.lang import ast as A
from voxcas.lang import pretty, reduce_program

NAMES = st.sampled_from(
    [
        "x",
        "y",
        "f",
        "g",
        "s",
        "length",
        "range",
        "concat",
        "index",
        "str",
        "int",
        "max",
        "sum",
        "strings.upper",
        "strings.split",
        "upper",
        "tt",
        "map",
        "fold",
        "dir",
        "load",
    ]
)
VARS = st.sampled_from(["x", "y", "s", "i"])
OPS = st.sampled_from(["+", "-", "*", "/", "%", "==", "<", "&&", "||", "!", "&", "~>", "<+>"])
NUM = st.one_of(st.integers(min_value=0, max_value=20), st.sampled_from([0.0, 0.5, 2.5]))


def exprs() -> st.SearchStrategy[A.Expr]:
    atoms = st.one_of(
        st.builds(A.Num, NUM),
        st.builds(A.Str, st.sampled_from(["", "a", ".", "x.txt"])),
        st.builds(A.Bool, st.booleans()),
        st.builds(A.Var, st.sampled_from(["stem", "dir"])),
        st.builds(A.Name, NAMES),
        st.builds(A.Name, VARS),
    )

    def extend(inner: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
        args = st.lists(inner, max_size=3).map(tuple)
        return st.one_of(
            st.builds(A.Call, NAMES, args),
            st.builds(A.BinOp, OPS, inner, inner),
            st.builds(A.UnOp, OPS, inner),
            st.builds(A.Array, args),
            st.builds(A.Index, inner, inner),
            st.builds(A.Slice, inner, st.none() | inner, st.none() | inner),
            st.builds(A.Let, VARS, inner, inner),
            st.builds(A.For, VARS, inner, inner),
            st.builds(A.Filter, VARS, inner, inner),
            st.builds(A.Fold, st.sampled_from(["+", "*", "max"]), st.none() | inner, inner),
        )

    return st.recursive(atoms, extend, max_leaves=10)


EXPR = exprs()
COMMAND = st.one_of(
    st.builds(A.Decl, VARS, st.none(), EXPR),
    st.builds(A.Decl, st.sampled_from(["f", "g"]), st.lists(VARS, max_size=2, unique=True).map(tuple), EXPR),
    st.builds(A.Decl, st.sampled_from(["<+>", "~>"]), st.just(("x", "y")), EXPR, st.just(True)),
    st.builds(A.Print, st.just("p"), EXPR),
    st.builds(A.Decl, VARS, st.none(), EXPR),
    st.builds(A.Print, st.just("q"), EXPR),
    st.builds(A.Import, st.sampled_from(["strings", "nope", "missing.imgql"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMAND, max_size=6).map(lambda cs: A.Program(tuple(cs))))
def test_reduction_gives_a_workplan_or_a_source_error_and_is_deterministic(program: A.Program) -> None:
    try:
        first = reduce_program(program)
    except SourceError as error:
        assert error.span is not None, pretty(program)
        return
    second = reduce_program(program)
    assert list(first.nodes) == list(second.nodes)
    assert [g.node for g in first.goals] == [g.node for g in second.goals]
    for node in first.nodes.values():  # dependencies first
        assert all(list(first.nodes).index(a) < list(first.nodes).index(node.id) for a in node.args)
