"""`vox export ROOT... -o FILE` and `vox import FILE`: single-file bundles (`voxcas.store.bundle`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json, open_store


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        roots: Annotated[
            list[str],
            typer.Argument(
                metavar="ROOT...",
                help="Runs, refs, latest~N, RUN:NAME, node ids or digests (prefixes allowed).",
            ),
        ],
        output: Annotated[Path, typer.Option("--output", "-o", help="The bundle file to write.")],
        closure: Annotated[
            bool, typer.Option("--closure", help="Also the results of every node the roots depend on.")
        ] = False,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Write a bundle: the roots' results, their node definitions and every object they reach."""
        from voxcas.cli.common import sqlite_only
        from voxcas.cli.render import human_size
        from voxcas.store.bundle import export_bundle

        with open_store(store) as s:
            report = export_bundle(sqlite_only(s, "export"), roots, output, closure=closure)
        if json_out:
            echo_json(report.to_json())
            return
        typer.echo(
            f"wrote {report.path}: {report.results} results, {report.objects} objects, {report.nodes} nodes, "
            f"{report.runs} runs, {report.refs} refs ({human_size(report.bytes)})"
        )
        typer.echo(f"bundle {report.digest}")

    @app.command("import")
    def import_(
        bundle: Annotated[Path, typer.Argument(metavar="FILE", help="A bundle written by vox export.")],
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Verify a bundle completely and add it in one transaction; a bad bundle changes nothing.

        Creates the store if there is none (as vox run does, saying where).
        """
        from voxcas.cli.common import sqlite_only
        from voxcas.store.bundle import import_bundle

        try:  # an unreadable bundle is reported before a store is created for it
            bundle.open("rb").close()
        except OSError as exc:
            from voxcas.errors import BundleError

            raise BundleError(f"cannot read bundle {bundle}: {exc.strerror or exc}") from None
        with open_store(store, create=True, announce=not json_out) as s:
            report = import_bundle(sqlite_only(s, "import"), bundle)
        if json_out:
            echo_json(report.to_json())
            return
        typer.echo(
            f"imported {report.bundle}: {report.results_added} results added "
            f"({report.results_present} already here), {report.objects_added} objects added "
            f"({report.objects_present} already here), {report.nodes_added} nodes, {report.runs_added} runs, "
            f"{report.refs_added} refs"
        )
        if report.signer:
            typer.echo(f"signed by {report.signer}")
        else:
            typer.echo("unsigned: vox run reuses its results only with --trust-imported")
        if report.refs_skipped:
            typer.echo(f"kept the local refs {', '.join(report.refs_skipped)} (the bundle's were skipped)")
