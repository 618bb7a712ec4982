"""`/docs`: Swagger UI for the OpenAPI document, served from installed files (works offline).

FastAPI's own `/docs` page loads Swagger UI from a CDN, a blank page on a machine without
internet. Here the page is FastAPI's (`get_swagger_ui_html`) with its script, style and icon
pointed at `/docs/assets/`, which serves the files the `swagger-ui-py` package ships (Swagger UI
5, which reads OpenAPI 3.1 as FastAPI writes it). ReDoc, also CDN-only, is not served.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

ASSETS = "/docs/assets"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_files() -> Path:
    """The folder of Swagger UI's files in the installed `swagger-ui-py` package."""
    from importlib.resources import files

    return Path(str(files("swagger_ui") / "static"))


def install_docs(app: FastAPI, title: str) -> None:
    """Serve `/docs` (and its files) from the package instead of a CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import FileResponse, HTMLResponse
    from starlette.exceptions import HTTPException

    folder = swagger_files()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title}: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in FILES:  # only these: never a path into the package
            raise HTTPException(404, f"no file {name!r} of the API docs")
        return FileResponse(folder / name, headers={"Cache-Control": "public, max-age=86400"})
