"""`vox push URL ROOT...` and `vox pull URL ROOT...`: exchange results with a `vox serve` peer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json

UrlArg = Annotated[
    str, typer.Argument(help="The peer's address, e.g. http://127.0.0.1:8765.", show_default=False)
]
RootsArg = Annotated[
    list[str],
    typer.Argument(help="Runs, refs, node ids or digests (unique prefixes allowed).", show_default=False),
]
TokenOption = Annotated[
    str | None, typer.Option(envvar="VOX_TOKEN", help="Bearer token of the peer (when it has one).")
]
ClosureOption = Annotated[
    bool, typer.Option("--closure", help="Also the results of every node the roots depend on.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", "-f", help="Move the peer's refs that point at another run.")
]


def register(app: typer.Typer) -> None:
    app.command("push")(push)
    app.command("pull")(pull)


def push(
    url: UrlArg,
    roots: RootsArg,
    store: StoreOption = None,
    token: TokenOption = None,
    closure: ClosureOption = False,
    force: ForceOption = False,
    json: JsonOption = False,
) -> None:
    """Send the roots' results to a peer, uploading only the objects it lacks.

    A root that is a ref the peer has pointing at another run is refused (exit 1, nothing sent)
    unless --force, which moves the peer's ref to this store's run.
    Example: vox push http://lab-server:8765 baseline --token "$VOX_TOKEN"
    """
    _transfer("push", url, roots, store, token=token, closure=closure, force=force, json=json)


def pull(
    url: UrlArg,
    roots: RootsArg,
    store: StoreOption = None,
    token: TokenOption = None,
    closure: ClosureOption = False,
    json: JsonOption = False,
) -> None:
    """Fetch the roots' results from a peer, downloading only the objects this store lacks.

    Creates the store if there is none (as vox run does, saying where).
    Example: vox pull http://lab-server:8765 baseline
    """
    _transfer("pull", url, roots, store, token=token, closure=closure, force=False, json=json)


def _transfer(
    direction: Literal["push", "pull"],
    url: str,
    roots: list[str],
    store: Path | None,
    *,
    token: str | None,
    closure: bool,
    force: bool,
    json: bool,
) -> None:
    """Push or pull with the local store open, then print the report (JSON, or its one line).
    A pull writes, so it creates a missing store as `vox run` does."""
    from voxcas import remote
    from voxcas.cli.common import open_store

    if direction == "push":
        with open_store(store) as local:
            report = remote.push(local, url, roots, token=token, closure=closure, force=force)
    else:
        with open_store(store, create=True, announce=not json) as local:
            report = remote.pull(local, url, roots, token=token, closure=closure)
    if json:
        echo_json(report.to_json())
    else:
        typer.echo(report.line())
