"""`vox plan PROGRAM` (print the workplan) and `vox primitives [NAMESPACE]` (list primitives).

Thin shells: `voxcas.lang.load_workplan` and `voxcas.primitives.docgen.primitive_table` do the
work; rendering is `voxcas.plan.render`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from voxcas.cli.common import DialectOption, JsonOption, echo_json

TEXT_WIDTH = 160  # longer node descriptions are shortened unless --full


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan(
        program: Annotated[Path, typer.Argument(help="The .imgql program to reduce.", show_default=False)],
        fmt: Annotated[
            str,
            typer.Option(
                "--format", "-f", metavar="FORMAT", help="Output format: text, json or dot (Graphviz)."
            ),
        ] = "text",
        full: Annotated[
            bool, typer.Option("--full", help="Text format: do not shorten long constants (large listings).")
        ] = False,
        dialect: DialectOption = None,
    ) -> None:
        """Reduce PROGRAM and print its workplan (nodes, goals, names) without running anything.

        Syntax and resolution errors are reported as path:line:col with the source line and a caret
        (exit status 2). Example: vox plan prog.imgql --format dot | dot -Tsvg > plan.svg
        """
        from voxcas.errors import UsageError
        from voxcas.lang import load_workplan
        from voxcas.lang.dialect import check_dialect
        from voxcas.plan.render import FORMATS, render_dot, render_json, render_text

        if fmt not in FORMATS:
            raise UsageError(f"unknown format '{fmt}' for --format (use one of {', '.join(FORMATS)})")
        workplan = load_workplan(program, dialect=check_dialect(dialect))
        if fmt == "json":
            echo_json(render_json(workplan))
        elif fmt == "dot":
            sys.stdout.write(render_dot(workplan))
        else:
            sys.stdout.write(render_text(workplan, width=None if full else TEXT_WIDTH))

    @app.command("primitives")
    def primitives(
        namespace: Annotated[
            str | None, typer.Argument(help="List only this namespace (default: all).", show_default=False)
        ] = None,
        json_out: JsonOption = False,
    ) -> None:
        """List the primitives programs can call: name, signature and description, by namespace.

        A namespace's prelude functions and operators (vox1's dilate, smoothen, grow, touch,
        >., &, ...) follow its primitives, each with its definition.
        """
        from voxcas.primitives.docgen import primitive_table

        rows = primitive_table(None, namespace)
        if json_out:
            echo_json(rows)
            return
        current = current_prelude = None
        width = max((len(r["signature"]) for r in rows), default=0)
        width = min(width, 48)
        for row in rows:
            if row["namespace"] != current:
                current = row["namespace"]
                if current is not None and row is not rows[0]:
                    print()
                print(f"{current}:")
            if row["version"] == "prelude" and current_prelude != current:
                current_prelude = current
                print(f"  -- defined by its prelude ({row['flags'][0].removeprefix('prelude ')}):")
            print(f"  {row['signature']:<{width}}  {row['description']}")
