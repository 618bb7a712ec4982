"""What a task knows of an argument from outside its own graph, before anything is loaded.

A node outside the graph being built is either known without the store (it failed or was
skipped, its value is held in memory, it is a constant: `known_outcome`) or stored under a
digest (`stored_digest`), which the placement turns into a load. Nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voxcas.execute.fusion import is_scalar_value
from voxcas.execute.state import RunState
from voxcas.execute.tasks import Ok, Outcome, Skipped
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import Const, PlanNode, ValueRef
from voxcas.store.base import StoredSequence


def known_outcome(state: RunState, nodes: Mapping[NodeId, PlanNode], arg: NodeId) -> Outcome | None:
    """The outcome of a node outside the graph being built when it is known without the store:
    a failed or skipped node, a held value, a constant; else None."""
    if arg in state.bad:
        return Skipped(f"depends on {state.bad[arg]} node {arg[:12]}")
    if arg in state.held:
        return Ok(state.held[arg], 0.0)
    d = nodes[arg].definition
    if isinstance(d, Const):
        return Ok(d.value, 0.0)
    return None


def stored_digest(state: RunState, nodes: Mapping[NodeId, PlanNode], arg: NodeId) -> Digest | None:
    """The digest of a stored input: named by a ValueRef, or the result stored for the node."""
    d = nodes[arg].definition
    return d.digest if isinstance(d, ValueRef) else state.digest_of(arg)


def held_scalar(state: RunState, nid: NodeId) -> bool | None:
    """Whether a value the run holds in memory is a scalar; None when it holds none."""
    if nid not in state.held:
        return None
    return is_scalar_value(state.held[nid])


def portable(value: Any) -> Any:
    """A value that can leave this process: stored sequences (which hold the store) become lists."""
    if isinstance(value, StoredSequence):
        return [portable(item) for item in value]
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    return value


def portable_outcome(outcome: Outcome) -> Outcome:
    return Ok(portable(outcome.value), outcome.seconds) if isinstance(outcome, Ok) else outcome
