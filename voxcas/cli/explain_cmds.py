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
                help="A node id (a unique prefix will do), or RUN:NAME: the node of a run's "
                "top-level NAME (latest:NAME, latest~1:NAME, REF:NAME).",
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

    @app.command("diff")
    def diff(
        run_a: Annotated[
            str, typer.Argument(metavar="RUN_A", help="The earlier run: a run id prefix or a ref.")
        ],
        run_b: Annotated[
            str, typer.Argument(metavar="RUN_B", help="The later run: a run id prefix or a ref.")
        ],
        exit_code: Annotated[
            bool,
            typer.Option("--exit-code", help="Exit 1 when the runs differ, 0 when they agree (as git diff)."),
        ] = False,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Compare two runs: goal values side by side (numbers with their difference, sequences
        item by item, images by digest, size and voxel count), the input files whose content
        differs, and what differs in the definitions of goals that changed."""
        from voxcas.explain.rundiff import diff_runs, render

        with open_store(store) as s:
            result = diff_runs(s, run_a, run_b)
        if json_out:
            echo_json(result)
        else:
            for line in render(result):
                typer.echo(line)
        if exit_code and not result["equal"]:
            raise typer.Exit(1)
