"""Goals: `print` and `save` commands (and `--show NAME`), run in program order after computing.

Goals run every time a program runs; only their inputs come from the store (or are constants).
A goal whose node failed or was skipped prints nothing (the failure is already in the summary).
A `save` that fails (unknown extension, unwritable path) is a failure of the run, reported at
the goal's source position. Nothing here computes a node.
"""

from __future__ import annotations

import traceback
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError, PrimitiveError
from voxcas.execute.context import RunContext
from voxcas.execute.options import Failure, RunSummary
from voxcas.ids import NodeId
from voxcas.plan.nodes import Const, Goal, ValueRef, Workplan
from voxcas.values import kind_of

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

    for goal in plan.goals:
        if goal.node in ctx.state.bad:
            continue
        try:
            value = _read(ctx, plan, goal.node)
        except Exception as error:  # a corrupt object that could not be recomputed either
            _fail(ctx, goal, goal.node, f"cannot read the value of {goal.target!r}: {error}")
            continue
        if value is _MISSING:
            _fail(ctx, goal, goal.node, f"no value for {goal.target!r}")
            continue
        if goal.pairs:
            try:
                pairs = goal_pairs(goal, value)
            except PrimitiveError as error:
                _fail(ctx, goal, goal.node, str(error))
                continue
        else:
            pairs = [(goal.target, value)]
        if goal.kind == "print":
            summary.outputs.extend(f"{label}={format_value(item)}" for label, item in pairs)
            continue
        for target, item in pairs:
            if not _save(ctx, plan, goal, target, item, summary):
                break
    for name in ctx.options.show:
        node = plan.names[name]
        if node in ctx.state.bad:
            continue
        value = _read(ctx, plan, node)
        if value is not _MISSING:
            summary.outputs.append(f"{name}={format_value(value)}")


def _save(ctx: RunContext, plan: Workplan, goal: Goal, target: str, value: Any, summary: RunSummary) -> bool:
    """Write one saved value; a failure is the goal's (reported at its position)."""
    try:
        from voxcas.output import save_path, write_value

        path = save_path(ctx.options.out_dir, target)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_value(value, path)
    except Exception as error:
        message = str(error) if target in str(error) else f"save {target!r}: {error}"
        ctx.state.record_failure(plan.nodes[goal.node], message, traceback.format_exc())
        _fail(ctx, goal, goal.node, message)
        return False
    summary.saved.append(str(ctx.options.out_dir / target))
    return True


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def goal_pairs(goal: Goal, value: Any) -> list[tuple[str, Any]]:
    """The (label or path, value) pairs of a goal with a computed target (`Goal.pairs`).

    A target that is a sequence of strings goes with a value that is a sequence of the same
    length, item by item. In a goal loop, a path holding a format field (`"case_{:03d}.png"`)
    gets the item's index. Two items may not save to the same path (case ids that collide)."""
    from voxcas.output import item_name

    what = "label" if goal.kind == "print" else "path"
    out: list[tuple[str, Any]] = []
    items = list(value)
    for index, (target, item) in enumerate(items):
        if isinstance(target, str):
            if goal.kind == "save" and len(items) > 1 and "{" in target:
                target = item_name(target, index)
            out.append((target, item))
            continue
        if kind_of(target) != "sequence" or not all(isinstance(t, str) for t in target):
            raise PrimitiveError(
                goal.kind, f"the {what} must be a string or a sequence of strings, got {kind_of(target)}"
            )
        targets = list(target)
        values = list(item) if kind_of(item) == "sequence" else None
        if values is None or len(values) != len(targets):
            n = len(targets)
            got = kind_of(item) if values is None else _count(len(values), "value")
            raise PrimitiveError(
                goal.kind, f"{_count(n, what)} need{'s' if n == 1 else ''} a sequence of {n}, got {got}"
            )
        out.extend(zip(targets, values, strict=True))
    if goal.kind == "save":
        seen: dict[str, int] = {}
        for index, (target, _) in enumerate(out):
            if target in seen:
                raise PrimitiveError(
                    "save", f"items {seen[target]} and {index} would both be saved to {target!r}"
                )
            seen[target] = index
    return out
