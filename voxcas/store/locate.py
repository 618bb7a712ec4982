"""Finding the store to use, as git finds `.git`.

`open_located_store(path, create=...)`:
- an explicit `path` (from `--store` or `VOX_STORE`) is opened, or created when `create`;
- else the nearest `.vox/` in the working directory or one of its parents is opened;
- else, when `create`, `./.vox/` is created (what `vox run` does);
- else `StoreNotFoundError` tells the user to run `vox init` or pass `--store`.
"""

from __future__ import annotations

from pathlib import Path

from voxcas.errors import StoreNotFoundError
from voxcas.store.base import Store

STORE_DIR = ".vox"


def find_store_dir(start: Path | None = None) -> Path | None:
    """The nearest `.vox/` holding a store at or above `start` (default: the working directory)."""
    from voxcas.store.sqlite import DB_NAME

    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / STORE_DIR
        if (candidate / DB_NAME).is_file():
            return candidate
    return None


def open_located_store(path: Path | None, *, create: bool = False) -> Store:
    """Open the store at `path`, or the one found by walking up; create it when `create`."""
    from voxcas.store.sqlite import SqliteStore

    if path is not None:
        return SqliteStore(Path(path), create=create)
    found = find_store_dir()
    if found is not None:
        return SqliteStore(found)
    if create:
        return SqliteStore(Path.cwd() / STORE_DIR, create=True)
    raise StoreNotFoundError(
        f"no store found in {Path.cwd()} or any parent directory; run 'vox init' or pass --store"
    )


def init_store(
    path: Path | None, directory: Path | None = None, *, blobs: Path | str | None = None
) -> tuple[Store, bool]:
    """`vox init`: the store at `path` (from --store), else `<directory or cwd>/.vox`, created if absent.

    `blobs` keeps the bytes of large objects in that directory (`voxcas.store.blobs_dir`) or
    fsspec URL (`voxcas.store.blobs_url`).
    Returns the open store and whether it was created now (initialising twice is harmless).
    """
    from voxcas.store.sqlite import DB_NAME, SqliteStore

    target = Path(path) if path is not None else (directory or Path.cwd()) / STORE_DIR
    existed = (target / DB_NAME).is_file()
    return SqliteStore(target, create=True, blobs=blobs), not existed
