"""Connection plumbing of the SQLite store: pragmas, the process-checked lock, the background
checkpointer and chunked, hash-while-reading blob reads (see `voxcas.store.sqlite` for the design)."""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

from voxcas.errors import StoreError, StoreNotFoundError

DB_NAME = "store.db"
BUSY_TIMEOUT_MS = 60_000
PAGE_SIZE = 32768
JOURNAL_SIZE_LIMIT = 64 << 20

CHECKPOINT_BYTES = 32 << 20


def connect(db_path: Path, *, create: bool) -> Any:
    """An apsw connection with the store's pragmas (WAL, busy timeout, synchronous=NORMAL)."""
    import apsw

    flags = apsw.SQLITE_OPEN_READWRITE | (apsw.SQLITE_OPEN_CREATE if create else 0)
    try:
        conn = apsw.Connection(str(db_path), flags=flags)
    except apsw.CantOpenError:
        raise StoreNotFoundError(f"cannot open the store database {db_path}") from None
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    if create:  # only effective before the first table exists
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}; PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MiB
    return conn


def connect_reader(db_path: Path) -> Any:
    """A read-only apsw connection to an existing store (queries beside a busy writer)."""
    import apsw

    try:
        conn = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    except apsw.CantOpenError:
        raise StoreNotFoundError(f"cannot open the store database {db_path}") from None
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    conn.execute("PRAGMA cache_size=-8192")  # 8 MiB
    return conn


_HASH_CHUNK = 4 << 20
_hash_pool: Any = None


def read_hashing(blob: Any, buffer: bytearray, hasher: Any) -> None:
    """Read a blob into `buffer` in chunks, hashing each chunk on a helper thread meanwhile."""
    global _hash_pool
    if _hash_pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _hash_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voxcas-hash")
    view = memoryview(buffer)
    pending = None
    for offset in range(0, len(buffer), _HASH_CHUNK):
        length = min(_HASH_CHUNK, len(buffer) - offset)
        blob.readinto(buffer, offset, length)
        if pending is not None:
            pending.result()
        pending = _hash_pool.submit(hasher.update, view[offset : offset + length])
    if pending is not None:
        pending.result()


class ProcessLock:
    """The connection's lock, which also refuses use from a forked child process.

    An SQLite connection must never be used on both sides of a fork (the child would share the
    parent's file locks and could corrupt the database); a child must open the store itself.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pid = os.getpid()

    def __enter__(self) -> None:
        if os.getpid() != self._pid:
            raise StoreError(
                f"a store opened in process {self._pid} was used in the forked process {os.getpid()}; "
                "open the store again in the new process"
            )
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class Checkpointer:
    """A daemon thread that runs PASSIVE checkpoints on its own connection when woken."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="voxcas-checkpoint", daemon=True)
        self._thread.start()

    def hook(self, conn: Any, dbname: str, pages: int) -> int:
        if pages * PAGE_SIZE >= CHECKPOINT_BYTES:
            self._wake.set()
        return 0  # SQLITE_OK

    def _loop(self) -> None:
        import apsw

        conn = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                if conn is None:
                    conn = apsw.Connection(str(self._db_path), flags=apsw.SQLITE_OPEN_READWRITE)
                    conn.setbusytimeout(BUSY_TIMEOUT_MS)
                with suppress(apsw.Error):  # busy or closing: the next wake-up tries again
                    conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_PASSIVE)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=60)
