"""`/bundles`: upload (import) and download (export) bundles, the unit of peer exchange.

- `POST /bundles`: the request body is a bundle file (application/octet-stream, at most the bundle
  size limit). It is streamed to a temporary file, then imported by `voxcas.store.bundle`, which
  verifies every object and node id and adds everything in one transaction: a truncated or
  tampered bundle is a 400 and changes nothing.
- `GET /bundles?root=R&root=...`: a bundle of the roots' results and every object they reach.
- `POST /bundles/closure`: the digests such a bundle holds (a pulling peer asks this first ...)
- `POST /bundles/export`: ... then asks for a bundle holding only the objects it lacks (or, when
  that list is the longer one, all but those it has), by `export_bundle(..., only=)`; node, result
  and run rows are always included.
Temporary files are deleted when the response has been sent.
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

from voxcas.ids import Digest
from voxcas.server.deps import StateDep, StoreDep
from voxcas.server.routes.objects import parse_digest
from voxcas.server.schemas import (
    BundleExportRequest,
    ClosurePublic,
    ClosureRequest,
    ErrorPublic,
    ImportPublic,
)
from voxcas.store.base import Store

router = APIRouter(prefix="/bundles", tags=["bundles"])

BUNDLE_MEDIA_TYPE = "application/vnd.voxcas.bundle"
BUNDLE_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {BUNDLE_MEDIA_TYPE: {}}, "description": "A bundle file"},
    400: {"model": ErrorPublic, "description": "A malformed digest or root, or an ambiguous prefix"},
    404: {"model": ErrorPublic, "description": "A root does not exist"},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _temp_path() -> Path:
    fd, name = tempfile.mkstemp(prefix="vox-bundle-", suffix=".voxb")
    os.close(fd)
    return Path(name)


def _export(
    store: Store,
    roots: list[str],
    closure: bool,
    objects: list[str] | None = None,
    exclude: list[str] | None = None,
) -> FileResponse:
    """A response streaming a bundle of `roots` (only `objects`, or all but `exclude`, when given);
    the file is removed once sent."""
    from voxcas.errors import UsageError
    from voxcas.remote import exported, reachable

    if objects is not None and exclude is not None:
        raise UsageError("give either objects or exclude, not both")
    keep: list[Digest] | None = None
    if objects is not None:
        keep = [parse_digest(d) for d in objects]
    elif exclude is not None:
        known = {parse_digest(d) for d in exclude}
        keep = [d for d in reachable(store, roots, closure=closure) if d not in known]
    path = _temp_path()
    try:
        with exported(store, roots, closure=closure, only=keep) as bundle:
            os.replace(bundle, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=BUNDLE_MEDIA_TYPE,
        filename="export.voxb",
        background=BackgroundTask(path.unlink, True),
    )


@router.post(
    "",
    response_model=ImportPublic,
    summary="Upload a bundle and import it (verified, all or nothing)",
    openapi_extra=UPLOAD_BODY,
    responses={400: {"model": ErrorPublic, "description": "Not a valid bundle"}, 413: {"model": ErrorPublic}},
)
async def upload_bundle(state: StateDep, request: Request) -> ImportPublic:
    path = _temp_path()
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)

        def work() -> ImportPublic:
            from voxcas.errors import BundleError
            from voxcas.remote import import_file

            try:
                report = import_file(state.stores.get(), path)
            except BundleError as exc:  # name the upload, not the server's temporary file
                raise BundleError(str(exc).replace(str(path), "uploaded bundle")) from None
            return ImportPublic(
                digest=report.digest,
                objects_added=report.objects_added,
                objects_present=report.objects_present,
                nodes_added=report.nodes_added,
                results_added=report.results_added,
                results_present=report.results_present,
                runs_added=report.runs_added,
                refs_added=report.refs_added,
                refs_skipped=list(report.refs_skipped),
            )

        return await run_in_threadpool(work)
    finally:
        path.unlink(missing_ok=True)


@router.get(
    "", summary="Download a bundle of the roots' results and what they reach", responses=BUNDLE_RESPONSE
)
def download_bundle(
    store: StoreDep,
    root: Annotated[list[str], Query(min_length=1, description="ref, run id, node id or digest")],
    closure: Annotated[bool, Query(description="also the results of every dependency")] = False,
) -> FileResponse:
    return _export(store, root, closure)


@router.post(
    "/closure",
    response_model=ClosurePublic,
    summary="The digests of every object the roots reach",
    responses={k: v for k, v in BUNDLE_RESPONSE.items() if k != 200},
)
def closure(store: StoreDep, body: ClosureRequest) -> ClosurePublic:
    from voxcas.remote import reachable

    return ClosurePublic(digests=[str(d) for d in reachable(store, body.roots, closure=body.closure)])


@router.post(
    "/export", summary="A bundle of the roots, holding only the listed objects", responses=BUNDLE_RESPONSE
)
def export_selected(store: StoreDep, body: BundleExportRequest) -> FileResponse:
    return _export(store, body.roots, body.closure, body.objects, body.exclude)
