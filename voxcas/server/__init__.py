"""The HTTP API of voxcas (`vox serve`): a thin FastAPI shell over the library.

    create_app(settings) -> FastAPI     the app (voxcas.server.app); state on app.state.vox
    ServerSettings                      store, token, data roots, output root, limits
    serve(settings, host, port)         run it under uvicorn (what `vox serve` calls)

Modules: `app` (factory), `routes/` (one router per resource), `deps` (`StoreDep`, auth),
`schemas` (`RunCreate`, `RunPublic`, ...), `runner` (the run pool), `submit` + `guard` (what HTTP
programs may read), `limits` (body sizes), `errors` (`{"error": ...}`), `render` (JSON and PNG
views of values), `openapi` (regenerates `api/openapi.json`). FastAPI is imported only inside
`create_app` and the route modules, so importing this package stays cheap.
"""

from __future__ import annotations

from voxcas.server.app import create_app
from voxcas.server.serve import serve
from voxcas.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "serve"]
