"""`vox status PROGRAM`: which goals are stale and why, and how much a run would compute (thin
shell over `voxcas.execute.status`; `vox run --dry-run` prints the same through `render`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voxcas.cli.common import JsonOption, ParamOption, StoreOption, echo_json

if TYPE_CHECKING:
    from voxcas.execute.status import StatusReport


def render(report: StatusReport) -> None:
    """The report as text: one line per goal, its reasons indented below it, then the counts."""
    stale = [g for g in report.goals if g.stale]
    against = f" (compared with run {report.previous[:12]})" if report.previous and stale else ""
    total = len(report.goals)
    if report.up_to_date:
        typer.echo(f"{report.program}: up to date ({total} goal{'s' if total != 1 else ''} stored)")
    else:
        typer.echo(f"{report.program}: {len(stale)} of {total} goals stale{against}")
    for g in report.goals:
        typer.echo(f"  {g.kind} {g.target!r}: {'stale' if g.stale else 'up to date'}")
        for reason in g.reasons:
            typer.echo(f"    {reason}")
    more = " (and the items of loops over computed sequences)" if report.approximate else ""
    typer.echo(f"a run would compute {report.computed} nodes{more} and reuse {report.reused}")


def finish(report: StatusReport, json_out: bool) -> None:
    """Print the report; exit 1 when something is stale (as `git diff --exit-code`)."""
    if json_out:
        echo_json(report.to_json())
    else:
        render(report)
    if not report.up_to_date:
        raise typer.Exit(1)


def status_of(
    program: Path, store: Path | None, rehash: bool, params: list[str] | None = None
) -> StatusReport:
    """Open the store (none yet: an empty one in memory, so everything is new) and report."""
    from voxcas.errors import StoreNotFoundError
    from voxcas.execute.status import status_file
    from voxcas.lang.files import read_source
    from voxcas.lang.params import parse_assignments

    values = parse_assignments(params or [])
    read_source(str(program))  # a missing program is a wrong program (exit 2), before any store
    from voxcas.cli.common import open_store

    try:
        opened = open_store(store)
    except StoreNotFoundError:
        from voxcas.store.memory import MemoryStore

        opened = MemoryStore()
    with opened as s:
        return status_file(program, s, rehash=rehash, params=values)


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(
        program: Annotated[Path, typer.Argument(help="The .imgql program.", show_default=False)],
        store: StoreOption = None,
        rehash: Annotated[
            bool, typer.Option("--rehash", help="Re-hash every input instead of trusting the stat cache.")
        ] = False,
        param: ParamOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Say, without computing anything, which goals of PROGRAM are stale and why, and how many
        nodes a run would compute and reuse.

        Reasons name what changed since the newest earlier run of the program: an input file, a
        new or removed item of a listed folder, a constant (with its position), a primitive's
        version. Exit status: 0 up to date, 1 something is stale, 2 bad program or options.
        """
        finish(status_of(program, store, rehash, param), json_out)
