"""`POST /gc`: garbage collection over HTTP; a dry run (report only) unless `dry_run` is false."""

from __future__ import annotations

from fastapi import APIRouter

from voxcas.server.deps import StoreDep
from voxcas.server.schemas import GcPublic, GcRequest

router = APIRouter(tags=["gc"])


@router.post(
    "/gc", response_model=GcPublic, summary="Delete what no ref or kept run reaches (dry run by default)"
)
def collect(store: StoreDep, body: GcRequest) -> GcPublic:
    from voxcas.store.gc import gc

    report = gc(
        store,
        dry_run=body.dry_run,
        keep_runs=body.keep_runs,
        older_than=body.older_than,
        max_size=body.max_size,
    )
    return GcPublic(dry_run=body.dry_run, report=report.to_json())
