"""`POST /gc`: garbage collection over HTTP (`voxcas.store.gc`); a dry run unless `dry_run` is false."""

from __future__ import annotations

from fastapi import APIRouter

from voxcas.errors import UsageError
from voxcas.server.deps import StoreDep
from voxcas.server.schemas import ErrorPublic, GcPublic, GcRequest

router = APIRouter(tags=["gc"])


@router.post(
    "/gc",
    response_model=GcPublic,
    summary="Delete what no ref or kept run reaches (dry run by default)",
    responses={400: {"model": ErrorPublic, "description": "A malformed duration, size, keep or saving"}},
)
def collect(store: StoreDep, body: GcRequest) -> GcPublic:
    from voxcas.store.gc import DEFAULT_KEEP_RUNS, gc, parse_duration, parse_size
    from voxcas.store.retention import Retention, parse_saving
    from voxcas.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        raise UsageError(f"gc works on a SQLite store; this server uses {type(store).__name__}")
    report = gc(
        store,
        dry_run=body.dry_run,
        keep_runs=DEFAULT_KEEP_RUNS if body.keep_runs is None else body.keep_runs,
        older_than=parse_duration(body.older_than) if body.older_than else None,
        max_size=parse_size(body.max_size) if body.max_size else None,
        retention=Retention(body.keep, parse_saving(body.min_saving), body.force),
    )
    return GcPublic(dry_run=report.dry_run, report=report.to_json())
