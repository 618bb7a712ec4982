"""Golden node ids (language.md §5): these literal values must never change without a new
ENCODING_VERSION, and they do not depend on the process or its hash seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voxcas.lang import reduce_source
from voxcas.plan.identity import canonical_bytes, definition_from_json, definition_to_json, node_id
from voxcas.plan.nodes import Apply, Closure, Const, TApply, TConst, Template
from voxcas.primitives import libraries

INSTALLED_VERSION = libraries.library_version  # taken before the test suite pins it

ONE = "22b38985d884158ac0cdf74870e7600d8e0658f4fd3c0e5c3afc8e64b45596b6"
TWO = "9903894c9eea55ae393d64b388e37402643373453f1c592299428d7a8671b30b"
ONE_PLUS_TWO = "834a39bc0502e9822406eec715fe35e91b53758090d8fe53e9323d70d480e5d4"
CLOSURE = "32bd88a14eae05c4b84ccd9d2d0a2992cbcc3e1e3e55dbc8fcc0359ea5a4512e"
LOAD = "3f34e1beea55951f5f04c3f0870bbda3918f9d806fc998f399f3aa834a1524dc"


def closure() -> Closure:
    body = Template(
        (
            TConst("int", 1),
            TApply("default.+", "1", (("param", 0), ("capture", 0))),
            TApply("default.*", "1", (("node", 1), ("node", 0))),
        ),
        ("node", 2),
    )
    return Closure(1, body, (node_id(Const("int", 2)),))


def test_the_integer_constant_one_has_its_golden_id() -> None:
    assert canonical_bytes(Const("int", 1)) == b'["voxcas-node/1","const",["int","1"]]'
    assert node_id(Const("int", 1)) == ONE
    assert node_id(Const("int", 2)) == TWO


def test_one_int_float_str_and_bool_are_four_different_nodes() -> None:
    ids = {node_id(c) for c in (Const("int", 1), Const("float", 1.0), Const("str", "1"), Const("bool", True))}
    assert len(ids) == 4
    assert node_id(Const("float", 1.0)) == "297b889e31eeedf254f428ba5041923db8c5e93de8fba02002457ab315da9d7f"
    assert node_id(Const("str", "1")) == "ed73ed0d69cc1833b7fd6e3819a7f1930364391154645634483f23ba6151a98b"
    assert node_id(Const("bool", True)) == "8c37ce32d8c98b2b223b59786cc89e88e580f4beb2e193dbaf84f190320055b6"


def test_an_application_of_plus_to_two_constants_has_its_golden_id() -> None:
    assert node_id(Apply("default.+", "1", (ONE, TWO))) == ONE_PLUS_TWO  # type: ignore[arg-type]


def test_the_id_of_an_application_covers_version_argument_order_and_fingerprint() -> None:
    base = node_id(Apply("default.+", "1", (ONE, TWO)))  # type: ignore[arg-type]
    assert node_id(Apply("default.+", "2", (ONE, TWO))) != base  # type: ignore[arg-type]
    assert node_id(Apply("default.+", "1", (TWO, ONE))) != base  # type: ignore[arg-type]
    assert node_id(Apply("default.+", "1", (ONE, TWO), "sha256:00")) != base  # type: ignore[arg-type]


def test_a_closure_has_its_golden_id_and_covers_its_captures() -> None:
    c = closure()
    assert node_id(c) == CLOSURE
    other = Closure(1, c.body, (ONE,))  # type: ignore[arg-type]
    assert node_id(other) != CLOSURE


def test_a_file_reading_application_has_its_golden_id() -> None:
    path = node_id(Const("str", "x.json"))
    assert node_id(Apply("default.load", "1", (path,), "sha256:" + "0" * 64)) == LOAD


def test_definitions_survive_their_stored_json_form() -> None:
    for d in (Const("int", 1), Const("list", ("a", 2)), Apply("default.+", "1", (ONE, TWO)), closure()):  # type: ignore[arg-type]
        assert definition_from_json(definition_to_json(d)) == d


def test_reducing_one_plus_an_unknown_keeps_the_golden_application_shape() -> None:
    # `1 + 2` folds; the application node appears when an argument is not constant
    wp = reduce_source("s = [1, 2]\nr = length(s) + 2")
    assert wp.nodes[wp.names["s"]].definition == Const("list", (1, 2))
    r = wp.nodes[wp.names["r"]].definition
    assert isinstance(r, Const) and r.value == 4


PROGRAM = """
n = range(10)
offset = length(n) * 3
xs = for i in n do i * offset + 1
big = filter v in xs do v > 5
sq(v) = v * v
m = map(sq, n)
t = fold + 0 big
print "t" t
"""

SCRIPT = """
import json, sys
from voxcas.lang import reduce_source
wp = reduce_source(sys.stdin.read())
print(json.dumps({"nodes": list(wp.nodes), "names": wp.names, "goals": [g.node for g in wp.goals]}))
"""


def _ids_in_subprocess(seed: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=PROGRAM,
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_ids_of_a_program_are_the_same_across_processes_and_hash_seeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _ids_in_subprocess("0")
    second = _ids_in_subprocess("4242")
    assert first == second
    monkeypatch.setattr(libraries, "library_version", INSTALLED_VERSION)  # as the subprocesses see them
    libraries.built_with.cache_clear()
    here = reduce_source(PROGRAM)
    assert first["nodes"] == list(here.nodes)
    assert len(first["nodes"]) > 10  # type: ignore[arg-type]
