"""Running the app under uvicorn: what `vox serve` calls.

The store is opened once before the socket is bound, so a wrong `--store` is an immediate, clear
error instead of a 500 on the first request. Binding a non-loopback address without a token is
allowed (a trusted network) but warned about on stderr.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable

from voxcas.errors import UsageError
from voxcas.server.settings import ServerSettings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {port}")
    if not host:
        raise UsageError("--host is empty")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or a `UsageError` saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    """The http:// address a bound socket answers on."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    settings: ServerSettings,
    host: str = "127.0.0.1",
    port: int = 8765,
    log_level: str = "info",
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the API and the viewer until interrupted (Ctrl-C stops cleanly: runs in flight are
    cancelled). The socket is bound first; `ready(address)` is then called (port 0: a free port)."""
    import uvicorn

    from voxcas.server.app import create_app

    check_address(host, port)
    for root in settings.data_roots:
        if not root.is_dir():
            raise UsageError(f"--data-root {str(root)!r} is not a directory")
    app = create_app(settings)
    app.state.vox.stores.check()
    if not is_loopback(host) and settings.token is None:
        print(
            f"warning: serving on {host} without a token: anyone who can reach it can run programs "
            "(pass --token or set VOX_TOKEN)",
            file=sys.stderr,
        )
    sock = bind(host, port)
    if ready is not None:
        ready(address(sock))
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
    server.run(sockets=[sock])
