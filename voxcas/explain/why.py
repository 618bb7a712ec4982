"""`vox why`: why a run computed a node instead of serving it from the store (or that it did not).

For a node a run computed (or failed, or skipped), no stored result had its id. `explain_node`
finds the *closest earlier definition*: the stored nodes made at the same source position
(falling back to the same declared name), with the same operator, that were stored before the
run started, ranked by how many fields of the definition they share (`compare.similarity`), the
newest first among equals. Then it says exactly what differs, down to the leaves
(`compare.differences`): an input file's fingerprint, a constant, a primitive version, a loop
body, or an argument whose definition the store lacks. A node that was reused says so (and which
run stored it); a node computed although its result was stored says why (`--no-cache`, an impure
primitive, a read at a path known only at run time, or a stored object that could not be read).

Bad input raises `UsageError` (exit 2): an id or address that names no node, a run that did not
touch the node and holds no result for it, a node no run computed (a constant, an imported
result, a definition recorded but never run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voxcas.errors import ObjectNotFoundError, UsageError
from voxcas.explain.compare import (
    Difference,
    Step,
    constant_text,
    differences,
    load_definition,
    path_constant,
    record_or_none,
    similarity,
)
from voxcas.explain.targets import resolve_node, resolve_run
from voxcas.ids import NodeId, RunId, short
from voxcas.plan.nodes import LOOP_OPS, RUNTIME_READ
from voxcas.store.base import NodeRecord, ResultInfo, RunInfo, Store


@dataclass(frozen=True, slots=True)
class Predecessor:
    """The closest earlier definition of a node: its record and its stored result, if any."""

    record: NodeRecord
    result: ResultInfo | None

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "node": self.record.id,
            "op": self.record.op,
            "span": self.record.span,
            "label": self.record.label,
            "result": None
            if r is None
            else {"digest": r.digest, "run": r.run, "created": r.created, "provenance": r.provenance},
        }


@dataclass(slots=True)
class Explanation:
    """What `vox why` answers, JSON-ready through `to_json`."""

    node: NodeId
    op: str | None
    span: str | None
    label: str | None
    run: RunId
    status: str  # computed | failed | skipped | reused | not needed
    verdict: str  # one line
    predecessor: Predecessor | None = None
    differences: list[Difference] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "op": self.op,
            "span": self.span,
            "label": self.label,
            "run": self.run,
            "status": self.status,
            "verdict": self.verdict,
            "predecessor": None if self.predecessor is None else self.predecessor.to_json(),
            "differences": [d.to_json() for d in self.differences],
        }


def describe(record: NodeRecord | None, node: NodeId) -> str:
    """`1c5d9b40df04 (default.for 's' at p.imgql:4:5)`."""
    if record is None:
        return short(node)
    name = f" '{record.label}'" if record.label else ""
    where = f" at {record.span}" if record.span else ""
    return f"{short(node)} ({record.op or 'node'}{name}{where})"


def _never_run(store: Store, node: NodeId, record: NodeRecord | None) -> UsageError:
    """The error for a node no run computed, saying what it is instead."""
    if record is None:
        return UsageError(f"no run computed node {short(node)}: the store has no record of it")
    definition = load_definition(record)
    if definition[1] == "const":
        where = f" at {record.span}" if record.span else ""
        return UsageError(
            f"node {short(node)} is the constant {constant_text(definition[2])}{where}: "
            "a constant is its own value, no run computes it"
        )
    result = store.result(node)
    if result is not None and result.provenance != "local":
        return UsageError(
            f"no run computed node {describe(record, node)}: its result was imported ({result.provenance})"
        )
    return UsageError(f"no run computed node {describe(record, node)}")


def _when(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _stored_by(result: ResultInfo) -> str:
    who = f"run {short(result.run)}" if result.run else result.provenance
    return f"stored by {who} on {_when(result.created)}"


def _earlier(store: Store, record: NodeRecord, started: float) -> tuple[bool, ResultInfo | None]:
    """Whether a candidate was stored or run before `started`, and its result."""
    result = store.result(record.id)
    if result is not None:
        return result.created < started, result
    for run, _ in store.node_runs(record.id):
        try:
            if store.run_info(run).started < started:
                return True, None
        except ObjectNotFoundError:
            continue
    return False, None


def find_predecessor(store: Store, record: NodeRecord, started: float) -> Predecessor | None:
    """The closest definition stored (or run) before `started` at the same source position
    (else with the same label), same operator preferred; see the module docstring."""
    candidates = [c for c in store.nodes_where(span=record.span) if c.id != record.id] if record.span else []
    pool = [c for c in candidates if c.op == record.op]
    if not pool and record.label:
        pool = [c for c in store.nodes_where(label=record.label) if c.id != record.id and c.op == record.op]
    pool = pool or candidates
    mine = load_definition(record)
    best: tuple[tuple[int, int, float], Predecessor] | None = None
    for candidate in pool:
        earlier, result = _earlier(store, candidate, started)
        if not earlier:
            continue
        key = (
            similarity(store, mine, load_definition(candidate)),
            result is not None,
            result.created if result else 0.0,
        )
        if best is None or key > best[0]:
            best = (key, Predecessor(candidate, result))
    return None if best is None else best[1]


def _recomputed_reason(store: Store, record: NodeRecord, run: RunInfo) -> str | None:
    """Why a node was computed although nothing but its id matters: never looked up, or its
    stored result (made before the run) could not serve. None: no such reason."""
    definition = load_definition(record)
    if run.options.get("no_cache"):
        return "the run was started with --no-cache: nothing was looked up"
    if definition[1] == "apply":
        if definition[5] == RUNTIME_READ:
            return "it reads a file whose path is known only at run time: such nodes are never looked up"
        from voxcas.primitives.registry import default_registry

        primitive = default_registry().find(str(definition[2]))
        if primitive is not None and not primitive.pure:
            return f"{definition[2]} is impure: its results are stored but never reused"
    result = store.result(record.id)
    if result is not None and result.created < run.started:
        return (
            f"its result was {_stored_by(result)}, but the run could not read the stored object "
            "(corrupt or missing), so it computed it again"
        )
    return None


MAX_ITEM_READS = 50  # file-reading item nodes examined under a loop whose reads changed


def _position(span: str | None) -> tuple[str, int, int] | None:
    parts = (span or "").rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


def item_reads(store: Store, loop: NodeRecord, run: RunInfo) -> list[Difference]:
    """Under a loop whose items' reads changed: the file-reading nodes this run computed after the
    loop's position in the same file (its items' reads), each with the input that changed or
    marked new (at most `MAX_ITEM_READS` examined)."""
    start = _position(loop.span)
    if start is None:
        return []
    out: list[Difference] = []
    examined = 0
    for nid, status in store.run_nodes(run.id):
        if status not in ("computed", "failed") or examined >= MAX_ITEM_READS:
            continue
        record = record_or_none(store, nid)
        where = None if record is None else _position(record.span)
        if record is None or where is None or where[0] != start[0] or where[1:] <= start[1:]:
            continue
        d = load_definition(record)
        if d[1] != "apply" or d[5] is None or d[5] == RUNTIME_READ or d[2] in LOOP_OPS:
            continue
        examined += 1
        predecessor = find_predecessor(store, record, run.started)
        path = path_constant(store, d[4])
        earlier_path = (
            None if predecessor is None else path_constant(store, load_definition(predecessor.record)[4])
        )
        if path is not None and earlier_path != path:
            predecessor = None  # no earlier item read this path: a new item
        step = Step(
            "item", nid, predecessor.record.id if predecessor else nid, record.op, record.span, record.label
        )
        if predecessor is None:
            message = f"{record.span}: new item: reads {path or 'a file'} (fingerprint {short(str(d[5]))})"
            out.append(Difference((step,), "new item", None, d[5], message))
            continue
        for leaf in differences(store, nid, predecessor.record.id):
            if leaf.what == "fingerprint":
                out.append(Difference((step, *leaf.path), leaf.what, leaf.old, leaf.new, leaf.message))
    return out


def explain_node(store: Store, text: str, *, run_text: str | None = None) -> Explanation:
    """Why the run (`run_text`, the run of a `RUN:NAME` address, or the newest run that touched
    the node) computed or reused the node `text` names; a failed node's error is appended."""
    explanation = _explain(store, text, run_text)
    if explanation.status == "failed":
        message = next(
            (f.message for f in store.failures(explanation.run) if f.node == explanation.node), None
        )
        if message:
            explanation.verdict += f"; it failed: {message}"
    return explanation


