"""`/runs`: submit a program, poll its status and progress, read its goals, cancel it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Header

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

if TYPE_CHECKING:
    from voxcas.lang.budget import Budget
    from voxcas.plan.nodes import Workplan
    from voxcas.primitives.registry import Registry

router = APIRouter(prefix="/runs", tags=["runs"])

NOT_FOUND: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorPublic, "description": "A run id prefix matching several runs"},
    404: {"model": ErrorPublic, "description": "No such run"},
}


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
    description=(
        "The program is reduced in the background under the run's time limit and the server's node "
        "limit, and can be cancelled meanwhile (status `reducing`). By default the answer waits for "
        "the reduction's verdict, so a refused program is a 400, 403 or 422 here; with "
        "`Prefer: respond-async` it comes at once, and a refusal ends the run `failed`."
    ),
    responses={
        400: {"model": ErrorPublic, "description": "Syntax or resolution error"},
        403: {"model": ErrorPublic, "description": "The program reads or writes outside what is allowed"},
        422: {"model": ErrorPublic, "description": "Invalid body, or a plan over the node limit"},
    },
)
async def create_run(
    state: StateDep,
    body: RunCreate,
    prefer: Annotated[
        str | None, Header(description="`respond-async`: answer at once, before the program is reduced")
    ] = None,
) -> RunPublic:
    from voxcas.server.submit import check_program_name, prepare_program

    check_program_name(body.name)
    settings = state.settings

    def prepare(store: Store, budget: Budget) -> tuple[Workplan, Registry]:
        registry = state.registry  # the run's access policy holds its files to the roots (voxcas.access)
        plan = prepare_program(body.program, body.name, settings, registry, fingerprints=store, budget=budget)
        return plan, registry

    loop = asyncio.get_running_loop()
    reduced: asyncio.Future[None] = loop.create_future()

    def settle() -> None:
        if not reduced.done():
            reduced.set_result(None)

    def wake(_: RunJob) -> None:
        loop.call_soon_threadsafe(settle)

    limit = settings.max_run_seconds
    job = state.runs.submit_program(
        prepare,
        name=body.name,
        program_text=body.program,
        max_seconds=min(limit, body.max_seconds) if body.max_seconds else limit,
        max_nodes=settings.max_nodes,
        workers=body.workers or settings.workers_per_run,
        out_root=settings.out_root,
        data_roots=settings.data_roots,
        on_reduced=wake,
    )
    if prefer is not None and "respond-async" in prefer.lower():
        return run_public(job)
    await reduced
    if job.rejection is not None:
        state.runs.discard(job)  # refused before anything ran: answered here, not listed as a run
        raise job.rejection
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
