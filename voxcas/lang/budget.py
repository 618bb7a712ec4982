"""The budget a reduction runs under: a node limit and a cancel event, checked as it goes.

A program of a few hundred bytes can ask the reducer for unbounded work (issue 10), so the
reducer calls `Budget.check` every `CHECK_EVERY` expressions it reduces and once more at the end:

- `cancel` (a `threading.Event`): set by whoever owns the reduction (the HTTP API's cancel, the
  run's time limit) to stop it; `check` then raises `RunCancelled`. The reducer does not look at
  clocks itself: the owner's timer sets the event, so one event stops reduction and execution.
- `max_nodes`: the plan may not grow past this many nodes (`plan_size`: plan nodes plus the
  nodes of every loop body's template); past it `check` raises `PlanTooLargeError` naming the
  count reached, the limit and the position being reduced. A finished plan over the limit is
  refused by `check_plan_size` with its exact count.

Each step between two checks is bounded: function calls are memoised, and constant folding
refuses arguments and results over the sizes of `voxcas.plan.fold` (a doubling string is folded
only up to `MAX_FOLDED_CHARS`), so no single step can run for long between checks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from voxcas.errors import PlanTooLargeError, RunCancelled
from voxcas.plan.nodes import Closure, TClosure, Template, Workplan
from voxcas.span import Span

CHECK_EVERY = 256  # expressions reduced between two checks of the budget
DEFAULT_MAX_NODES = 1_000_000  # `vox serve`'s node limit: far above the plans of real studies


@dataclass(slots=True)
class Budget:
    """What a reduction may use: at most `max_nodes` nodes (None: no limit), until `cancel` is set."""

    max_nodes: int | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def check(self, nodes: int, span: Span | None) -> None:
        """Raise if the reduction was cancelled or its plan (`nodes` so far) is over the limit."""
        if self.cancel.is_set():
            where = f" at {span}" if span is not None else ""
            raise RunCancelled(f"cancelled while reducing the program{where}")
        if self.max_nodes is not None and nodes > self.max_nodes:
            where = f"{span}: " if span is not None else ""
            raise PlanTooLargeError(
                f"{where}the plan grew to {nodes:,} nodes while this was reduced, "
                f"over the limit of {self.max_nodes:,} nodes (--max-nodes); nothing was run"
            )


def template_size(template: Template) -> int:
    """Nodes of a loop body, its nested loop bodies included (no recursion: bodies nest deeply)."""
    total = 0
    stack = [template]
    while stack:
        body = stack.pop()
        total += len(body.nodes)
        stack.extend(node.body for node in body.nodes if isinstance(node, TClosure))
    return total


def plan_size(plan: Workplan) -> int:
    """Nodes of a workplan: its nodes plus the nodes of every loop body's template."""
    total = len(plan.nodes)
    for node in plan.nodes.values():
        if isinstance(node.definition, Closure):
            total += template_size(node.definition.body)
    return total


def check_plan_size(plan: Workplan, max_nodes: int | None, program: str) -> None:
    """Refuse a finished plan with more than `max_nodes` nodes, naming its count and the limit."""
    if max_nodes is None:
        return
    size = plan_size(plan)
    if size > max_nodes:
        raise PlanTooLargeError(
            f"{program}: the plan has {size:,} nodes, over the limit of {max_nodes:,} nodes "
            "(--max-nodes); nothing was run"
        )
