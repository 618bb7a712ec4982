"""Runs submitted over HTTP: a bounded pool of worker threads, progress, cancel and time limits.

Design:
- `submit_program` is called by `POST /runs` with the program's `Prepare` (parse, reduce, check).
  It registers a `RunJob` ("reducing") at once and hands the reduction to a pool of
  `run_workers` reducer threads, under the job's budget (`voxcas.lang.budget`): the job's cancel
  event, which its time limit also sets, and the node limit. So a program that asks the reducer
  for unbounded work has an id from the start, can be cancelled, and times out like a run. When
  the reduction ends, `on_reduced` is called: a refused program (syntax, resolution, forbidden
  read, too many nodes) ends the job "failed" and keeps the error in `rejection` (the route answers
  with its status); an accepted one goes on as by `submit`.
- `submit` registers a job for an already checked plan ("queued") and hands it to a
  `ThreadPoolExecutor` of `run_workers` threads; more runs wait in its queue.
- A worker marks the job "running", arms a timer for the job's time limit, and calls
  `voxcas.execute.run_workplan` with the job's cancel event in `RunOptions.cancel` and a progress
  callback that keeps the counts `GET /runs/{id}` shows. The executor stores every finished node
  as it completes, so a cancelled or timed-out run keeps its finished work.
- Cancel sets the event: a reducing job stops at the reducer's next check, a queued job never
  starts, a running one stops at the executor's next check. The timer sets the same event and
  marks the job "timeout"; the time spent reducing counts against the run's limit.
- Job records live in memory (the store keeps the durable run record, `store_run`): a finished
  job keeps its goals, not its whole plan, and only the newest `max_jobs` records are kept.
  `shutdown()` cancels what is in flight and waits for the workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import ObjectNotFoundError, RunCancelled, VoxcasError
from voxcas.ids import RunId, new_run_id

if TYPE_CHECKING:
    from voxcas.access import AccessPolicy
    from voxcas.execute.options import RunSummary
    from voxcas.ids import NodeId
    from voxcas.lang.budget import Budget
    from voxcas.plan.nodes import Workplan
    from voxcas.primitives.registry import Registry
    from voxcas.store.base import Store


@dataclass(slots=True)
class RunJob:
    """One run submitted over HTTP, as the API reports it."""

    id: RunId
    name: str
    plan: Workplan
    program_text: str
    max_seconds: float
    workers: int | None
    out_dir: Path | None
    registry: Registry | None = None
    access: AccessPolicy | None = None  # where the run may read and write (`voxcas.access`)
    submitted: float = field(default_factory=time.time)
    status: str = "queued"  # reducing | queued | running | ok | failed | cancelled | timeout
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    store_run: RunId | None = None
    total: int = 0
    done: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0
    timed_out: bool = False
    outputs: list[str] = field(default_factory=list)  # the printed lines, `label=value`
    saved: list[str] = field(default_factory=list)  # files written by save goals
    failures: list[str] = field(default_factory=list)  # one line per failed node
    rejection: VoxcasError | None = None  # why the program was refused while it was reduced
    reduce_seconds: float = 0.0  # time spent reducing (it counts against `max_seconds`)
    cancel: threading.Event = field(default_factory=threading.Event)
    finished_event: threading.Event = field(default_factory=threading.Event)

    @property
    def computed(self) -> int:
        return max(0, self.done - self.failed - self.skipped)

    @property
    def is_final(self) -> bool:
        return self.status in ("ok", "failed", "cancelled", "timeout")


def _job_progress(job: RunJob) -> Any:
    """A progress callback writing the executor's counts into the job (read by GET /runs/{id})."""
    from voxcas.execute.progress import CountingProgress

    class JobProgress(CountingProgress):
        def _copy(self) -> None:
            job.total, job.done, job.reused = self.total, self.done, self.reused
            job.failed, job.skipped = self.failed, self.skipped

        def start(self, run: RunId, total: int, reused: int) -> None:
            super().start(run, total, reused)
            job.store_run = run
            self._copy()

        def grow(self, total: int, reused: int) -> None:
            super().grow(total, reused)
            self._copy()

        def posttask(
            self, node: NodeId, status: str, primitive: str | None = None, label: str | None = None
        ) -> None:
            super().posttask(node, status, primitive, label)
            self._copy()

    return JobProgress()


Execute = Callable[[RunJob, "Store", Any], "RunSummary"]
# parse, reduce and check a submitted program under a budget: its plan and the registry to run it with
Prepare = Callable[["Store", "Budget"], "tuple[Workplan, Registry]"]


