"""`vox why` and `vox diff`: explanations over the store, thin shells over `voxcas.explain`.

Each command resolves its arguments, calls one library function, and prints its answer as text
or, with `--json`, as JSON. Errors are `VoxcasError`s, printed on one line by `voxcas.cli.app`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json, open_store


def register(app: typer.Typer) -> None:
    @app.command("why")
    def why(
        target: Annotated[
            str,
            typer.Argument(
                metavar="NODE|RUN:NAME",
                help="A node id (a unique prefix will do) or RUN:NAME, the value a run's top-level NAME had.",
            ),
        ],
        run: Annotated[
            str | None,
            typer.Option(
                "--run",
                metavar="RUN",
                help="Explain what this run did with the node (default: the run of RUN:NAME, "
                "else the newest run that touched the node).",
                show_default=False,
            ),
        ] = None,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Why a run computed a node instead of reusing a stored result: the closest earlier
        definition at the same source position and exactly what differs (an input file, a
        constant, a primitive version, an argument), or that it was reused."""
        from voxcas.explain.why import explain_node, render

        with open_store(store) as s:
            explanation = explain_node(s, target, run_text=run)
        if json_out:
            echo_json(explanation.to_json())
            return
        for line in render(explanation):
            typer.echo(line)
