"""Progress callbacks: what the engine reports, as JSON events and on a terminal bar."""

from __future__ import annotations

import io
import json

from exec_helpers import PlanBuilder, chain, reduce

from voxcas.execute import RunOptions, run_workplan
from voxcas.execute.progress import JsonProgress, Progress, TerminalProgress
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore


def test_json_events_count_every_node_and_end_with_the_status(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    bad = b.app("boom", b.const(1))
    b.print("bad", b.app("inc", bad))
    b.print("ok", b.app("inc", b.const(2)))
    events: list[dict[str, object]] = []
    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"), JsonProgress(events.append))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "finish"
    assert sorted(str(e["status"]) for e in events if e["event"] == "posttask") == [
        "computed",
        "failed",
        "skipped",
    ]
    last = events[-1]
    assert (last["status"], last["total"], last["done"], last["failed"], last["skipped"]) == (
        "failed",
        3,
        3,
        1,
        1,
    )


def test_json_events_to_a_stream_are_one_object_per_line(registry: Registry, store: MemoryStore) -> None:
    b, _ = chain(3)
    stream = io.StringIO()
    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"), JsonProgress(stream))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in lines] == ["start", "grow", "posttask", "posttask", "posttask", "finish"]
    assert lines[1]["total"] == 3


def test_a_warm_run_reports_reuse_and_no_work(registry: Registry, store: MemoryStore) -> None:
    b, _ = chain(3)
    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"))
    events: list[dict[str, object]] = []
    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"), JsonProgress(events.append))
    assert (events[-1]["total"], events[-1]["reused"], events[-1]["done"]) == (0, 1, 0)


def test_pretask_names_each_node_before_it_runs(registry: Registry, store: MemoryStore) -> None:
    b, ids = chain(4)
    started: list[str] = []

    class Recorder(Progress):
        def pretask(self, node: str, label: str | None) -> None:  # type: ignore[override]
            started.append(node)

    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"), Recorder())
    assert started == ids[1:]


def test_the_terminal_bar_shows_done_total_reused_and_failures(
    registry: Registry, store: MemoryStore
) -> None:
    bar = TerminalProgress(io.StringIO())
    bar.start("r" * 32, 0, 0)  # type: ignore[arg-type]
    bar.grow(10, 5)
    for status in ["computed"] * 3 + ["failed"]:
        bar.posttask("n", status)  # type: ignore[arg-type]
    text = bar._render().plain
    assert "4/10 computed, 5 reused, 1 failed" in text
    assert text.startswith("████████████░")


def test_json_events_name_each_nodes_primitive_and_label(registry: Registry, store: MemoryStore) -> None:
    b = PlanBuilder()
    b.print("ok", b.app("inc", b.const(2), label="x"))
    events: list[dict[str, object]] = []
    run_workplan(b.plan, store, RunOptions(registry=registry, scheduler="sync"), JsonProgress(events.append))
    done = [e for e in events if e["event"] == "posttask"]
    assert [(e["primitive"], e["label"]) for e in done] == [("t.inc", "x")]


def test_a_loop_reports_its_items_done_out_of_their_total(registry: Registry, store: MemoryStore) -> None:
    plan = reduce('print "ys" for i in range(0, 6) do t.inc(i)', registry)
    events: list[dict[str, object]] = []
    options = RunOptions(registry=registry, scheduler="sync", loop_batch=4)
    run_workplan(plan, store, options, JsonProgress(events.append))
    assert [e["items_total"] for e in events if e["event"] == "items"] == [6]
    assert [(e["items_done"], e["item"]) for e in events if e["event"] == "items_done"] == [(4, 3), (6, 5)]


def test_the_terminal_display_names_the_loop_item_and_the_running_node() -> None:
    bar = TerminalProgress(io.StringIO())
    bar.grow(24, 0)
    bar.items(24)
    bar.items_done(5, "/data/cases/case_005.nii.gz")
    bar.pretask("n", "brain")  # type: ignore[arg-type]
    text = bar._render().plain
    assert "item 5/24 (case_005.nii.gz)" in text
    assert text.endswith("brain")


def test_no_eta_is_guessed_before_this_runs_own_work_says_anything() -> None:
    bar = TerminalProgress(io.StringIO())
    bar.grow(1000, 900)  # a resumed run: most of it reused
    bar.posttask("n", "computed")  # type: ignore[arg-type]
    assert bar.eta() is None  # under two seconds and under 5 % of the work done
    bar.started -= 10.0
    for _ in range(99):
        bar.posttask("n", "computed")  # type: ignore[arg-type]
    eta = bar.eta()
    assert eta is not None and 80.0 < eta < 100.0  # 100 done in 10 s, 900 left: 90 s


def test_the_terminal_clock_ticks_while_no_node_finishes() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.start("r" * 32, 5, 0)  # type: ignore[arg-type]
    first = bar._render().plain
    bar.started -= 3.0  # as if three seconds passed with no event
    later = bar._render().plain
    assert bar._live is not None and bar._live.auto_refresh  # rich's own thread redraws it
    bar.finish(None)  # type: ignore[arg-type]
    assert "0.0s" in first and "3.0s" in later
