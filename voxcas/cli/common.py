"""Options and helpers shared by the command modules (store location, JSON output)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from voxcas.store.base import Store

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


def open_store(path: Path | None, *, create: bool = False) -> Store:
    """Open the store named by --store/VOX_STORE, or found by walking up (git-style)."""
    from voxcas.store.locate import open_located_store

    return open_located_store(path, create=create)


def echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
