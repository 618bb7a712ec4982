"""`vox verify [RUN]`: recompute imported results and report those that differ
(`voxcas.execute.verify`). Exit 0 only when every checked result was recomputed and matched."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json, open_store


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        run: Annotated[
            str | None,
            typer.Argument(
                help="The run whose imported results to check (a ref, latest, latest~N, a run id "
                "prefix); default: every imported result of the store.",
                show_default=False,
            ),
        ] = None,
        sample: Annotated[
            int | None,
            typer.Option("--sample", metavar="N", help="Recompute only N results, chosen at random."),
        ] = None,
        seed: Annotated[
            int | None,
            typer.Option("--seed", help="Seed of the random choice of --sample (repeatable checks)."),
        ] = None,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Recompute imported results (from bundles, push, pull) and report every one that differs.

        Each result is recomputed from its node's definition and the stored values of its
        arguments, in a scratch store: the store is not changed. A result that differs (node,
        label, stored digest and recomputed digest) or that cannot be recomputed here (a missing
        input file, an unknown primitive) is listed, and the command exits 1.
        """
        from voxcas.execute.verify import verify_results
        from voxcas.store.address import resolve_run

        with open_store(store) as s:
            target = resolve_run(s, run) if run is not None else None
            report = verify_results(s, target, sample=sample, seed=seed)
        if json_out:
            echo_json(report.to_json())
        else:
            _render(report.to_json())
        if not report.ok:
            raise typer.Exit(1)


def _render(d: dict[str, Any]) -> None:
    where = f"run {d['run'][:12]}" if d["run"] else "the store"
    for r in d["results"]:
        node = f"node {r['node'][:12]}" + (f" {r['label']!r}" if r["label"] else "")
        at = f" ({r['span']})" if r["span"] else ""
        if r["verdict"] == "differs":
            typer.echo(f"differs: {node}{at}: stored {r['stored']}, recomputed {r['recomputed']}")
        elif r["verdict"] == "unchecked":
            typer.echo(f"not checked: {node}{at}: {r['reason']}")
    typer.echo(
        f"{where}: {d['imported']} imported results, {d['checked']} recomputed: "
        f"{d['same']} same, {d['differs']} differ, {d['unchecked']} not checked"
    )
