"""What differs between two stored node definitions, followed down to the first differing leaves.

Two nodes with different ids differ somewhere in their canonical definitions
(`voxcas.plan.identity`): an operator, a primitive version, an input file's fingerprint, a
constant, a loop body, or the id of an argument. `differences(store, new, old)` compares the two
stored definitions and, where only an argument's id differs, compares the two arguments' stored
definitions in turn, so the answer names the leaf that changed ("p.imgql:1:5: constant 2 is now
5"), with the path of arguments that leads to it. Only stored definitions are read; an argument
whose definition the store lacks is reported as a changed id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from voxcas.errors import ObjectNotFoundError
from voxcas.ids import NodeId, short
from voxcas.plan.nodes import LOOP_OPS
from voxcas.store.base import NodeRecord, Store

MAX_DEPTH = 64  # arguments followed from a node down to a leaf
MAX_DIFFERENCES = 20  # leaves reported for one pair of nodes
MAX_BODY_DIFFERENCES = 5  # differing nodes reported inside one loop body


@dataclass(frozen=True, slots=True)
class Step:
    """One argument followed from the newer node to the older: which one, and where it came from."""

    role: str  # "argument 2", "capture 1"
    new: NodeId
    old: NodeId
    op: str | None
    span: str | None
    label: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "new": self.new,
            "old": self.old,
            "op": self.op,
            "span": self.span,
            "label": self.label,
        }

    def describe(self) -> str:
        name = f" '{self.label}'" if self.label else ""
        where = f" at {self.span}" if self.span else ""
        return f"{self.role} ({self.op or 'node'}{name}{where})"


@dataclass(frozen=True, slots=True)
class Difference:
    """A leaf that differs: what kind of field (`what`), its old and new value, and one line."""

    path: tuple[Step, ...]
    what: str  # kind | operator | version | fingerprint | arity | constant | body | value | unstored
    old: Any
    new: Any
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": [s.to_json() for s in self.path],
            "what": self.what,
            "old": self.old,
            "new": self.new,
            "message": self.message,
        }


def load_definition(record: NodeRecord) -> list[Any]:
    """The stored canonical definition as its JSON list (`[version, kind, ...]`)."""
    data = json.loads(record.definition)
    if not isinstance(data, list) or len(data) < 3:
        raise ValueError(f"node {record.id} has a malformed stored definition")
    return data


def record_or_none(store: Store, node: NodeId) -> NodeRecord | None:
    try:
        return store.node(node)
    except ObjectNotFoundError:
        return None


def kind_name(definition: list[Any]) -> str:
    kind = str(definition[1])
    return {"apply": "application", "value": "stored value"}.get(kind, kind)


def constant_text(encoded: list[Any], limit: int = 80) -> str:
    """A constant as a program would write it: `2`, `0.9`, `"a.nii.gz"`, `true`, `[1, 2]`."""
    tag = encoded[0]
    if tag == "list":
        text = "[" + ", ".join(constant_text(item, limit) for item in encoded[1]) + "]"
    elif tag == "str":
        text = json.dumps(encoded[1], ensure_ascii=False)
    elif tag == "bool":
        text = "true" if encoded[1] else "false"
    else:
        text = str(encoded[1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _at(span: str | None, message: str) -> str:
    return f"{span}: {message}" if span else message


def path_constant(store: Store, args: list[Any]) -> str | None:
    """The first string constant among an application's arguments (a reader's path), if stored."""
    for arg in args:
        record = record_or_none(store, NodeId(str(arg)))
        if record is None:
            continue
        d = load_definition(record)
        if d[1] == "const" and d[2][0] == "str":
            return str(d[2][1])
    return None


class _Comparer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.out: list[Difference] = []
        self.seen: set[tuple[NodeId, NodeId]] = set()

    def full(self) -> bool:
        return len(self.out) >= MAX_DIFFERENCES

    def add(self, path: tuple[Step, ...], what: str, old: Any, new: Any, message: str) -> None:
        if not self.full():
            self.out.append(Difference(path, what, old, new, message))

    def nodes(self, new: NodeId, old: NodeId, path: tuple[Step, ...], span: str | None) -> None:
        if new == old or (new, old) in self.seen or self.full():
            return
        self.seen.add((new, old))
        rn, ro = record_or_none(self.store, new), record_or_none(self.store, old)
        if rn is None or ro is None:
            missing = "its new definition" if rn is None else "its earlier definition"
            self.add(
                path,
                "unstored",
                old,
                new,
                _at(span, f"the id changed ({short(old)} → {short(new)}); {missing} is not in the store"),
            )
            return
        self.records(rn, ro, path)

    def records(self, rn: NodeRecord, ro: NodeRecord, path: tuple[Step, ...]) -> None:
        dn, do = load_definition(rn), load_definition(ro)
        span = rn.span or ro.span
        if dn[1] != do[1]:
            self.add(
                path, "kind", do[1], dn[1], _at(span, f"was a {kind_name(do)}, is now a {kind_name(dn)}")
            )
            return
        if dn[1] == "const":
            old, new = constant_text(do[2]), constant_text(dn[2])
            if do[2][0] != dn[2][0]:
                message = f"constant {old} ({do[2][0]}) is now {new} ({dn[2][0]})"
            else:
                message = f"constant {old} is now {new}"
            self.add(path, "constant", old, new, _at(span, message))
        elif dn[1] == "apply":
            self.apply(rn, dn, do, path, span)
        elif dn[1] == "closure":
            self.closure(rn, dn, do, path, span)
        elif dn[1] == "value":
            self.add(
                path,
                "value",
                do[2],
                dn[2],
                _at(span, f"the value is now {short(dn[2])} (was {short(do[2])})"),
            )
        else:  # an encoding this version does not know
            self.add(path, "kind", do[1], dn[1], _at(span, "the definitions differ"))

    def apply(
        self, rn: NodeRecord, dn: list[Any], do: list[Any], path: tuple[Step, ...], span: str | None
    ) -> None:
        _, _, op, version, args, fingerprint = dn[:6]
        _, _, old_op, old_version, old_args, old_fingerprint = do[:6]
        if op != old_op:
            self.add(path, "operator", old_op, op, _at(span, f"operator {old_op} is now {op}"))
            return
        if version != old_version:
            self.add(
                path,
                "version",
                old_version,
                version,
                _at(span, f"{op} is now version {version} (was {old_version})"),
            )
        if fingerprint != old_fingerprint:
            where = path_constant(self.store, args)
            if where:
                what = f"input {where}"
            elif op in LOOP_OPS:
                what = "what the loop's items read"
            else:
                what = f"what {op} reads"
            self.add(
                path,
                "fingerprint",
                old_fingerprint,
                fingerprint,
                _at(span, f"{what} changed: fingerprint {_fp(old_fingerprint)} is now {_fp(fingerprint)}"),
            )
        if len(args) != len(old_args):
            self.add(
                path,
                "arity",
                len(old_args),
                len(args),
                _at(span, f"{op} takes {len(args)} arguments now (was {len(old_args)})"),
            )
            return
        for i, (a, b) in enumerate(zip(args, old_args, strict=True)):
            if a != b:
                self.follow(f"argument {i + 1}", NodeId(str(a)), NodeId(str(b)), path)

    def closure(
        self, rn: NodeRecord, dn: list[Any], do: list[Any], path: tuple[Step, ...], span: str | None
    ) -> None:
        params, body, captures = dn[2], dn[3], dn[4]
        old_params, old_body, old_captures = do[2], do[3], do[4]
        if params != old_params:
            self.add(
                path,
                "arity",
                old_params,
                params,
                _at(span, f"takes {params} parameters now (was {old_params})"),
            )
        if body != old_body:
            for message, old, new in body_differences(old_body, body):
                self.add(path, "body", old, new, _at(span, f"in the loop body: {message}"))
        if len(captures) != len(old_captures):
            self.add(
                path,
                "arity",
                len(old_captures),
                len(captures),
                _at(span, f"captures {len(captures)} values now (was {len(old_captures)})"),
            )
            return
        for i, (a, b) in enumerate(zip(captures, old_captures, strict=True)):
            if a != b:
                self.follow(f"capture {i + 1}", NodeId(str(a)), NodeId(str(b)), path)

    def follow(self, role: str, new: NodeId, old: NodeId, path: tuple[Step, ...]) -> None:
        if len(path) >= MAX_DEPTH or self.full():
            return
        record = record_or_none(self.store, new) or record_or_none(self.store, old)
        step = Step(
            role,
            new,
            old,
            None if record is None else record.op,
            None if record is None else record.span,
            None if record is None else record.label,
        )
        self.nodes(new, old, (*path, step), step.span)


def _fp(fingerprint: Any) -> str:
    return "none" if fingerprint is None else short(str(fingerprint))


def _template_node(item: list[Any]) -> str:
    if item[0] == "const":
        return f"constant {constant_text(item[1])}"
    if item[0] == "apply":
        return f"{item[1]} (version {item[2]})"
    return "a nested loop body"


def body_differences(old: list[Any], new: list[Any], where: str = "") -> list[tuple[str, Any, Any]]:
    """What differs between two encoded loop bodies (templates), node by node, as
    (message, old, new); at most `MAX_BODY_DIFFERENCES`."""
    out: list[tuple[str, Any, Any]] = []
    old_nodes, new_nodes = old[0], new[0]
    for j, (a, b) in enumerate(zip(old_nodes, new_nodes, strict=False)):
        if a == b:
            continue
        at = f"{where}node {j + 1}"
        if a[0] == b[0] == "const":
            out.append(
                (
                    f"constant {constant_text(a[1])} is now {constant_text(b[1])}",
                    constant_text(a[1]),
                    constant_text(b[1]),
                )
            )
        elif a[0] == b[0] == "apply" and a[1] == b[1] and a[2] != b[2]:
            out.append((f"{b[1]} is now version {b[2]} (was {a[2]})", a[2], b[2]))
        elif a[0] == b[0] == "closure" and a[1] == b[1] and a[3] == b[3]:
            out.extend(body_differences(a[2], b[2], f"{at}, "))
        elif a[0] == b[0] and a[0] != "const" and a[1] == b[1]:
            out.append((f"{at} ({_template_node(b)}) takes different arguments", a, b))
        else:
            out.append((f"{at} was {_template_node(a)}, is now {_template_node(b)}", a, b))
        if len(out) >= MAX_BODY_DIFFERENCES:
            return out[:MAX_BODY_DIFFERENCES]
    if len(old_nodes) != len(new_nodes):
        out.append(
            (f"{where}{len(new_nodes)} nodes now (was {len(old_nodes)})", len(old_nodes), len(new_nodes))
        )
    elif not out and old[1] != new[1]:
        out.append((f"{where}the result is now node {new[1][1] + 1} (was {old[1][1] + 1})", old[1], new[1]))
    return out[:MAX_BODY_DIFFERENCES]


def differences(store: Store, new: NodeId, old: NodeId) -> list[Difference]:
    """Every leaf where node `new`'s stored definition differs from node `old`'s (at most
    `MAX_DIFFERENCES`); [] when the ids are equal."""
    comparer = _Comparer(store)
    rn = record_or_none(store, new)
    comparer.nodes(new, old, (), None if rn is None else rn.span)
    return comparer.out


def similarity(store: Store, new: list[Any], old: list[Any], depth: int = 3) -> int:
    """How alike two stored definitions are (higher: more shared fields), looking `depth` levels
    into arguments whose ids differ (so the item of a loop over the same path outranks another
    item); ranks the candidates for a node's closest earlier definition."""
    if new[1] != old[1]:
        return 0

    def same(i: int) -> int:
        return int(bool(new[i] == old[i]))

    score = 1
    if new[1] == "apply":
        score += 8 * same(2) + 2 * same(3) + 2 * same(5)
        pairs = list(zip(new[4], old[4], strict=False))
    elif new[1] == "closure":
        score += 2 * same(2) + 4 * same(3)
        pairs = list(zip(new[4], old[4], strict=False))
    else:
        return score + 2 * same(2)
    for a, b in pairs:
        if a == b:
            score += 3 * (depth + 1)
        elif depth > 0:
            ra, rb = record_or_none(store, NodeId(str(a))), record_or_none(store, NodeId(str(b)))
            if ra is not None and rb is not None:
                score += similarity(store, load_definition(ra), load_definition(rb), depth - 1)
    return score
