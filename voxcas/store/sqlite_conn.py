"""Connection plumbing of the SQLite store: pragmas, the process-checked lock, the background
checkpointer and chunked, hash-while-reading blob reads (see `voxcas.store.sqlite` for the design)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from voxcas.errors import StoreError, StoreNotFoundError

DB_NAME = "store.db"
BUSY_TIMEOUT_MS = 60_000
PAGE_SIZE = 32768
JOURNAL_SIZE_LIMIT = 64 << 20

CHECKPOINT_BYTES = 32 << 20  # the WAL size that wakes the checkpoint thread
WAL_LIMIT = 128 << 20  # the WAL size at which a committing writer waits for the checkpoint
WAL_WAIT_SECONDS = 10.0  # how long it waits at most (a reader may hold the WAL's end)


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


def connect_readonly(db_path: Path) -> Any:
    """A read-only connection to a store this process may not write (read-only directory, files
    or file system): `vox ls`, `cat`, `log`, `show` and `status` work there.

    SQLite reads a WAL database read-only when its `-wal` and `-shm` files exist (a writer has it
    open, or was killed). A store closed cleanly has neither, and a read-only directory cannot get
    them: then nothing is outside `store.db`, and it is opened `immutable` (no locks, no WAL). A
    `-wal` with commits but no readable `-shm` cannot be read without writing: refused."""
    import urllib.parse

    import apsw

    quoted = urllib.parse.quote(str(db_path.absolute()))
    flags = apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    try:
        conn = apsw.Connection(f"file:{quoted}?mode=ro", flags=flags)
        conn.setbusytimeout(BUSY_TIMEOUT_MS)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # WAL errors show on first read
        return conn
    except (apsw.ReadOnlyError, apsw.CantOpenError):
        pass
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"the store {db_path.parent} is read-only and its write-ahead log ({wal.name}) holds commits "
            f"that cannot be read without writing {db_path.name}-shm; open it once with write access"
        )
    try:
        conn = apsw.Connection(f"file:{quoted}?mode=ro&immutable=1", flags=flags)
    except apsw.CantOpenError:
        raise StoreNotFoundError(f"cannot open the store database {db_path}") from None
    return conn


def writable(directory: Path, db_path: Path) -> bool:
    """Whether this process may write the store (its directory and database file)."""
    return os.access(directory, os.W_OK) and os.access(db_path, os.W_OK)


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
    """Keeps the WAL bounded: a daemon thread runs PASSIVE checkpoints on its own connection.

    `hook` is the store connection's WAL hook, called after every commit with the number of
    frames (pages) in the WAL. From `CHECKPOINT_BYTES` on it wakes the thread; from `WAL_LIMIT`
    on the committing thread also waits (at most `WAL_WAIT_SECONDS`) until a checkpoint started
    after that commit has copied the whole WAL into the database (back-pressure: a writer faster
    than the checkpoint is slowed down instead of growing the WAL without end). The next write
    transaction then restarts the WAL from its beginning and `journal_size_limit` truncates the
    file, so the WAL file stays below `WAL_LIMIT` plus one transaction.

    The thread's connection runs one query as soon as it is opened: a connection that has not read
    the database yet does not know it is in WAL mode, and `wal_checkpoint` on it does nothing and
    answers (-1, -1).
    """

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self.wake_pages = max(1, CHECKPOINT_BYTES // PAGE_SIZE)  # read now: tests lower them
        self.limit_pages = max(self.wake_pages, WAL_LIMIT // PAGE_SIZE)
        self.wait_seconds = WAL_WAIT_SECONDS
        self._cond = threading.Condition(threading.Lock())
        self._requested = 0  # tickets handed out by the hook
        self._served = 0  # every ticket up to this one had a complete checkpoint after it
        self._waiting = 0
        self._stop = False
        self.completed = 0  # complete checkpoints run (tests, bench)
        self._thread = threading.Thread(target=self._loop, name="voxcas-checkpoint", daemon=True)
        self._thread.start()

    def hook(self, conn: Any, dbname: str, pages: int) -> int:
        if pages < self.wake_pages:
            return 0  # SQLITE_OK
        with self._cond:
            self._requested += 1
            ticket = self._requested
            self._cond.notify_all()
            if pages >= self.limit_pages and not self._stop:
                self._waiting += 1
                try:
                    self._cond.wait_for(lambda: self._served >= ticket or self._stop, self.wait_seconds)
                finally:
                    self._waiting -= 1
        return 0

    def _open(self) -> Any:
        import apsw

        conn = apsw.Connection(str(self._db_path), flags=apsw.SQLITE_OPEN_READWRITE)
        conn.setbusytimeout(BUSY_TIMEOUT_MS)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # opens the WAL (see above)
        return conn

    def _checkpoint(self, conn: Any) -> bool:
        """One PASSIVE checkpoint; True when the whole WAL is now in the database."""
        import apsw

        try:
            frames, copied = conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_PASSIVE)
        except apsw.Error:  # busy or closing: the next wake-up tries again
            return False
        return bool(copied >= frames)

    def _loop(self) -> None:
        conn = None
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._requested > self._served or self._stop)
                    if self._stop:
                        return
                    ticket = self._requested
                if conn is None:
                    try:
                        conn = self._open()
                    except Exception:  # the store is being removed or closed: wait for the next call
                        time.sleep(0.05)
                        continue
                complete = self._checkpoint(conn)
                with self._cond:
                    if complete:
                        self.completed += 1
                        self._served = ticket
                        self._cond.notify_all()
                        continue
                    waiting = self._waiting
                if waiting:
                    time.sleep(0.01)  # a reader still needs the WAL's end: retry while a writer waits
                else:  # nobody waits: the next commit's wake-up retries
                    with self._cond:
                        self._served = max(self._served, ticket)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=60)
