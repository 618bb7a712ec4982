"""`verify_results`: recompute imported results and report every one whose value differs.

A result imported from a bundle (provenance `import:…`) binds a node id to an object; both are
verified at import, but the binding is a claim (docs/bundle-format.md). Verifying one result
recomputes its node *one step*: the node's own definition (re-read from its record) is run by the
executor on a scratch `MemoryStore` that holds only the stored values of the node's arguments
(each computed argument enters the scratch plan as a `ValueRef` to its stored object), and the
digest of the recomputed value is compared with the stored one. A loop node is recomputed item by
item like any run does; a file reader re-reads its file (the fingerprint in its id must still
match, else the result cannot be recomputed here). The store itself is never changed: verify
reports, it does not repair (`vox run` recomputes untrusted imported results).

One step is enough for a whole run: each of its imported results is checked against the stored
values of its arguments; an argument that is itself a forged imported result is reported as its
own difference. Results whose node cannot be recomputed here (an unknown primitive, an argument
with no stored value, an input file that is missing or changed, an impure primitive) are
reported as *unchecked*, with the reason.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from voxcas.errors import UsageError, VoxcasError
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.identity import definition_from_json
from voxcas.plan.nodes import Apply, Closure, PlanNode, ValueRef, Workplan
from voxcas.primitives.registry import Registry, default_registry
from voxcas.store.base import ResultInfo, Store

Verdict = Literal["same", "differs", "unchecked"]
_TARGET = "verified"  # the name the scratch plan gives the node it recomputes


@dataclass(frozen=True, slots=True)
class Checked:
    """One imported result and what recomputing it gave."""

    node: NodeId
    label: str | None
    span: str | None
    stored: Digest
    verdict: Verdict
    recomputed: Digest | None = None
    reason: str | None = None  # why it could not be recomputed (verdict "unchecked")

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "label": self.label,
            "span": self.span,
            "stored": self.stored,
            "recomputed": self.recomputed,
            "verdict": self.verdict,
            "reason": self.reason,
        }


@dataclass(slots=True)
class VerifyReport:
    """What `verify_results` checked: `imported` candidates, `checked` the ones recomputed."""

    run: RunId | None
    imported: int = 0
    checked: list[Checked] = field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for c in self.checked if c.verdict == verdict)

    @property
    def ok(self) -> bool:
        """True when every checked result was recomputed and matched."""
        return all(c.verdict == "same" for c in self.checked)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "imported": self.imported,
            "checked": len(self.checked),
            "same": self.count("same"),
            "differs": self.count("differs"),
            "unchecked": self.count("unchecked"),
            "results": [c.to_json() for c in self.checked],
        }


def imported_results(store: Store, run: RunId | None = None) -> list[ResultInfo]:
    """The imported results of `run` (those it computed, noted or has as goals), or of the store."""
    if run is None:
        found = [r for r in store.results() if r.provenance != "local"]
    else:
        info = store.run_info(run)
        nodes = {n for n, _ in store.run_nodes(run)}
        nodes |= {NodeId(str(g["node"])) for g in info.goals if "node" in g}
        found = [r for n in nodes if (r := store.result(n)) is not None and r.provenance != "local"]
        found += [
            r for r in store.results() if r.run == run and r.node not in nodes and r.provenance != "local"
        ]
    return sorted(found, key=lambda r: r.node)


def verify_results(
    store: Store,
    run: RunId | None = None,
    *,
    sample: int | None = None,
    seed: int | None = None,
    registry: Registry | None = None,
) -> VerifyReport:
    """Recompute the imported results of `run` (or of the whole store), all or a random `sample`."""
    if sample is not None and sample < 0:
        raise UsageError(f"--sample must be at least 0, got {sample}")
    candidates = imported_results(store, run)
    report = VerifyReport(run=run, imported=len(candidates))
    if sample is not None and sample < len(candidates):
        candidates = sorted(random.Random(seed).sample(candidates, sample), key=lambda r: r.node)
    registry = registry or default_registry()
    for result in candidates:
        report.checked.append(_check(store, registry, result))
    return report


class _Unchecked(Exception):
    """Why a result cannot be recomputed here."""


def _check(store: Store, registry: Registry, result: ResultInfo) -> Checked:
    label = span = None
    try:
        record = store.node(result.node)
        label, span = record.label, record.span
        plan, scratch = _scratch_plan(store, registry, result.node, record.definition, label)
        recomputed = _recompute(plan, scratch, registry, result.node)
    except _Unchecked as why:
        return Checked(result.node, label, span, result.digest, "unchecked", reason=str(why))
    except VoxcasError as error:
        return Checked(result.node, label, span, result.digest, "unchecked", reason=str(error))
    verdict: Verdict = "same" if recomputed == result.digest else "differs"
    return Checked(result.node, label, span, result.digest, verdict, recomputed)


def _definition(text: str, node: NodeId) -> Any:
    try:
        return definition_from_json(text)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise _Unchecked(f"the definition of node {node[:12]} cannot be read: {error}") from None


def _scratch_plan(
    store: Store, registry: Registry, node: NodeId, text: str, label: str | None
) -> tuple[Workplan, Any]:
    """A plan of `node` and the definitions it needs, and a scratch store with its arguments' values."""
    from voxcas.store.memory import MemoryStore

    definition = _definition(text, node)
    if not isinstance(definition, Apply):
        raise _Unchecked("it is not the result of a computation")
    try:
        primitive = registry.get(definition.op)
    except VoxcasError as error:
        raise _Unchecked(str(error)) from None
    if not primitive.pure:
        raise _Unchecked(f"{definition.op} is not pure: its value may differ on every run")
    plan = Workplan()
    scratch = MemoryStore()
    target = PlanNode(node, definition, label=label)
    _add_arguments(store, scratch, plan, target.args)
    plan.add(target)
    plan.names[_TARGET] = node
    return plan, scratch


