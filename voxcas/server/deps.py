"""Shared state of the app and the `Annotated` dependencies routes declare (`StoreDep`, ...).

The state lives on `app.state.vox` (made by `create_app`), never in module globals, so two apps
(two stores, two configurations) can live in one process, as the tests do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from voxcas.primitives.registry import Registry
from voxcas.server.runner import RunManager
from voxcas.server.settings import ServerSettings
from voxcas.server.stores import StoreProvider
from voxcas.store.base import Store
from voxcas.viewer.slices import Scenes


@dataclass(slots=True)
class ServerState:
    settings: ServerSettings
    stores: StoreProvider
    runs: RunManager
    registry: Registry
    scenes: Scenes = field(default_factory=Scenes)  # the viewer's prepared volumes


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool,
# one thread hop per dependency per request; these only read attributes.
async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.vox
    return state


StateDep = Annotated[ServerState, Depends(get_state)]


async def get_store(state: StateDep) -> Store:
    return state.stores.get()


StoreDep = Annotated[Store, Depends(get_store)]


async def get_settings(state: StateDep) -> ServerSettings:
    return state.settings


async def get_runs(state: StateDep) -> RunManager:
    return state.runs


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
RunsDep = Annotated[RunManager, Depends(get_runs)]

_bearer = HTTPBearer(
    auto_error=False, description="`Authorization: Bearer <token>` when the server has a token."
)


async def require_token(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries the configured bearer token, or the viewer's session cookie
    (`voxcas.server.session`) when it has no Authorization header (no token configured: open)."""
    from voxcas.server.session import COOKIE, valid_session

    token = state.settings.token
    if token is None:
        return
    if credentials is None and valid_session(request.cookies.get(COOKIE), token):
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401, "missing bearer token: send 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
        )
    if not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "invalid bearer token", {"WWW-Authenticate": "Bearer"})
