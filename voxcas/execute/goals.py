"""Goals: `print` and `save` commands (and `--show NAME`), run in program order after computing.

Goals run every time a program runs; only their inputs come from the store (or are constants).
A goal whose node failed or was skipped prints nothing (the failure is already in the summary).
A `save` that fails (unknown extension, unwritable path) is a failure of the run, reported at
the goal's source position. Nothing here computes a node.
"""

from __future__ import annotations

import traceback
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.execute.context import RunContext
from voxcas.execute.options import Failure, RunSummary
from voxcas.ids import NodeId
from voxcas.plan.nodes import Const, Goal, ValueRef, Workplan

_MISSING = object()


def value_of(ctx: RunContext, plan: Workplan, node: NodeId) -> Any:
    """The value of a finished node: a constant, a held value, or the stored object."""
    d = plan.nodes[node].definition
    if isinstance(d, Const):
        return d.value
    if node in ctx.state.held:
        return ctx.state.held[node]
    digest = d.digest if isinstance(d, ValueRef) else ctx.state.digest_of(node)
    if digest is None:
        return _MISSING
    return ctx.store.get(digest)


def _read(ctx: RunContext, plan: Workplan, node: NodeId) -> Any:
    """`value_of`, recomputing the node once if its stored object turns out to be unreadable."""
    try:
        return value_of(ctx, plan, node)
    except (CorruptObjectError, ObjectNotFoundError):
        # recompute it, holding the fresh value: the store may keep the damaged copy until fsck
        ctx.state.forget(node)
        ctx.state.keep_for_good(node)
        ctx.satisfy(plan.nodes, [node])
        ctx.state.flush()
        if node in ctx.state.bad:
            return _MISSING
        return value_of(ctx, plan, node)


def _fail(ctx: RunContext, goal: Goal, node: NodeId, message: str) -> None:
    where = str(goal.span) if goal.span is not None else None
    text = f"{where}: error: {message}" if where else f"error: {message}"
    ctx.state.add_failure(Failure(node, f"goal.{goal.kind}", where, text))


def run_goals(ctx: RunContext, plan: Workplan, summary: RunSummary) -> None:
    from voxcas.values import format_value

    state = ctx.state
    for goal in plan.goals:
        if goal.node in state.bad:
            continue
        try:
            value = _read(ctx, plan, goal.node)
        except Exception as error:  # a corrupt object that could not be recomputed either
            _fail(ctx, goal, goal.node, f"cannot read the value of {goal.target!r}: {error}")
            continue
        if value is _MISSING:
            _fail(ctx, goal, goal.node, f"no value for {goal.target!r}")
            continue
        if goal.kind == "print":
            summary.outputs.append(f"{goal.target}={format_value(value)}")
            continue
        target = ctx.options.out_dir / goal.target
        try:
            from voxcas.output import write_value

            target.parent.mkdir(parents=True, exist_ok=True)
            write_value(value, target)
        except Exception as error:
            message = str(error) if goal.target in str(error) else f"save {goal.target!r}: {error}"
            ctx.state.record_failure(plan.nodes[goal.node], message, traceback.format_exc())
            _fail(ctx, goal, goal.node, message)
            continue
        summary.saved.append(str(target))
    for name in ctx.options.show:
        node = plan.names[name]
        if node in state.bad:
            continue
        value = _read(ctx, plan, node)
        if value is not _MISSING:
            summary.outputs.append(f"{name}={format_value(value)}")
