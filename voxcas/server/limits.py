"""Request body size limits, enforced before a route reads the body.

A pure ASGI middleware: a declared `Content-Length` over the limit is refused at once with 413;
a chunked body is counted as it streams and cut off with 413 as soon as it passes the limit, so a
client cannot make the server buffer more than the limit. Bundle uploads (`POST /bundles`) get the
bundle limit, every other request the body limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def human_size(n: int) -> str:
    """`4 MiB`, `512 KiB`, `1000 bytes`: exact, for error messages."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_bundle_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_bundle = max_bundle_bytes

    def limit_for(self, scope: Scope) -> tuple[int, str]:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == "/bundles":
            return self.max_bundle, "bundle"
        return self.max_body, "request body"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = self.limit_for(scope)
        message = f"{what} too large: the limit is {human_size(limit)}"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _refuse(send, message)
                    return
        received = 0

        async def counting_receive() -> Message:
            # the route sees an HTTPException while reading: FastAPI re-raises those as they are,
            # so the client gets the 413 through the app's error handler
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    from starlette.exceptions import HTTPException

                    raise HTTPException(413, message)
            return msg

        await self.app(scope, counting_receive, send)


async def _refuse(send: Send, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