def _explain(store: Store, text: str, run_text: str | None) -> Explanation:
    """Why the run (`run_text`, the run of a `RUN:NAME` address, or the newest run that touched
    the node) computed or reused the node `text` names."""
    node, address_run = resolve_node(store, text)
    record = record_or_none(store, node)
    touched = store.node_runs(node)
    if run_text is not None:
        run_id: RunId | None = resolve_run(store, run_text)
    elif address_run is not None:
        run_id = address_run
    else:
        run_id = touched[0][0] if touched else None
    if run_id is None:
        raise _never_run(store, node, record)
    status = dict(touched).get(run_id)
    run = store.run_info(run_id)
    op, span, label = (None, None, None) if record is None else (record.op, record.span, record.label)
    explanation = Explanation(node, op, span, label, run_id, status or "not needed", "")
    if status is None:
        if record is not None and load_definition(record)[1] == "const":
            raise _never_run(store, node, record)
        result = store.result(node)
        if record is None or result is None or result.created >= run.started:
            others = [short(r) for r, _ in touched[:3]]
            hint = f" (runs that did: {', '.join(others)})" if others else ""
            raise UsageError(f"run {short(run_id)} did not compute node {describe(record, node)}{hint}")
        explanation.verdict = (
            f"run {short(run_id)} did not need it: a stored node above it served the goals "
            f"(its own result was {_stored_by(result)})"
        )
        return explanation
    if status == "reused":
        result = store.result(node)
        how = f": its result was {_stored_by(result)}" if result is not None else ""
        explanation.verdict = f"reused by run {short(run_id)}{how}"
        return explanation
    if record is None:
        because = " (an input of it failed)" if status == "skipped" else ""
        raise UsageError(
            f"run {short(run_id)} {status} node {short(node)}{because}, "
            "but the store keeps no definition of it"
        )
    did = {"computed": "computed", "failed": "tried to compute", "skipped": "skipped"}.get(status, status)
    reason = _recomputed_reason(store, record, run)
    if reason is not None:
        explanation.verdict = f"run {short(run_id)} {did} it although nothing changed: {reason}"
        return explanation
    predecessor = find_predecessor(store, record, run.started)
    if predecessor is None:
        where = f"at {record.span}" if record.span else "like it"
        explanation.verdict = (
            f"run {short(run_id)} {did} it: no stored result had its id, and nothing {where} "
            "was stored before (new code, or a first run)"
        )
        return explanation
    explanation.predecessor = predecessor
    explanation.differences = differences(store, node, predecessor.record.id)
    if record.op in LOOP_OPS and any(d.what == "fingerprint" and not d.path for d in explanation.differences):
        explanation.differences += item_reads(store, record, run)
    stored = _stored_by(predecessor.result) if predecessor.result else "run before, never stored"
    explanation.verdict = (
        f"run {short(run_id)} {did} it: no stored result had its id; the closest earlier definition, "
        f"{short(predecessor.record.id)} ({stored}), differs"
    )
    return explanation


def render(explanation: Explanation) -> list[str]:
    """The text `vox why` prints."""
    e = explanation
    record_line = f"node {short(e.node)}"
    details = " ".join(x for x in (e.op, f"'{e.label}'" if e.label else None) if x)
    if details:
        record_line += f"  {details}"
    if e.span:
        record_line += f"  at {e.span}"
    lines = [record_line, e.verdict]
    if e.predecessor is not None:
        lines.append(
            "what differs:" if e.differences else "what differs: nothing the stored definitions show"
        )
    previous: tuple[str, ...] | None = None
    for d in e.differences:
        indent = "  "
        if d.path:
            header = tuple(step.describe() for step in d.path)
            if header != previous:
                lines.append(indent + " → ".join(header) + ":")
            previous = header
            indent = "    "
        else:
            previous = None
        lines.append(indent + d.message)
    return lines
