"""The strings namespace."""

from __future__ import annotations

from typing import Any

import pytest

from voxcas.errors import PrimitiveError
from voxcas.lang import reduce_source
from voxcas.plan.nodes import Const
from voxcas.primitives.registry import default_registry


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"strings.{name}")(*args)


def test_case_strip_split_join_replace() -> None:
    assert call("upper", "aB") == "AB"
    assert call("lower", "aB") == "ab"
    assert call("strip", "  x ") == "x"
    assert call("strip", "--x-", "-") == "x"
    assert call("split", "a,b,,c", ",") == ["a", "b", "", "c"]
    assert call("split", " a  b ") == ["a", "b"]
    assert call("join", "-", ["a", 1, 2.5]) == "a-1-2.5"
    assert call("replace", "aXbX", "X", "/") == "a/b/"


def test_predicates_and_search() -> None:
    assert call("startswith", "scan.nii.gz", "scan") is True
    assert call("endswith", "scan.nii.gz", ".nii.gz") is True
    assert call("contains", "abc", "bc") is True
    assert call("find", "abc", "c") == 2
    assert call("find", "abc", "z") == -1
    assert call("substring", "abcdef", 1, 3) == "bc"
    assert call("zfill", "7", 3) == "007"


def test_path_helpers_know_double_extensions() -> None:
    assert call("basename", "/d/scan.nii.gz") == "scan.nii.gz"
    assert call("dirname", "/d/scan.nii.gz") == "/d"
    assert call("stem", "/d/scan.nii.gz") == "scan"
    assert call("extension", "/d/scan.nii.gz") == ".nii.gz"
    assert call("stem", "/d/x.png") == "x"
    assert call("extension", "README") == ""
    assert call("path_join", "/d", "sub", "x.png") == "/d/sub/x.png"


def test_errors_name_the_argument() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("split", "abc", "")
    assert str(info.value) == "strings.split: argument 'sep': empty separator"
    with pytest.raises(PrimitiveError) as info:
        call("upper", 3)
    assert str(info.value) == "strings.upper: argument 's': expected a string, got int"


def test_string_helpers_fold_while_reducing() -> None:
    wp = reduce_source(
        'import "strings"\nname = stem("/data/case01.nii.gz")\nout = concat(upper(name), ".png")'
    )
    assert wp.nodes[wp.names["out"]].definition == Const("str", "CASE01.png")
