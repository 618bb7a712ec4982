"""`vox serve` (the HTTP API and the viewer over a store) and `vox view` (the viewer of the local
store on loopback). FastAPI and uvicorn are imported only when a command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcas.cli.common import StoreOption
from voxcas.lang.budget import DEFAULT_MAX_NODES


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("view")(view)


def _announce(address: str) -> None:
    print(f"vox: serving {address}/ (the viewer; API docs at {address}/docs); Ctrl-C stops", flush=True)


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
    """Serve the HTTP API and the viewer: submit runs, read objects, push and pull bundles, look at
    runs and images in a browser at / (OpenAPI docs at /docs).

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
    serve_api(settings, host=host, port=port, log_level=log_level, ready=_announce)


def view(
    run: Annotated[
        str | None,
        typer.Argument(help="A run to open (an id prefix, a ref, latest, latest~N); none: the run list."),
    ] = None,
    store: StoreOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to listen on (0: a free one).")] = 0,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the address in the default web browser too.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Look at the local store in a browser: its runs, a run's goals and cases, images in three
    planes with overlays. Serves on loopback only and prints the address (Ctrl-C stops).

    Example: vox view latest   (then open the printed address)
    """
    from voxcas.cli.common import open_store
    from voxcas.server.serve import check_address
    from voxcas.server.serve import serve as serve_api
    from voxcas.server.settings import ServerSettings

    check_address("127.0.0.1", port)
    with open_store(store) as opened:  # only an existing store: there is nothing to see in a new one
        located = Path(getattr(opened, "directory", store or ".")).absolute()
        path = "/"
        if run is not None:
            from voxcas.store.address import resolve_run

            path = f"/view/runs/{resolve_run(opened, run)}"

    def ready(address: str) -> None:
        print(f"vox: viewer at {address}{path} (store {located}); Ctrl-C stops", flush=True)
        if open_browser:
            import webbrowser

            webbrowser.open(address + path)

    settings = ServerSettings(store_path=located)
    serve_api(settings, host="127.0.0.1", port=port, log_level=log_level, ready=ready)
