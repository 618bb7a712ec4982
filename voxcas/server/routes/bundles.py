"""`/bundles`: upload (import) and download (export) bundles, the unit of peer exchange.

- `POST /bundles`: the request body is a bundle file (application/octet-stream, at most the bundle
  size limit). It is streamed to a temporary file, then imported by `voxcas.store.bundle`, which
  verifies every object and node id and adds everything in one transaction: a truncated or
  tampered bundle is a 400 and changes nothing.
- `GET /bundles?root=R&root=...`: a bundle of the roots' results and every object they reach.
- `POST /bundles/closure`: the digests the roots reach (a pulling peer asks this first ...)
- `POST /bundles/export`: ... then asks for a bundle holding only the objects it lacks.
The temporary files are deleted when the response has been sent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from voxcas.server.deps import StateDep, StoreDep
from voxcas.server.routes.objects import parse_digest
from voxcas.server.schemas import (
    BundleExportRequest,
    ClosurePublic,
    ClosureRequest,
    ErrorPublic,
    ImportPublic,
)

router = APIRouter(prefix="/bundles", tags=["bundles"])

BUNDLE_MEDIA_TYPE = "application/vnd.voxcas.bundle"
BUNDLE_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {BUNDLE_MEDIA_TYPE: {}}, "description": "A bundle file"},
    404: {"model": ErrorPublic, "description": "A root does not exist"},
}


def _temp_path() -> Path:
    fd, name = tempfile.mkstemp(prefix="vox-bundle-", suffix=".voxb")
    os.close(fd)
    return Path(name)


def _send_file(path: Path, filename: str = "export.voxb") -> FileResponse:
    return FileResponse(
        path, media_type=BUNDLE_MEDIA_TYPE, filename=filename, background=BackgroundTask(path.unlink, True)
    )


@router.post(
    "",
    response_model=ImportPublic,
    summary="Upload a bundle and import it (verified, all or nothing)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={400: {"model": ErrorPublic, "description": "Not a valid bundle"}, 413: {"model": ErrorPublic}},
)
async def upload_bundle(state: StateDep, request: Request) -> ImportPublic:
    from voxcas.remote import import_report_public

    path = _temp_path()
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)

        def work() -> ImportPublic:
            from voxcas.store.bundle import import_bundle

            return import_report_public(import_bundle(state.stores.get(), path))

        return await run_in_threadpool(work)
    finally:
        path.unlink(missing_ok=True)


@router.get(
    "", summary="Download a bundle of the roots' results and what they reach", responses=BUNDLE_RESPONSE
)
def download_bundle(
    store: StoreDep,
    root: Annotated[list[str], Query(min_length=1, description="ref, run id, node id or digest")],
) -> FileResponse:
    from voxcas.store.bundle import export_bundle

    path = _temp_path()
    try:
        export_bundle(store, root, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _send_file(path)


@router.post("/closure", response_model=ClosurePublic, summary="The digests of every object the roots reach")
def closure(store: StoreDep, body: ClosureRequest) -> ClosurePublic:
    from voxcas.store.bundle import closure_digests

    return ClosurePublic(digests=sorted(closure_digests(store, body.roots)))


@router.post(
    "/export", summary="A bundle of the roots, holding only the listed objects", responses=BUNDLE_RESPONSE
)
def export_selected(store: StoreDep, body: BundleExportRequest) -> FileResponse:
    from voxcas.store.bundle import export_bundle

    only = {parse_digest(d) for d in body.objects} if body.objects is not None else None
    path = _temp_path()
    try:
        export_bundle(store, body.roots, path, only=only)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _send_file(path)
