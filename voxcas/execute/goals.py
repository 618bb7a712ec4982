"""Goals: `print` and `save` commands (and `--show NAME`), run in program order after computing.

Goals run every time a program runs; only their inputs come from the store (or are constants).
A goal whose node failed or was skipped prints nothing (the failure is already in the summary).
A `save` that fails (unknown extension, unwritable path) is a failure of the run, reported at
the goal's source position. Nothing here computes a node.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.execute.options import Failure, RunSummary
from voxcas.ids import NodeId
from voxcas.plan.nodes import Const, Goal, ValueRef, Workplan

if TYPE_CHECKING:
    from voxcas.execute.engine import Engine

_MISSING = object()


def value_of(engine: Engine, plan: Workplan, node: NodeId) -> Any:
    """The value of a finished node: a constant, a held value, or the stored object."""
    d = plan.nodes[node].definition
    if isinstance(d, Const):
        return d.value
    if node in engine.held:
        return engine.held[node]
    digest = d.digest if isinstance(d, ValueRef) else engine.digest_of(node)
    if digest is None:
        return _MISSING
    return engine.store.get(digest)


def _read(engine: Engine, plan: Workplan, node: NodeId) -> Any:
    """`value_of`, recomputing the node once if its stored object turns out to be unreadable."""
    try:
        return value_of(engine, plan, node)
    except (CorruptObjectError, ObjectNotFoundError):
        # recompute it, holding the fresh value: the store may keep the damaged copy until fsck
        engine.forget(node)
        engine.keep_values.add(node)
        engine.satisfy(plan.nodes, [node])
        engine.flush()
        if node in engine.bad:
            return _MISSING
        return value_of(engine, plan, node)


def _fail(engine: Engine, goal: Goal, node: NodeId, message: str) -> None:
    where = str(goal.span) if goal.span is not None else None
    engine.failures.append(
        Failure(
            node, f"goal.{goal.kind}", where, f"{where}: error: {message}" if where else f"error: {message}"
        )
    )


def run_goals(engine: Engine, plan: Workplan, summary: RunSummary) -> None:
    from voxcas.values import format_value

    for goal in plan.goals:
        if goal.node in engine.bad:
            continue
        try:
            value = _read(engine, plan, goal.node)
        except Exception as error:  # a corrupt object that could not be recomputed either
            _fail(engine, goal, goal.node, f"cannot read the value of {goal.target!r}: {error}")
            continue
        if value is _MISSING:
            _fail(engine, goal, goal.node, f"no value for {goal.target!r}")
            continue
        if goal.kind == "print":
            summary.outputs.append(f"{goal.target}={format_value(value)}")
            continue
        target = engine.options.out_dir / goal.target
        try:
            from voxcas.output import write_value

            target.parent.mkdir(parents=True, exist_ok=True)
            write_value(value, target)
        except Exception as error:
            message = str(error) if goal.target in str(error) else f"save {goal.target!r}: {error}"
            engine.writer.fail(plan.nodes[goal.node], message, traceback.format_exc())
            _fail(engine, goal, goal.node, message)
            continue
        summary.saved.append(str(target))
    for name in engine.options.show:
        node = plan.names[name]
        if node in engine.bad:
            continue
        value = _read(engine, plan, node)
        if value is not _MISSING:
            summary.outputs.append(f"{name}={format_value(value)}")
