"""`vox run PROGRAM`: run a VoxLogicA program on the store, reusing every stored result.

Thin shell: parse options, call `voxcas.execute.run_file`, render the summary. Goal output
(`label=value` lines) goes to stdout; warnings, failures, the counts line and the progress bar
go to stderr, so `vox run prog.imgql > out.txt` captures exactly what the program printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from voxcas.cli.common import (
    DialectOption,
    JsonOption,
    MinSavingOption,
    ParamOption,
    StoreOption,
    echo_json,
    open_store,
    sqlite_only,
)
from voxcas.cli.render import human_size

if TYPE_CHECKING:
    from voxcas.execute.progress import Progress


def _progress(json_out: bool, quiet: bool, forced: bool | None) -> Progress:
    from voxcas.execute.progress import JsonProgress, NullProgress, TerminalProgress

    if forced is False or (forced is None and (json_out or quiet)):
        return NullProgress()
    if sys.stderr.isatty():
        return TerminalProgress()
    if forced:
        return JsonProgress(sys.stderr)
    return NullProgress()


def _out_dir(out: Path | None, out_root: Path | None, confined: bool) -> Path:
    """Where save goals write: -o, else --out-root, else here (absolute under a policy, whose
    relative write paths are taken from --out-root)."""
    chosen = out if out is not None else (out_root if out_root is not None else Path("."))
    return chosen.absolute() if confined else chosen


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        program: Annotated[Path, typer.Argument(help="The .imgql program to run.", show_default=False)],
        store: StoreOption = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="Directory for the files of `save` goals (default: --out-root, else the current one).",
                show_default=False,
            ),
        ] = None,
        data_root: Annotated[
            list[Path] | None,
            typer.Option(
                "--data-root",
                metavar="DIR",
                help="Read files (inputs, imports) only under DIR, symlinks resolved (repeatable).",
            ),
        ] = None,
        out_root: Annotated[
            Path | None,
            typer.Option(
                "--out-root",
                metavar="DIR",
                help="Write files (save goals, simpleitk.WriteImage) only under DIR, symlinks resolved.",
            ),
        ] = None,
        scheduler: Annotated[
            str,
            typer.Option(
                "--scheduler",
                metavar="SCHEDULER",
                help="threads, sync (one thread, for debugging), processes, "
                "or the address of a dask.distributed scheduler (tcp://host:8786).",
            ),
        ] = "threads",
        workers: Annotated[
            int | None,
            typer.Option("--workers", "-j", help="Size of the local thread/process pool (default: cores)."),
        ] = None,
        show: Annotated[
            list[str] | None,
            typer.Option(
                "--show", metavar="NAME", help="Also compute and print this top-level name (repeatable)."
            ),
        ] = None,
        param: ParamOption = None,
        dialect: DialectOption = None,
        no_cache: Annotated[
            bool,
            typer.Option(
                "--no-cache", help="Recompute everything without reading stored results (still stores)."
            ),
        ] = False,
        rehash: Annotated[
            bool,
            typer.Option(
                "--rehash",
                help="Re-hash every input file instead of trusting unchanged size, times and inode.",
            ),
        ] = False,
        dry_run: Annotated[
            bool,
            typer.Option(
                "--dry-run",
                help="Compute nothing: say which goals are stale and why, and what a run would "
                "compute (as vox status; exit 1 if something is stale).",
            ),
        ] = False,
        trust_imported: Annotated[
            bool,
            typer.Option(
                "--trust-imported",
                help="Reuse every imported result, not only those signed by a key of 'vox key trust'.",
            ),
        ] = False,
        max_nodes: Annotated[
            int | None,
            typer.Option(
                "--max-nodes",
                metavar="N",
                help="Refuse the program if its plan has more than N nodes (loop bodies included).",
            ),
        ] = None,
        keep: Annotated[
            str,
            typer.Option(
                "--keep",
                metavar="all|goals",
                help="What the store keeps of this run: all its results (default), or its goals and "
                "the results saving at least --min-saving, applied when the run ends (as vox gc --keep).",
            ),
        ] = "all",
        min_saving: MinSavingOption = "60s/G",
        json_out: JsonOption = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the goals' output.")] = False,
        progress: Annotated[
            bool | None,
            typer.Option(
                "--progress/--no-progress",
                help="Progress bar (default: on a terminal only; JSON lines on stderr when piped).",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Run PROGRAM: compute only what the store lacks, then print and save its goals.

        Exit status: 0 ok, 1 some node failed (the others are stored), 2 bad program or
        options, 130 interrupted (finished results are kept; run again to resume).
        """
        if dry_run:
            from voxcas.cli.status_cmd import finish, status_of

            finish(status_of(program, store, rehash, param), json_out)
            return
        from voxcas.errors import ExecutionError, RunCancelled
        from voxcas.execute import RunOptions, run_file
        from voxcas.lang.dialect import check_dialect
        from voxcas.lang.params import parse_assignments
        from voxcas.store.retention import Retention, check_keep, parse_saving

        policy = Retention(check_keep(keep), parse_saving(min_saving))  # bad options fail before work

        access = None
        if data_root or out_root is not None:
            from voxcas.access import AccessPolicy

            access = AccessPolicy.confined(data_root or None, out_root)
        options = RunOptions(
            dialect=check_dialect(dialect),
            scheduler=scheduler,
            workers=workers,
            out_dir=_out_dir(out, out_root, confined=access is not None),
            access=access,
            show=tuple(show or ()),
            params=parse_assignments(param or []),
            no_cache=no_cache,
            rehash=rehash,
            trust_imported=trust_imported,
            max_nodes=max_nodes,
            program=str(program),
            on_warning=lambda text: print(text, file=sys.stderr, flush=True),
        )
        from voxcas.lang.files import read_source

        # a missing or unreadable program is a wrong program (exit 2), found before any store is made
        options.program_text = read_source(str(program))
        opened = open_store(store, create=True, announce=not (quiet or json_out))
        settled: dict[str, Any] | None = None
        try:
            summary = run_file(program, opened, options, _progress(json_out, quiet, progress))
            if policy.keep != "all":
                from voxcas.store.gc import settle_run

                report = settle_run(sqlite_only(opened, "run --keep goals"), summary.run, policy)
                settled = report.to_json()
        finally:
            opened.close()
        if json_out:
            echo_json(summary.to_json() | ({"gc": settled} if settled is not None else {}))
        else:
            for line in summary.outputs:
                print(line)
            sys.stdout.flush()
        for failure in summary.failures:
            print(failure.message, file=sys.stderr)
        if not quiet and not json_out:
            print(summary.counts_line(), file=sys.stderr)
            if settled is not None:
                print(
                    f"kept goals: dropped {len(settled['dropped'])} results cheap to recompute, "
                    f"{human_size(settled['bytes_freed'])} freed",
                    file=sys.stderr,
                )
        if summary.status == "cancelled":
            raise RunCancelled(
                f"run {summary.run[:12]} interrupted; {summary.computed} finished results were kept"
            )
        if summary.status != "ok":
            n = summary.failed
            raise ExecutionError(
                f"run {summary.run[:12]} failed with {n} error{'s' if n != 1 else ''} "
                f"(details: vox show {summary.run[:12]})"
            )
