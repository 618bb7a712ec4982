"""The `vox` Typer application and the one place where library errors become exit codes.

Each command family lives in its own module with a `register(app)` function; modules import
only Typer at import time and the library inside command bodies, so `vox --help` stays instant.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from voxcas.errors import SourceError, UsageError, VoxcasError

WORKER_PREFIX = "voxcas-task"  # the executor's pool threads (voxcas.execute.schedulers)

app = typer.Typer(
    name="vox",
    help="Run VoxLogicA programs on a persistent, content-addressed store.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    suggest_commands=False,  # Click suggests the closest command itself: once, not twice
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"vox (voxcas) {version('voxcas')}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-C",
            metavar="DIR",
            help="Run as if vox was started in DIR (as git -C); applied before every other path.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            metavar="DIR",
            help="The store for every command (as VOX_STORE); a command's own --store wins.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run VoxLogicA programs on a persistent, content-addressed store."""
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise UsageError(f"-C {directory}: {exc.strerror or exc}") from None
    if store is not None:
        os.environ["VOX_STORE"] = os.path.abspath(store)


# command-family modules, each exposing register(app); listed here so the order of --help is stable
COMMAND_MODULES = (
    "voxcas.cli.run_cmd",
    "voxcas.cli.status_cmd",
    "voxcas.cli.plan_cmd",
    "voxcas.cli.store_cmds",
    "voxcas.cli.space_cmds",
    "voxcas.cli.transfer_cmds",
    "voxcas.cli.serve_cmd",
    "voxcas.cli.remote_cmds",
    "voxcas.cli.key_cmds",
    "voxcas.cli.explain_cmds",
    "voxcas.cli.verify_cmd",
)


def _register_all() -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a family not built yet
            if exc.name != name:
                raise
            continue
        module.register(app)


_register_all()


def report(error: VoxcasError) -> int:
    """Print an error as one clear line (source errors add the line and a caret); return the exit code."""
    text = error.render() if isinstance(error, SourceError) else f"error: {error}"
    print(text, file=sys.stderr)
    return error.exit_code


def _exit(code: int) -> NoReturn:
    """Exit with `code`. An interrupted run has committed what finished and closed its store by
    now; if a worker thread is still inside a primitive (a long filter, a distance transform),
    the interpreter would wait for it before exiting, so the process ends at once instead."""
    if code == 130 and any(t.name.startswith(WORKER_PREFIX) for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        # without standalone mode Click returns a command's exit code instead of exiting
        result = app(args=argv, standalone_mode=False)
    except VoxcasError as error:
        _exit(report(error))
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        _exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        # Click's usage errors (typer may vendor its own Click, so match by shape, not class)
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
