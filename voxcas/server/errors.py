"""The one place where errors become HTTP responses: always `{"error": message}` as JSON.

- a `VoxcasError` answers with its `http_status` and its one-line message (a corrupt object is a
  500 naming the digest, never its bytes);
- FastAPI's own `HTTPException` (401, 404 of an unknown route, 413, ...) keeps its status;
- a request that does not match the schema is a 422 naming the first offending field;
- anything else is a 500 `internal error` (the traceback goes to the server log, not the client).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from voxcas.errors import VoxcasError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger("voxcas.server")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    async def voxcas_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, VoxcasError)
        if exc.http_status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(exc.http_status, str(exc))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, _describe_validation(exc.errors()))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error: {type(exc).__name__}")

    app.add_exception_handler(VoxcasError, voxcas_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


def _describe_validation(errors: Any) -> str:
    """`invalid request: body.program: Field required` (the first problem; the rest are similar)."""
    items = list(errors)
    if not items:
        return "invalid request"
    first = items[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return f"invalid request: {where}: {first.get('msg', 'invalid')}{more}"
