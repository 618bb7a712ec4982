"""Reduction under a budget: the cancel event and the node limit stop it, with a clear message."""

from __future__ import annotations

import threading

import pytest

from voxcas.errors import PlanTooLargeError, RunCancelled
from voxcas.lang import reduce_source
from voxcas.lang.budget import Budget, plan_size


def branching(depth: int) -> str:
    """2^depth distinct nodes from a few lines: each function calls the previous on two values
    computed at run time (a range's length is not folded)."""
    lines = ["f0(x) = x"]
    lines += [f"f{i}(x) = f{i - 1}(x * 2) + f{i - 1}(x * 2 + 1)" for i in range(1, depth + 1)]
    return "\n".join([*lines, f'print "r" f{depth}(length(range(3)))']) + "\n"


def test_a_plan_growing_past_the_node_limit_stops_at_the_position_being_reduced() -> None:
    with pytest.raises(PlanTooLargeError) as caught:
        reduce_source(branching(30), "p.imgql", budget=Budget(max_nodes=1000))
    message = str(caught.value)
    assert message.startswith("p.imgql:")
    assert "over the limit of 1,000 nodes (--max-nodes); nothing was run" in message


def test_a_finished_plan_over_the_limit_is_refused_with_its_exact_count() -> None:
    text = branching(3)
    size = plan_size(reduce_source(text))
    with pytest.raises(PlanTooLargeError) as caught:
        reduce_source(text, "p.imgql", budget=Budget(max_nodes=size - 1))
    assert str(caught.value) == (
        f"p.imgql: the plan has {size:,} nodes, over the limit of {size - 1:,} nodes (--max-nodes); "
        "nothing was run"
    )
    assert plan_size(reduce_source(text, budget=Budget(max_nodes=size))) == size


def test_loop_bodies_count_towards_the_plan_size() -> None:
    flat = plan_size(reduce_source('print "r" length(range(3)) + 1\n'))
    looped = plan_size(reduce_source('print "r" for i in range(3) do i * 2 + 1\n'))
    assert looped > flat


def test_a_set_cancel_event_stops_the_reduction() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunCancelled, match="cancelled while reducing the program"):
        reduce_source(branching(30), budget=Budget(cancel=cancel))
