"""The FastAPI application factory: `create_app(settings) -> FastAPI`.

One router per resource (`voxcas.server.routes.*`); every router except `/health`, the login
and the viewer's page shells requires the bearer token (or the viewer's session cookie) when one
is configured. The viewer (`/`, `voxcas.server.routes.viewer`) and its files are served here.
The app owns a `ServerState` (store provider, run pool, registry, the viewer's prepared volumes)
on `app.state.vox`; its lifespan closes the run pool and the stores at shutdown.
Request bodies are size-limited by `BodyLimitMiddleware`; errors are rendered by
`voxcas.server.errors` as `{"error": message}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from voxcas.server.settings import ServerSettings
from voxcas.version import __version__

if TYPE_CHECKING:
    from fastapi import FastAPI

API_DESCRIPTION = """\
Run VoxLogicA-2 programs on a voxcas store and exchange verified objects with peers.

Every error is `{"error": "<one line>"}` with the status of the error's kind (400 bad input,
401 missing or wrong token, 403 a read outside the data roots, 404 unknown id, 413 too large,
500 corrupt object). When the server has a token, send `Authorization: Bearer <token>`.
"""


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """A configured app; nothing is opened until the first request (or `stores.check()`)."""
    from fastapi import Depends, FastAPI
    from fastapi.staticfiles import StaticFiles

    from voxcas.primitives.registry import default_registry
    from voxcas.server.apidocs import install_docs
    from voxcas.server.deps import ServerState, require_token
    from voxcas.server.errors import install_error_handlers
    from voxcas.server.limits import BodyLimitMiddleware
    from voxcas.server.routes import bundles, gc, meta, objects, refs, runs, viewer
    from voxcas.server.runner import RunManager
    from voxcas.server.schemas import ErrorPublic
    from voxcas.server.stores import StoreProvider
    from voxcas.viewer.assets import STATIC_DIR

    settings = settings or ServerSettings()
    stores = StoreProvider(settings.store_path, settings.store)
    state = ServerState(
        settings=settings,
        stores=stores,
        runs=RunManager(stores.get, workers=settings.run_workers),
        registry=default_registry(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.runs.start()  # a no-op unless the app was shut down before (served again)
        try:
            yield
        finally:
            shutdown(app)

    app = FastAPI(
        title="voxcas",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the package below (FastAPI's loads from a CDN)
        redoc_url=None,
    )
    app.state.vox = state
    install_error_handlers(app)
    install_docs(app, "voxcas")
    app.add_middleware(
        BodyLimitMiddleware,  # type: ignore[arg-type]
        max_body_bytes=settings.max_body_bytes,
        max_bundle_bytes=settings.max_bundle_bytes,
    )
    # statuses every route can answer, so the OpenAPI document lists them (the contract tells the truth)
    too_large: dict[int | str, dict[str, Any]] = {
        413: {"model": ErrorPublic, "description": "The request body is over the server's limit"}
    }
    unauthorized: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorPublic, "description": "Missing or wrong bearer token (when the server has one)"}
    }
    app.include_router(meta.public_router, responses=too_large)
    protected = [Depends(require_token)]
    for module in (runs, objects, bundles, refs, gc, meta):
        app.include_router(module.router, dependencies=protected, responses={**unauthorized, **too_large})
    app.include_router(viewer.pages)  # pages check the session themselves (a browser is redirected)
    app.include_router(viewer.data)
    app.mount("/viewer/static", StaticFiles(directory=STATIC_DIR), name="viewer-static")
    return app


def shutdown(app: FastAPI) -> None:
    """Cancel runs in flight, wait for the workers, close the stores (idempotent)."""
    state = app.state.vox
    state.runs.shutdown()
    state.stores.close_all()