def _add_arguments(store: Store, scratch: Store, plan: Workplan, args: Iterable[NodeId]) -> None:
    """Add the argument nodes to `plan`: definitions as they are, computed values from `store`."""
    stack = list(args)
    while stack:
        arg = stack.pop()
        if arg in plan.nodes:
            continue
        try:
            record = store.node(arg)
        except VoxcasError:
            raise _Unchecked(f"argument {arg[:12]} has no node record in this store") from None
        definition = _definition(record.definition, arg)
        if isinstance(definition, Closure):
            stack.extend(definition.captures)
        elif isinstance(definition, ValueRef):
            scratch.put(_value(store, definition.digest, arg))
        elif isinstance(definition, Apply):
            # a computed argument enters as its stored value: the walk stops there
            digest = store.lookup(arg)
            if digest is None:
                raise _Unchecked(f"argument {arg[:12]} ({record.label or record.op}) has no stored value")
            scratch.put(_value(store, digest, arg))
            definition = ValueRef(digest)
        plan.add(PlanNode(arg, definition, label=record.label))


def _value(store: Store, digest: Digest, node: NodeId) -> Any:
    try:
        return store.get(digest)
    except VoxcasError as error:
        raise _Unchecked(f"the value of argument {node[:12]} cannot be read: {error}") from None


def _recompute(plan: Workplan, scratch: Store, registry: Registry, node: NodeId) -> Digest:
    from voxcas.execute.engine import run_workplan
    from voxcas.execute.options import RunOptions

    options = RunOptions(
        scheduler="sync", registry=registry, show=(_TARGET,), program=f"<verify {node[:12]}>"
    )
    with scratch:
        summary = run_workplan(plan, scratch, options)
        if summary.failures:
            raise _Unchecked(f"recomputing it failed: {summary.failures[0].message}")
        digest = scratch.lookup(node)
    if digest is None:
        raise _Unchecked(f"recomputing it gave no value (run {summary.status})")
    return digest
