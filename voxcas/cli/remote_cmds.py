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


def register(app: typer.Typer) -> None:
    app.command("push")(push)
    app.command("pull")(pull)


def push(
    url: UrlArg,
    roots: RootsArg,
    store: StoreOption = None,
    token: TokenOption = None,
    closure: ClosureOption = False,
    json: JsonOption = False,
) -> None:
    """Send the roots' results to a peer, uploading only the objects it lacks.

    Example: vox push http://lab-server:8765 baseline --token "$VOX_TOKEN"
    """
    _transfer("push", url, roots, store, token=token, closure=closure, json=json)


def pull(
    url: UrlArg,
    roots: RootsArg,
    store: StoreOption = None,
    token: TokenOption = None,
    closure: ClosureOption = False,
    json: JsonOption = False,
) -> None:
    """Fetch the roots' results from a peer, downloading only the objects this store lacks.

    Example: vox pull http://lab-server:8765 baseline
    """
    _transfer("pull", url, roots, store, token=token, closure=closure, json=json)


def _transfer(
    direction: Literal["push", "pull"],
    url: str,
    roots: list[str],
    store: Path | None,
    *,
    token: str | None,
    closure: bool,
    json: bool,
) -> None:
    """Push or pull with the local store open, then print the report (JSON, or its one line)."""
    from voxcas import remote
    from voxcas.cli.common import open_store

    move = remote.push if direction == "push" else remote.pull
    with open_store(store) as local:
        report = move(local, url, roots, token=token, closure=closure)
    if json:
        echo_json(report.to_json())
    else:
        typer.echo(report.line())
