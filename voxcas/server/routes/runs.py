"""`/runs`: submit a program, poll its status and progress, read its goals, cancel it."""

from __future__ import annotations

from fastapi import APIRouter

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.plan.nodes import Const, Goal
from voxcas.server.deps import RunsDep, StateDep, StoreDep
from voxcas.server.runner import RunJob
from voxcas.server.schemas import (
    ErrorPublic,
    GoalPublic,
    GoalsPublic,
    RunCreate,
    RunProgress,
    RunPublic,
    RunsPublic,
)
from voxcas.store.base import Store

router = APIRouter(prefix="/runs", tags=["runs"])

NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorPublic, "description": "No such run"}}


def run_public(job: RunJob) -> RunPublic:
    return RunPublic(
        id=job.id,
        name=job.name,
        status=job.status,  # type: ignore[arg-type]
        submitted=job.submitted,
        started=job.started,
        finished=job.finished,
        progress=RunProgress(
            total=job.total, done=job.done, computed=job.computed, reused=job.reused, failed=job.failed
        ),
        error=job.error,
        store_run=job.store_run,
    )


@router.post(
    "",
    status_code=202,
    response_model=RunPublic,
    summary="Submit a program; it runs in the background",
    responses={
        400: {"model": ErrorPublic, "description": "Syntax or resolution error"},
        403: {"model": ErrorPublic, "description": "The program reads or writes outside what is allowed"},
    },
)
def create_run(state: StateDep, store: StoreDep, body: RunCreate) -> RunPublic:
    from voxcas.server.submit import prepare_program

    registry = state.registry
    plan = prepare_program(body.program, body.name, state.settings, registry, fingerprints=store)
    limit = state.settings.max_run_seconds
    job = state.runs.submit(
        plan,
        registry=registry,
        name=body.name,
        program_text=body.program,
        max_seconds=min(limit, body.max_seconds) if body.max_seconds else limit,
        workers=body.workers or state.settings.workers_per_run,
        out_root=state.settings.out_root,
        data_roots=state.settings.data_roots,
    )
    return run_public(job)


@router.get("", response_model=RunsPublic, summary="Runs submitted to this server, newest first")
def list_runs(runs: RunsDep) -> RunsPublic:
    return RunsPublic(runs=[run_public(job) for job in runs.jobs()])


@router.get("/{run_id}", response_model=RunPublic, summary="A run's status and progress", responses=NOT_FOUND)
def get_run(runs: RunsDep, run_id: str) -> RunPublic:
    return run_public(runs.get(run_id))


@router.get(
    "/{run_id}/goals",
    response_model=GoalsPublic,
    summary="The goals' values: printed text, node ids and digests",
    responses=NOT_FOUND,
)
def get_goals(runs: RunsDep, store: StoreDep, run_id: str) -> GoalsPublic:
    job = runs.get(run_id)
    goals = [_goal_public(job, goal, store) for goal in job.plan.goals]
    return GoalsPublic(
        run=job.id,
        status=job.status,  # type: ignore[arg-type]
        goals=goals,
        outputs=job.outputs,
        saved=job.saved,
        failures=job.failures,
    )


def _goal_public(job: RunJob, goal: Goal, store: Store) -> GoalPublic:
    """A goal's value once the run is over: constants from the plan, computed values from the store."""
    from voxcas.values import format_value

    public = GoalPublic(kind=goal.kind, target=goal.target, node=goal.node)
    if not job.is_final:
        return public
    definition = job.plan.nodes[goal.node].definition
    if isinstance(definition, Const):  # folded constants are never stored
        value = list(definition.value) if isinstance(definition.value, tuple) else definition.value
        public.text = format_value(value)
        return public
    public.digest = store.lookup(goal.node)
    if public.digest is None:
        public.error = "not computed" if job.status == "ok" else f"not computed (the run {job.status})"
        return public
    try:
        public.text = format_value(store.get(public.digest))
    except (CorruptObjectError, ObjectNotFoundError) as exc:
        public.error = str(exc)
    return public


@router.post("/{run_id}/cancel", response_model=RunPublic, summary="Cancel a run", responses=NOT_FOUND)
def cancel_run(runs: RunsDep, run_id: str) -> RunPublic:
    return run_public(runs.cancel(run_id))
