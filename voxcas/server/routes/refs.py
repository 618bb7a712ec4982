"""`/refs`: named roots that keep a run's results through gc (`vox tag` / `vox refs` over HTTP)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from voxcas.errors import ObjectNotFoundError, UsageError
from voxcas.ids import RunId
from voxcas.server.deps import StoreDep
from voxcas.server.schemas import ErrorPublic, RefPublic, RefsPublic, RefUpdate
from voxcas.store.common import check_ref_name


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


router = APIRouter(prefix="/refs", tags=["refs"])


@router.get("", response_model=RefsPublic, summary="Every ref and the run it names")
def list_refs(store: StoreDep) -> RefsPublic:
    return RefsPublic(refs=[RefPublic(name=n, run=r) for n, r in sorted(store.refs().items())])


@router.put(
    "/{name:path}",
    response_model=RefPublic,
    summary="Point a ref at a run",
    responses={404: {"model": ErrorPublic}, 400: {"model": ErrorPublic}},
)
def put_ref(store: StoreDep, name: str, body: RefUpdate) -> RefPublic:
    check_ref_name(name)
    kind, ident = store.resolve(body.run)
    if kind == "ref":
        ident = store.refs().get(ident, ident)
    elif kind != "run":
        raise UsageError(f"{body.run!r} names {_a(kind)}, not a run: a ref must point at a run")
    store.tag(name, RunId(ident))
    return RefPublic(name=name, run=ident)


@router.delete(
    "/{name:path}", status_code=204, summary="Delete a ref", responses={404: {"model": ErrorPublic}}
)
def delete_ref(store: StoreDep, name: str) -> Response:
    if name not in store.refs():
        raise ObjectNotFoundError(f"no ref {name!r}")
    store.untag(name)
    return Response(status_code=204)
