"""Which store object a request (or a run's worker thread) uses.

A store given in the settings (tests, embedding) is shared by every thread. Otherwise each thread
opens its own connection to the store directory on first use and keeps it (SQLite connections
belong to one thread at a time; opening per request would re-check the schema every time), and
`close_all()` closes them when the app shuts down.
"""

from __future__ import annotations

import threading
from pathlib import Path

from voxcas.store.base import Store


class StoreProvider:
    def __init__(self, path: Path | None, shared: Store | None = None) -> None:
        self._path = path
        self._shared = shared
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        if self._shared is not None:
            return self._shared
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            from voxcas.store.locate import open_located_store

            store = open_located_store(self._path, create=False)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def check(self) -> None:
        """Open the store once now, so a wrong --store fails at start-up, not on the first request."""
        self.get()

    def close_all(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()
