"""`vox push URL ROOT...` and `vox pull URL ROOT...`: exchange results with a `vox serve` peer."""

from __future__ import annotations

from typing import Annotated

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
    from voxcas.cli.common import open_store
    from voxcas.remote import push as push_roots

    with open_store(store) as local:
        report = push_roots(local, url, roots, token=token, closure=closure)
    if json:
        echo_json(report.to_json())
    else:
        typer.echo(report.line())


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
    from voxcas.cli.common import open_store
    from voxcas.remote import pull as pull_roots

    with open_store(store) as local:
        report = pull_roots(local, url, roots, token=token, closure=closure)
    if json:
        echo_json(report.to_json())
    else:
        typer.echo(report.line())
