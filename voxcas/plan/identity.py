"""Canonical encoding of node definitions and the node ids derived from it (language.md §5).

The encoding is compact JSON (sorted keys, no spaces, UTF-8) of a tagged list whose first item
is the format version `ENCODING_VERSION`. Floats are written with `repr` inside a tagged
string so that `1` and `1.0` never collide and NaN/inf are representable; every value carries
its type. Changing anything here changes every id: that is a format change, so bump
`ENCODING_VERSION` and update the golden tests in `tests/plan/test_identity.py`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from voxcas.ids import NodeId, node_id_of
from voxcas.plan.nodes import (
    Apply,
    Closure,
    Const,
    Definition,
    Scalar,
    TApply,
    TClosure,
    TConst,
    Template,
    TemplateRef,
    ValueRef,
)

ENCODING_VERSION = "voxcas-node/1"


def _scalar(value: Scalar) -> list[Any]:
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]  # as text: no float round-off for big ints
    if isinstance(value, float):
        if math.isnan(value):
            return ["float", "nan"]
        return ["float", repr(value)]
    if isinstance(value, str):
        return ["str", value]
    raise TypeError(f"not a scalar constant: {value!r}")


def _const(type_: str, value: Scalar | tuple[Scalar, ...]) -> list[Any]:
    if type_ == "list":
        assert isinstance(value, tuple)
        return ["list", [_scalar(v) for v in value]]
    assert not isinstance(value, tuple)
    encoded = _scalar(value)
    if encoded[0] != type_:
        raise TypeError(f"constant of type {type_} holds a {encoded[0]}: {value!r}")
    return encoded


def _ref(ref: TemplateRef) -> list[Any]:
    return [ref[0], ref[1]]


def encode_template(template: Template) -> list[Any]:
    """The canonical form of a closure body (spans and labels are not part of it)."""
    nodes: list[Any] = []
    for node in template.nodes:
        if isinstance(node, TConst):
            nodes.append(["const", _const(node.type, node.value)])
        elif isinstance(node, TApply):
            nodes.append(["apply", node.op, node.version, [_ref(a) for a in node.args]])
        elif isinstance(node, TClosure):
            nodes.append(
                ["closure", node.params, encode_template(node.body), [_ref(c) for c in node.captures]]
            )
        else:  # pragma: no cover - exhaustive
            raise TypeError(node)
    return [nodes, _ref(template.result)]


def encode_definition(definition: Definition) -> list[Any]:
    if isinstance(definition, Const):
        return [ENCODING_VERSION, "const", _const(definition.type, definition.value)]
    if isinstance(definition, Apply):
        return [
            ENCODING_VERSION,
            "apply",
            definition.op,
            definition.version,
            list(definition.args),
            definition.fingerprint,
        ]
    if isinstance(definition, Closure):
        return [
            ENCODING_VERSION,
            "closure",
            definition.params,
            encode_template(definition.body),
            list(definition.captures),
        ]
    if isinstance(definition, ValueRef):
        return [ENCODING_VERSION, "value", definition.digest]
    raise TypeError(f"not a node definition: {definition!r}")


# one encoder for every call: json.dumps would build a new encoder per node (a third of the cost)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(definition: Definition) -> bytes:
    return _ENCODER.encode(encode_definition(definition)).encode("utf-8")


def node_id(definition: Definition) -> NodeId:
    """The id of a node: SHA-256 of its canonical encoding."""
    return node_id_of(canonical_bytes(definition))


def definition_to_json(definition: Definition) -> str:
    """The text the store keeps for a node definition (the canonical encoding itself)."""
    return canonical_bytes(definition).decode("utf-8")


def _decode_scalar(item: list[Any]) -> Scalar:
    tag, raw = item
    if tag == "bool":
        return bool(raw)
    if tag == "int":
        return int(raw)
    if tag == "float":
        return float(raw)
    if tag == "str":
        return str(raw)
    raise ValueError(f"unknown constant type {tag!r}")


def _decode_const(item: list[Any]) -> tuple[str, Scalar | tuple[Scalar, ...]]:
    if item[0] == "list":
        return "list", tuple(_decode_scalar(v) for v in item[1])
    return item[0], _decode_scalar(item)


def _decode_ref(item: list[Any]) -> TemplateRef:
    kind, index = item
    if kind not in ("param", "capture", "node") or not isinstance(index, int):
        raise ValueError(f"bad template reference {item!r}")
    return (kind, index)


def decode_template(data: list[Any]) -> Template:
    nodes_data, result = data
    nodes: list[TConst | TApply | TClosure] = []
    for item in nodes_data:
        if item[0] == "const":
            t, v = _decode_const(item[1])
            nodes.append(TConst(t, v))  # type: ignore[arg-type]
        elif item[0] == "apply":
            nodes.append(TApply(str(item[1]), str(item[2]), tuple(_decode_ref(a) for a in item[3])))
        elif item[0] == "closure":
            nodes.append(
                TClosure(int(item[1]), decode_template(item[2]), tuple(_decode_ref(c) for c in item[3]))
            )
        else:
            raise ValueError(f"unknown template node {item[0]!r}")
    return Template(tuple(nodes), _decode_ref(result))


def definition_from_json(text: str) -> Definition:
    """Parse a stored definition back (bundles are verified by re-hashing this)."""
    data = json.loads(text)
    if not isinstance(data, list) or not data or data[0] != ENCODING_VERSION:
        raise ValueError("not a voxcas node definition of a known version")
    kind = data[1]
    if kind == "const":
        t, v = _decode_const(data[2])
        return Const(t, v)  # type: ignore[arg-type]
    if kind == "apply":
        return Apply(
            str(data[2]),
            str(data[3]),
            tuple(NodeId(str(a)) for a in data[4]),
            None if data[5] is None else str(data[5]),
        )
    if kind == "closure":
        return Closure(int(data[2]), decode_template(data[3]), tuple(NodeId(str(c)) for c in data[4]))
    if kind == "value":
        from voxcas.ids import Digest

        return ValueRef(Digest(str(data[2])))
    raise ValueError(f"unknown node kind {kind!r}")
