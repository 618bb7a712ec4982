"""`GET /health` (no token needed: load balancers and `vox push` probe it) and `GET /primitives`."""

from __future__ import annotations

from fastapi import APIRouter

from voxcas.primitives.registry import Primitive
from voxcas.server.deps import ServerState, StateDep
from voxcas.server.schemas import HealthPublic, ParamPublic, PrimitivePublic, PrimitivesPublic
from voxcas.version import __version__

public_router = APIRouter(tags=["meta"])
router = APIRouter(tags=["meta"])


@public_router.get("/health", response_model=HealthPublic, summary="Is the server up")
def health(state: StateDep) -> HealthPublic:
    return HealthPublic(
        status="ok",
        version=__version__,
        auth=state.settings.token is not None,
        data_roots=len(state.settings.data_roots),
    )


@router.get("/primitives", response_model=PrimitivesPublic, summary="Every primitive, by namespace")
def primitives(state: StateDep) -> PrimitivesPublic:
    out = []
    for prim in _all_primitives(state):
        out.append(
            PrimitivePublic(
                name=prim.qualified,
                signature=prim.signature(),
                version=prim.version,
                result=prim.result,
                doc=prim.doc,
                params=[ParamPublic(name=p.name, kind=p.kind, optional=p.optional) for p in prim.params],
                reads_files=prim.reads_files,
            )
        )
    return PrimitivesPublic(primitives=out)


def _all_primitives(state: ServerState) -> list[Primitive]:
    """Every primitive of every namespace whose module is installed, sorted by qualified name."""
    found: list[Primitive] = []
    for name in state.registry.names():
        try:
            namespace = state.registry.namespace(name)
        except ModuleNotFoundError:
            continue
        found.extend(namespace.primitives.values())
    return sorted(found, key=lambda p: p.qualified)
