"""Closure instantiation: a loop body applied to an item gives that item's nodes and result id."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from voxcas.errors import InputFileError, ResolutionError
from voxcas.ids import Digest
from voxcas.lang import reduce_source
from voxcas.plan.fingerprint import MemoryFingerprintCache
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Closure, Const, TConst, ValueRef, Workplan
from voxcas.plan.template import instantiate, param_node


def closure_of(wp: Workplan, name: str) -> Closure:
    loop = wp.nodes[wp.names[name]].definition
    assert isinstance(loop, Apply)
    c = wp.nodes[loop.args[1] if loop.op != "default.map" else loop.args[0]].definition
    assert isinstance(c, Closure)
    return c


def test_a_scalar_item_becomes_a_constant_and_anything_else_a_value_reference() -> None:
    assert param_node(3).definition == Const("int", 3)
    assert param_node("a").definition == Const("str", "a")
    assert param_node(True).definition == Const("bool", True)
    ref = param_node([1, 2], Digest("sha256:" + "ab" * 32))
    assert ref.definition == ValueRef(Digest("sha256:" + "ab" * 32))
    with pytest.raises(ValueError, match="needs its store digest"):
        param_node([1, 2])


def test_instantiating_a_body_folds_what_became_constant() -> None:
    wp = reduce_source("k = 10\nxs = for i in range(3) do i * k + 1")
    nodes, result = instantiate(closure_of(wp, "xs"), [param_node(2)])
    by_id = {n.id: n for n in nodes}
    assert by_id[result].definition == Const("int", 21)
    assert nodes[0].definition == Const("int", 2)  # the parameter node comes first


def test_the_same_item_always_gives_the_same_ids_and_different_items_different_ones() -> None:
    wp = reduce_source("s = range(5)\nm = length(s)\nxs = for i in s do i * m")
    c = closure_of(wp, "xs")
    a = instantiate(c, [param_node(1)])
    b = instantiate(c, [param_node(1)])
    other = instantiate(c, [param_node(2)])
    assert [n.id for n in a[0]] == [n.id for n in b[0]]
    assert a[1] == b[1] != other[1]
    # m is not constant: the application keeps the capture's id as its argument
    result = {n.id: n for n in a[0]}[a[1]].definition
    assert isinstance(result, Apply) and result.args == (node_id(Const("int", 1)), wp.names["m"])


def test_a_file_read_by_an_item_is_fingerprinted_and_editing_it_changes_the_id(tmp_path: Path) -> None:
    for i in range(2):
        (tmp_path / f"f{i}.txt").write_text(f"item {i}")
    wp = reduce_source(f'xs = for f in dir("{tmp_path}", "*.txt") do load(f)')
    c = closure_of(wp, "xs")
    cache = MemoryFingerprintCache()
    path = str(tmp_path / "f0.txt")
    nodes, result = instantiate(c, [param_node(path)], fingerprints=cache)
    before = {n.id: n for n in nodes}[result].definition
    assert isinstance(before, Apply) and before.fingerprint is not None
    (tmp_path / "f0.txt").write_text("edited, and longer")
    _, after = instantiate(c, [param_node(path)], fingerprints=cache)
    assert after != result


def test_a_missing_file_of_an_item_is_an_input_error_naming_it(tmp_path: Path) -> None:
    wp = reduce_source('xs = for f in ["a"] do load(concat(f, ".txt"))')
    missing = str(tmp_path / "nope")
    with pytest.raises(InputFileError) as info:
        instantiate(closure_of(wp, "xs"), [param_node(missing)])
    assert str(info.value) == (
        f"'load' cannot read '{missing}.txt': no such file or directory (<string>:1:24)"
    )


def test_a_nested_loop_body_becomes_a_closure_with_concrete_captures_and_the_item_inlined() -> None:
    wp = reduce_source("o = length(range(3))\nxs = for i in range(3) do for j in range(i) do i + j + o")
    nodes, result = instantiate(closure_of(wp, "xs"), [param_node(2)])
    by_id = {n.id: n for n in nodes}
    loop = by_id[result].definition
    assert isinstance(loop, Apply) and loop.op == "default.for"
    inner = by_id[loop.args[1]].definition
    assert isinstance(inner, Closure)
    assert inner.captures == (wp.names["o"],)
    assert TConst("int", 2) in inner.body.nodes


LOOP_BODIES = [
    "i * k + 1",
    "length(range(i)) + k",
    'concat(str(i), "x")',
    "[i, k, range(i)][1]",
    "for j in range(i) do j + k + i",
    "fold + range(i)",
    "for j in range(k) do for q in range(j) do q * i + i * 2",
    "map(str, range(i))",
    "for j in range(3) do i",
    "filter j in range(i + 1) do j > i * 2 - 3",
]


@pytest.mark.parametrize("body", LOOP_BODIES)
def test_a_loop_item_has_the_ids_of_the_same_expression_written_with_a_constant(body: str) -> None:
    # so results are shared between `for i in s do e` and a program that computes e for one i
    wp = reduce_source(
        f"k = length(range(2))\nxs = for i in [1, 2, 3] do {body}\ndirect = let i = 2 in {body}"
    )
    _, result = instantiate(closure_of(wp, "xs"), [param_node(2)])
    assert result == wp.names["direct"]


def test_a_map_over_a_primitive_instantiates_one_application() -> None:
    wp = reduce_source("m = map(str, range(3))")
    nodes, result = instantiate(closure_of(wp, "m"), [param_node(7)])
    assert {n.id: n for n in nodes}[result].definition == Const("str", "7")


def test_an_item_of_the_wrong_kind_for_a_path_is_an_input_error() -> None:
    wp = reduce_source("xs = for f in [1] do load(f)")
    with pytest.raises(InputFileError) as info:
        instantiate(closure_of(wp, "xs"), [param_node(7)])
    assert str(info.value) == "default.load: argument 'path': expected a string, got int (<string>:1:22)"


_BODY = st.recursive(
    st.sampled_from(["i", "k", "j", "0", "1", "2", '"a"']),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "*", "-"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"range({e})"),
        inner.map(lambda e: f"length({e})"),
        inner.map(lambda e: f"str({e})"),
        st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]}]"),
        st.tuples(inner, inner).map(lambda t: f"(for j in {t[0]} do {t[1]})"),
        inner.map(lambda e: f"(fold + {e})"),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(_BODY, st.integers(min_value=0, max_value=3))
def test_any_loop_item_has_the_ids_of_the_direct_expression(body: str, item: int) -> None:
    try:
        wp = reduce_source(
            f"k = length(range(2))\nxs = for i in [0] do {body}\ndirect = let i = {item} in {body}"
        )
    except ResolutionError:
        assume(False)
        return
    _, result = instantiate(closure_of(wp, "xs"), [param_node(item)])
    assert result == wp.names["direct"]
