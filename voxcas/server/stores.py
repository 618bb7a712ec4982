"""Which store object requests and run workers use: one store, opened on first use, shared.

A store given in the settings (tests, embedding) is used as is. Otherwise the store directory is
opened once, on first use (`vox serve` calls `check()` before binding, so a wrong `--store` fails at
start-up), and shared by every request and run thread: stores are thread-safe (SQLite: one
connection under a lock, WAL readers never blocked by other processes' writers), and one
connection avoids a connection plus a checkpoint thread per worker thread. `close_all()` closes it
when the app shuts down.
"""

from __future__ import annotations

import threading
from pathlib import Path

from voxcas.store.base import Store


class StoreProvider:
    def __init__(self, path: Path | None, shared: Store | None = None) -> None:
        self._path = path
        self._store = shared
        self._owned = False
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                from voxcas.store.locate import open_located_store

                self._store = open_located_store(self._path, create=False)
                self._owned = True
            return self._store

    def check(self) -> None:
        """Open the store now, so a wrong --store fails at start-up, not on the first request."""
        self.get()

    def close_all(self) -> None:
        """Close the store if this provider opened it (a store passed in belongs to the caller)."""
        with self._lock:
            store, owned = self._store, self._owned
            if owned:
                self._store, self._owned = None, False
        if owned and store is not None:
            store.close()
