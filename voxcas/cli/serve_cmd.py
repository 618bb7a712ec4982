"""`vox serve`: the HTTP API over a store (FastAPI + uvicorn, imported only when the command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcas.cli.common import StoreOption
from voxcas.lang.budget import DEFAULT_MAX_NODES


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(envvar="VOX_TOKEN", help="Require 'Authorization: Bearer TOKEN' on every request."),
    ] = None,
    data_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-root",
            help="A directory programs sent over HTTP may read files from (repeatable; none: no reads).",
        ),
    ] = None,
    out_root: Annotated[
        Path | None,
        typer.Option(help="Where save goals of HTTP runs write, one sub-directory per run (none: refused)."),
    ] = None,
    max_run_seconds: Annotated[
        float, typer.Option(help="Cancel a run still going after this (reduction included).")
    ] = 3600.0,
    max_nodes: Annotated[
        int, typer.Option(help="Refuse a program whose plan has more nodes than this (422).")
    ] = DEFAULT_MAX_NODES,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MiB.")] = 4.0,
    max_bundle_mb: Annotated[float, typer.Option(help="Largest bundle upload, in MiB.")] = 1024.0,
    run_workers: Annotated[int, typer.Option(help="Runs executing at once (more wait in a queue).")] = 2,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API: submit runs, read objects, push and pull bundles (OpenAPI docs at /docs).

    Creates the store if there is none (as vox run does, saying where).
    Example: vox serve --store lab/.vox --data-root /data/mri --token "$(cat token.txt)"
    """
    from voxcas.cli.common import open_store
    from voxcas.errors import UsageError
    from voxcas.server.serve import check_address
    from voxcas.server.serve import serve as serve_api
    from voxcas.server.settings import MIB, ServerSettings

    check_address(host, port)  # wrong options are reported before a store is created
    for root in data_root or ():
        if not root.is_dir():
            raise UsageError(f"--data-root {str(root)!r} is not a directory")
    with open_store(store, create=True, announce=True) as opened:  # a server writes: runs, pushes
        located = Path(getattr(opened, "directory", store or "."))
    settings = ServerSettings(
        store_path=located,
        token=token,
        data_roots=tuple(data_root or ()),
        out_root=out_root,
        max_run_seconds=max_run_seconds,
        max_nodes=max_nodes,
        max_body_bytes=int(max_body_mb * MIB),
        max_bundle_bytes=int(max_bundle_mb * MIB),
        run_workers=run_workers,
    )
    serve_api(settings, host=host, port=port, log_level=log_level)
