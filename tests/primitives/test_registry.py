"""The primitive registry: declaration, arity, coercion, lazy namespaces."""

from __future__ import annotations

import pytest

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param, Registry


def _namespace() -> Namespace:
    ns = Namespace("t", doc="test namespace")

    @ns.primitive(params=(Param("n", "int"), Param("scale", "float", 1.0)), doc="repeat a thing")
    def rep(n: int, scale: float) -> float:
        return n * scale

    @ns.primitive(base_image=True)
    def tt(base: object) -> object:
        return ("filled like", base)

    @ns.primitive(variadic=Param("parts", "str"), aliases=("cat",))
    def concat(*parts: str) -> str:
        return "".join(parts)

    return ns


def test_a_primitive_coerces_an_integral_float_where_an_integer_is_declared() -> None:
    rep = _namespace().primitives["rep"]
    assert rep(4.0) == 4.0
    assert rep(2, 3) == 6.0


def test_a_fractional_float_where_an_integer_is_declared_names_the_argument() -> None:
    rep = _namespace().primitives["rep"]
    with pytest.raises(PrimitiveError) as info:
        rep(4.5)
    assert str(info.value) == "t.rep: argument 'n': expected an integer, got 4.5"


def test_arity_is_described_for_error_messages() -> None:
    ns = _namespace()
    assert ns.primitives["rep"].arity_text() == "1 to 2"
    assert ns.primitives["rep"].accepts(1) and not ns.primitives["rep"].accepts(3)
    assert ns.primitives["concat"].arity_text() == "at least 0"
    assert ns.primitives["rep"].signature() == "rep(n, scale=1.0)"


def test_a_base_image_primitive_receives_the_base_image_first_and_declares_no_parameter_for_it() -> None:
    tt = _namespace().primitives["tt"]
    assert tt.params == ()
    assert tt("IMG") == ("filled like", "IMG")


def test_aliases_register_the_same_function_under_another_name() -> None:
    ns = _namespace()
    assert ns.primitives["cat"]("a", "b") == "ab"
    assert ns.primitives["cat"].qualified == "t.cat"


def test_a_registry_finds_primitives_by_qualified_name_including_operator_names() -> None:
    reg = Registry(modules={})
    ns = Namespace("ops")
    ns.primitive(".+.")(lambda a, b: a + b)
    reg.add_namespace(ns)
    assert reg.get("ops..+.")(1, 2) == 3
    with pytest.raises(KeyError):
        reg.get("ops.nothing")
    assert reg.lookup("nowhere", "x") is None


def test_a_namespace_module_is_imported_only_when_first_needed() -> None:
    reg = Registry(modules={"lazy": "voxcas.no_such_module_for_tests"})
    assert reg.has_namespace("lazy")
    with pytest.raises(ModuleNotFoundError):
        reg.namespace("lazy")


def test_declaring_a_primitive_twice_is_refused() -> None:
    ns = _namespace()
    with pytest.raises(ValueError, match=r"primitive t\.rep declared twice"):
        ns.primitive("rep")(lambda: None)
