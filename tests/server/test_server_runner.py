"""The run pool: queueing, progress counts, cancel before and during a run, time limits, failures."""

from __future__ import annotations

import threading
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.execute.options import Failure, RunSummary
from voxcas.ids import NodeId, RunId
from voxcas.plan.nodes import Workplan
from voxcas.server.runner import RunJob, RunManager
from voxcas.store.memory import MemoryStore

WAIT = 30.0  # a bound on waiting for a worker thread, never a timing assertion


def _manager(execute: Any, workers: int = 1) -> RunManager:
    store = MemoryStore()
    return RunManager(lambda: store, workers=workers, execute=execute)


def _submit(manager: RunManager, max_seconds: float = 60.0) -> RunJob:
    return manager.submit(Workplan(), name="p.imgql", program_text="", max_seconds=max_seconds)


def test_a_run_reports_the_executors_progress_and_summary() -> None:
    reached = threading.Event()
    release = threading.Event()

    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        progress.start(RunId("r" * 32), 3, 1)
        progress.posttask(NodeId("a"), "computed")
        reached.set()
        release.wait(WAIT)
        progress.posttask(NodeId("b"), "computed")
        return RunSummary(RunId("r" * 32), "ok", computed=2, reused=1)

    manager = _manager(execute)
    job = _submit(manager)
    assert reached.wait(WAIT)
    assert (job.status, job.total, job.done, job.reused, job.store_run) == ("running", 3, 1, 1, "r" * 32)
    release.set()
    assert job.finished_event.wait(WAIT)
    assert (job.status, job.done, job.computed, job.error) == ("ok", 2, 2, None)
    manager.shutdown()


def test_a_queued_run_cancelled_before_it_starts_never_runs() -> None:
    release = threading.Event()
    ran: list[str] = []

    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        ran.append(job.id)
        release.wait(WAIT)
        return RunSummary(RunId(job.id))

    manager = _manager(execute, workers=1)
    first = _submit(manager)
    second = _submit(manager)
    assert manager.cancel(second.id).status == "cancelled"
    release.set()
    assert first.finished_event.wait(WAIT) and second.finished_event.wait(WAIT)
    manager.shutdown()
    assert ran == [first.id]
    assert (second.status, second.error) == ("cancelled", "cancelled before it started")


def test_cancel_sets_the_event_the_executor_watches() -> None:
    started = threading.Event()

    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        started.set()
        job.cancel.wait(WAIT)
        return RunSummary(RunId(job.id), "cancelled")

    manager = _manager(execute)
    job = _submit(manager)
    assert started.wait(WAIT)
    manager.cancel(job.id[:6])
    assert job.finished_event.wait(WAIT)
    assert (job.status, job.error) == ("cancelled", "cancelled")
    manager.shutdown()


def test_a_run_over_its_time_limit_is_stopped_and_marked_timeout() -> None:
    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        job.cancel.wait(WAIT)
        return RunSummary(RunId(job.id), "cancelled")

    manager = _manager(execute)
    job = _submit(manager, max_seconds=0.05)
    assert job.finished_event.wait(WAIT)
    assert (job.status, job.error) == ("timeout", "the run exceeded its time limit of 0.05 s")
    manager.shutdown()


def test_a_failed_run_reports_its_first_failure() -> None:
    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        failures = [
            Failure(NodeId("a"), "vox1.near", "p.imgql:1:5", "p.imgql:1:5: error: vox1.near: boom"),
            Failure(NodeId("b"), None, None, "other"),
        ]
        return RunSummary(RunId(job.id), "failed", failed=2, failures=failures)

    manager = _manager(execute)
    job = _submit(manager)
    assert job.finished_event.wait(WAIT)
    assert (job.status, job.error) == ("failed", "p.imgql:1:5: error: vox1.near: boom (and 1 more failures)")
    manager.shutdown()


def test_an_error_raised_by_the_executor_fails_the_run_with_its_message() -> None:
    def execute(job: RunJob, store: Any, progress: Any) -> RunSummary:
        raise PrimitiveError("default.load", "cannot read 'x.png'", "path")

    manager = _manager(execute)
    job = _submit(manager)
    assert job.finished_event.wait(WAIT)
    assert (job.status, job.error) == ("failed", "default.load: argument 'path': cannot read 'x.png'")
    manager.shutdown()


def test_jobs_are_listed_newest_first_and_found_by_prefix() -> None:
    manager = _manager(lambda job, store, progress: RunSummary(RunId(job.id)))
    a = _submit(manager)
    b = _submit(manager)
    a.submitted -= 10.0
    assert [j.id for j in manager.jobs()] == [b.id, a.id]
    assert manager.get(a.id[:8]) is a
    manager.shutdown()


def test_only_the_newest_finished_jobs_are_remembered() -> None:
    store = MemoryStore()
    manager = RunManager(
        lambda: store, workers=1, execute=lambda job, s, p: RunSummary(RunId(job.id)), max_jobs=2
    )
    jobs = [_submit(manager) for _ in range(4)]
    for job in jobs:
        assert job.finished_event.wait(WAIT)
    manager.shutdown()
    assert {j.id for j in manager.jobs()} == {jobs[2].id, jobs[3].id}
