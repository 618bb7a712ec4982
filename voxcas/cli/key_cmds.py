"""`vox key gen | show | trust | list`: the store's signing key and the signers whose results it
reuses (`voxcas.store.trust`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json, open_store


def _directory(store: StoreOption) -> Path:
    with open_store(store) as s:
        directory = getattr(s, "directory", None)
    if directory is None:  # pragma: no cover - open_store always gives an SQLite store
        from voxcas.errors import UsageError

        raise UsageError("keys need a store directory")
    return Path(directory)


def register(app: typer.Typer) -> None:
    key_app = typer.Typer(
        help="Sign the bundles this store exports; choose whose imported results vox run reuses.",
        no_args_is_help=True,
    )
    app.add_typer(key_app, name="key")

    @key_app.command("gen")
    def gen(store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Create this store's Ed25519 signing key (keys/signing.key); print its public key.

        From then on `vox export` and `vox push` sign their bundles. Give the public key to the
        people who import them: `vox key trust KEY NAME` on their side.
        """
        from voxcas.store.trust import generate_key

        key = generate_key(_directory(store))
        if json_out:
            echo_json({"key": key})
        else:
            typer.echo(key)

    @key_app.command("show")
    def show(store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Print this store's public key (what others pass to `vox key trust`)."""
        from voxcas.errors import UsageError
        from voxcas.store.trust import public_key

        key = public_key(_directory(store))
        if key is None:
            raise UsageError("this store has no signing key; create one with 'vox key gen'")
        if json_out:
            echo_json({"key": key})
        else:
            typer.echo(key)

    @key_app.command("trust")
    def trust(
        key: Annotated[str, typer.Argument(help="The signer's public key (64 hex digits).")],
        name: Annotated[str, typer.Argument(help="A name for the signer (shown by vox key list).")],
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Reuse the results of bundles this key signs (vox run recomputes other imported results)."""
        from voxcas.store.trust import trust_signer

        trust_signer(_directory(store), key, name)
        if json_out:
            echo_json({"key": key.strip().lower(), "name": name})
        else:
            typer.echo(f"trusting {name} ({key.strip().lower()[:16]}…)")

    @key_app.command("list")
    def list_keys(store: StoreOption = None, json_out: JsonOption = False) -> None:
        """List the trusted signers."""
        from voxcas.store.trust import trusted_signers

        signers = trusted_signers(_directory(store))
        if json_out:
            echo_json([{"key": k, "name": n} for k, n in sorted(signers.items(), key=lambda kv: kv[1])])
            return
        for k, n in sorted(signers.items(), key=lambda kv: kv[1]):
            typer.echo(f"{n}  {k}")
