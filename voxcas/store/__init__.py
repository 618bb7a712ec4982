"""The content-addressed store: objects, node definitions, results, failures, runs and refs.

`open_store(path)` opens (or with `create=True` creates) the SQLite store of a directory;
`open_located_store(path)` finds it git-style (`voxcas.store.locate`); `MemoryStore` is the
in-memory implementation used by tests. Both implement `voxcas.store.base.Store`.
Modules: `codec` (encodings), `schema` (tables, migrations), `sqlite` (+ `sqlite_conn`), `memory`,
`locate`, `gc`, `fsck`, `bundle` (export/import), `stats` (du), `inspect` (what `vox show`/`ls`
display).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voxcas.store.sqlite import SqliteStore


def open_store(path: Path, *, create: bool = False) -> SqliteStore:
    """The SQLite store in directory `path` (created when `create`)."""
    from voxcas.store.sqlite import SqliteStore

    return SqliteStore(Path(path), create=create)
