"""Options and helpers shared by the command modules (store location, JSON output)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from voxcas.store.base import Store
    from voxcas.store.sqlite import SqliteStore

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="VOX_STORE",
        help="Store directory (default: the nearest .vox/ above the current directory).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
MinSavingOption = Annotated[
    str,
    typer.Option(
        "--min-saving",
        metavar="SECONDS/SIZE",
        help="With --keep goals: keep a result that saves at least this much compute per "
        "stored size (60s/G, 1s/100M).",
    ),
]
DialectOption = Annotated[
    str | None,
    typer.Option(
        "--dialect",
        metavar="DIALECT",
        help="Read the program as voxlogica1 (VoxLogicA 1's grammar and implicit stdlib) or "
        "voxlogica2 (voxcas's language); default: detected, with a note when it is voxlogica1.",
        show_default=False,
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        metavar="NAME=VALUE",
        help="Set a top-level value of the program, e.g. -p threshold=0.9 (repeatable; "
        'numbers, true/false, else a string; -p \'name="0.9"\' for digits as a string).',
    ),
]


def open_store(path: Path | None, *, create: bool = False, announce: bool = False) -> Store:
    """Open the store named by --store/VOX_STORE, or found by walking up (git-style).

    With `create`, a missing store is created; with `announce` too, a note on stderr says where
    (a run outside any store must not leave a `.vox/` behind silently)."""
    from voxcas.store.locate import STORE_DIR, find_store_dir, open_located_store
    from voxcas.store.sqlite import DB_NAME

    target = Path(path) if path is not None else (find_store_dir() or Path.cwd() / STORE_DIR)
    new = create and not (target / DB_NAME).is_file()
    store = open_located_store(path, create=create)
    if new and announce:
        print(
            f"vox: created a new store in {target.absolute()} "
            "(choose another with --store DIR, or create one with 'vox init')",
            file=sys.stderr,
        )
    return store


def sqlite_only(store: Any, command: str) -> SqliteStore:
    """The store as a `SqliteStore`, or a usage error naming the command that needs one."""
    from voxcas.errors import UsageError
    from voxcas.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        raise UsageError(f"vox {command} needs a SQLite store, not {type(store).__name__}")
    return store


def echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