def execute_job(job: RunJob, store: Store, progress: Any) -> RunSummary:
    """Run a job's plan with the executor (the default `Execute` of a `RunManager`)."""
    from voxcas.execute import run_workplan
    from voxcas.execute.options import RunOptions

    options = RunOptions(
        workers=job.workers,
        out_dir=job.out_dir if job.out_dir is not None else Path.cwd(),
        program=job.name,
        program_text=job.program_text,
        cancel=job.cancel,
        registry=job.registry,
        access=job.access,
    )
    return run_workplan(job.plan, store, options, progress=progress)


def _relative(path: str, base: Path | None) -> str:
    """A saved file's path relative to the run's output directory (clients never see server paths)."""
    if base is not None:
        try:
            return Path(path).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return Path(path).name


class RunManager:
    def __init__(
        self,
        store_for_thread: Callable[[], Store],
        *,
        workers: int,
        execute: Execute = execute_job,
        max_jobs: int = 1000,
    ) -> None:
        self._store_for_thread = store_for_thread
        self._execute = execute
        self._max_jobs = max_jobs
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vox-run")
        self._reducers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vox-reduce")
        self._closed = False
        self._jobs: dict[RunId, RunJob] = {}
        self._lock = threading.Lock()

    # -- API -----------------------------------------------------------------------------------
    def submit(
        self,
        plan: Workplan,
        *,
        name: str,
        program_text: str,
        max_seconds: float,
        workers: int | None = None,
        out_root: Path | None = None,
        registry: Registry | None = None,
        data_roots: Sequence[Path] | None = None,
    ) -> RunJob:
        """Queue `plan`; with `data_roots`, it runs under `voxcas.server.guard.run_policy` (reads
        under them, writes under its own output directory, `out_root/<id>`)."""
        from voxcas.server.guard import run_policy

        run_id = new_run_id()
        out_dir = (out_root / run_id) if out_root is not None else None
        job = RunJob(
            id=run_id,
            name=name,
            plan=plan,
            program_text=program_text,
            max_seconds=max_seconds,
            workers=workers,
            out_dir=out_dir,
            registry=registry,
            access=run_policy(data_roots, out_dir) if data_roots is not None else None,
        )
        with self._lock:
            self._jobs[run_id] = job
        self._pool.submit(self._work, job)
        return job

    def submit_program(
        self,
        prepare: Prepare,
        *,
        name: str,
        program_text: str,
        max_seconds: float,
        max_nodes: int | None = None,
        workers: int | None = None,
        out_root: Path | None = None,
        data_roots: Sequence[Path] | None = None,
        on_reduced: Callable[[RunJob], None] | None = None,
    ) -> RunJob:
        """Register a job for program text ("reducing") and reduce it in the background; with
        `data_roots`, it runs under `voxcas.server.guard.run_policy` (as `submit`)."""
        from voxcas.plan.nodes import Workplan
        from voxcas.server.guard import run_policy

        run_id = new_run_id()
        out_dir = (out_root / run_id) if out_root is not None else None
        job = RunJob(
            id=run_id,
            name=name,
            plan=Workplan(),
            program_text=program_text,
            max_seconds=max_seconds,
            workers=workers,
            out_dir=out_dir,
            status="reducing",
            access=run_policy(data_roots, out_dir) if data_roots is not None else None,
        )
        with self._lock:
            self._jobs[run_id] = job
        self._reducers.submit(self._reduce, job, prepare, max_nodes, on_reduced)
        return job

    def get(self, run_id: str) -> RunJob:
        """A job by id or unique prefix (at least 4 hex digits)."""
        from voxcas.errors import AmbiguousPrefixError

        with self._lock:
            if run_id in self._jobs:
                return self._jobs[RunId(run_id)]
            matches = [j for k, j in self._jobs.items() if len(run_id) >= 4 and k.startswith(run_id)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AmbiguousPrefixError(f"run prefix {run_id!r} matches {len(matches)} runs")
        raise ObjectNotFoundError(f"no run {run_id!r} on this server")

    def discard(self, job: RunJob) -> None:
        """Forget a finished job (a program refused while the client waited: it never was a run)."""
        with self._lock:
            if job.is_final:
                self._jobs.pop(job.id, None)

    def jobs(self) -> list[RunJob]:
        """Every job, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.submitted, reverse=True)

    def cancel(self, run_id: str) -> RunJob:
        job = self.get(run_id)
        if job.is_final:
            return job
        job.cancel.set()
        with self._lock:
            if job.status == "queued":
                self._finish(job, "cancelled", "cancelled before it started")
        return job

    def start(self) -> None:
        """Ready to take runs again after `shutdown` (an app served twice, as ASGI test clients do)."""
        with self._lock:
            if self._closed:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="vox-run")
                self._reducers = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="vox-reduce"
                )
                self._closed = False

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
        for job in self.jobs():
            if not job.is_final:
                job.cancel.set()
        self._reducers.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for job in self._jobs.values():
                if job.status in ("queued", "reducing"):
                    self._finish(job, "cancelled", "the server shut down before the run started")

    # -- worker ----------------------------------------------------------------------------------
    def _finish(self, job: RunJob, status: str, error: str | None) -> None:
        """Mark a job final (caller holds the lock) and keep only what the API still shows of it."""
        from voxcas.plan.nodes import Workplan

        job.status = status
        job.error = error
        job.finished = time.time()
        # a finished job keeps its goals (and their nodes, for folded constants), not the whole plan
        plan = job.plan
        job.plan = Workplan(nodes={g.node: plan.nodes[g.node] for g in plan.goals}, goals=list(plan.goals))
        job.registry = None
        self._forget_old()
        job.finished_event.set()

    def _forget_old(self) -> None:
        """Keep at most `max_jobs` job records: the oldest finished ones go first (caller holds the lock)."""
        excess = len(self._jobs) - self._max_jobs
        if excess <= 0:
            return
        finished = sorted((j for j in self._jobs.values() if j.is_final), key=lambda j: j.submitted)
        for job in finished[:excess]:
            del self._jobs[job.id]

    def _time_out(self, job: RunJob) -> None:
        job.timed_out = True
        job.cancel.set()

    def _reduce(
        self,
        job: RunJob,
        prepare: Prepare,
        max_nodes: int | None,
        on_reduced: Callable[[RunJob], None] | None,
    ) -> None:
        """Reduce a job's program under its budget, then queue it (or end it, refused)."""
        from voxcas.lang.budget import Budget

        started = time.monotonic()
        timer = threading.Timer(job.max_seconds, self._time_out, args=(job,))
        timer.daemon = True
        timer.start()
        plan: Workplan | None = None
        status, error = "queued", None
        try:
            if job.cancel.is_set():
                raise RunCancelled("cancelled before it was reduced")
            plan, job.registry = prepare(self._store_for_thread(), Budget(max_nodes, job.cancel))
        except RunCancelled as exc:
            status, error = "cancelled", str(exc)
        except VoxcasError as exc:
            status, error, job.rejection = "failed", str(exc), exc
        except Exception as exc:  # a bug must not kill the reducer thread silently
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            timer.cancel()
        job.reduce_seconds = time.monotonic() - started
        if status == "queued" and job.cancel.is_set():
            status, error = "cancelled", "cancelled while the program was reduced"
        if status == "cancelled" and job.timed_out:
            status = "timeout"
            error = f"the run exceeded its time limit of {job.max_seconds:g} s while its program was reduced"
        with self._lock:
            if status == "queued" and plan is not None:
                job.plan, job.status = plan, "queued"
            elif not job.is_final:
                self._finish(job, status, error)
        if on_reduced is not None:
            on_reduced(job)
        if job.status == "queued":
            self._pool.submit(self._work, job)

    def _work(self, job: RunJob) -> None:
        with self._lock:
            if job.status != "queued" or job.cancel.is_set():
                if not job.is_final:
                    self._finish(job, "cancelled", "cancelled before it started")
                return
            job.status = "running"
            job.started = time.time()
        # the time spent reducing counts against the run's limit
        timer = threading.Timer(max(job.max_seconds - job.reduce_seconds, 0.0), self._time_out, args=(job,))
        timer.daemon = True
        timer.start()
        status, error = "failed", None
        try:
            summary = self._execute(job, self._store_for_thread(), _job_progress(job))
            status = summary.status
            job.outputs = list(summary.outputs)
            job.saved = [_relative(path, job.out_dir) for path in summary.saved]
            job.failures = [f.message for f in summary.failures]
            if summary.failures:
                error = summary.failures[0].message
                if len(summary.failures) > 1:
                    error += f" (and {len(summary.failures) - 1} more failures)"
            if job.store_run is None:
                job.store_run = summary.run
        except RunCancelled as exc:
            status, error = "cancelled", str(exc)
        except VoxcasError as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # a bug must not kill the worker thread silently
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            timer.cancel()
        if status == "cancelled" and job.timed_out:
            status, error = "timeout", f"the run exceeded its time limit of {job.max_seconds:g} s"
        elif status == "cancelled" and error is None:
            error = "cancelled"
        with self._lock:
            self._finish(
                job, status if status in ("ok", "failed", "cancelled", "timeout") else "failed", error
            )
