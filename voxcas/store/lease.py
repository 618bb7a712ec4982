"""Leases: what a run in flight holds so that gc leaves its work alone (a lease, not an age).

A run takes a lease before it records itself (`Lease(directory)`, through `lease_for`): a file
`leases/<random>.lease` in the store directory holding the process id, host, start time and, once
known, the run id. The process holds an exclusive `flock` on it for as long as the lease lives
(the file is locked under a temporary name first and only then renamed into place, so no reader
ever sees an unlocked live lease), and a heartbeat thread touches it every `HEARTBEAT_SECONDS`.
It is released (the file deleted) when the run ends, however it ends.

`live_leases` is what gc reads. A lease whose lock it can take belongs to a process that is gone
(the operating system drops the locks of a process that dies, `kill -9` included): it is stale,
and deleted. A lease still locked is live, however old its heartbeat (a long primitive does not
make a run mortal). Only where locks cannot be tested (a file system without `flock`) does the
heartbeat decide: live while younger than `EXPIRY_SECONDS`.

What a live lease protects (`voxcas.store.gc`): its run like a kept run (the results it computed,
the nodes it noted as reused, its goals), and every object and result created since the lease
began (`started`, less `MARGIN_SECONDS`): the item objects a loop wrote before the sequence that
will name them, the large values the writer stored ahead of their results.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voxcas.errors import StoreError
from voxcas.ids import RunId

LEASE_DIR = "leases"
SUFFIX = ".lease"
HEARTBEAT_SECONDS = 30.0
EXPIRY_SECONDS = 300.0  # heartbeat age that ends a lease whose lock cannot be tested
MARGIN_SECONDS = 2.0  # clock rounding between the lease's start and the rows' `created` times
_RECORD_BYTES = 1024


@dataclass(frozen=True, slots=True)
class LiveLease:
    """A lease gc found alive: the run it protects (None before the run is recorded) and when it began."""

    run: RunId | None
    started: float
    pid: int
    host: str


class Lease:
    """A lease held by this process (see the module docstring); `release()` ends it."""

    def __init__(self, directory: Path) -> None:
        folder = Path(directory) / LEASE_DIR
        self.started = time.time()
        self._info: dict[str, Any] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": self.started,
            "run": None,
        }
        name = uuid.uuid4().hex
        temporary = folder / f".{name}.tmp"
        self.path = folder / f"{name}{SUFFIX}"
        try:
            folder.mkdir(exist_ok=True)
            self._fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            why = "it is read-only" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else exc.strerror
            raise StoreError(
                f"cannot write to the store {directory}: {why} (a run records a lease in {folder}); "
                "nothing was written"
            ) from None
        try:
            _lock(self._fd)
            self._write()
            os.rename(temporary, self.path)
        except BaseException:
            os.close(self._fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="voxcas-lease", daemon=True)
        self._beat.start()

    def _write(self) -> None:
        # one write of a fixed length, padded with spaces (valid JSON): never a half-empty file
        data = json.dumps(self._info).encode().ljust(_RECORD_BYTES)
        os.pwrite(self._fd, data, 0)

    def name_run(self, run: RunId) -> None:
        """Say which run the lease protects (once the run is recorded)."""
        self._info["run"] = run
        with contextlib.suppress(OSError):
            self._write()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """End the lease: stop the heartbeat, delete the file, drop the lock (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock(fd: int) -> bool:
    """Take the exclusive lock without waiting: True if taken, False if another holds it.

    Raises OSError when the file system cannot lock at all."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextlib.contextmanager
def lease_for(store: Any) -> Iterator[Lease | None]:
    """A lease on `store` for the duration of the block (None for a store without a directory)."""
    directory = getattr(store, "directory", None)
    if directory is None:
        yield None
        return
    held = Lease(Path(directory))
    try:
        yield held
    finally:
        held.release()


def live_leases(directory: Path) -> list[LiveLease]:
    """The live leases of the store in `directory`; stale ones (their process is gone) are deleted."""
    folder = Path(directory) / LEASE_DIR
    try:
        paths = sorted(folder.glob("*" + SUFFIX))
    except OSError:
        return []
    live: list[LiveLease] = []
    for path in paths:
        found = _inspect(path)
        if found is not None:
            live.append(found)
    return live


def _inspect(path: Path) -> LiveLease | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None  # released meanwhile
    except OSError:
        return _unreadable(path)
    try:
        try:
            free = _lock(fd)
        except OSError:  # no locks here: the heartbeat decides
            info = _read(fd)
            fresh = os.fstat(fd).st_mtime >= time.time() - EXPIRY_SECONDS
            return _live(info) if fresh else None
        if free:  # its process is gone: the lease is stale
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        return _live(_read(fd))
    finally:
        os.close(fd)


def _read(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 1 << 16, 0) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _live(info: dict[str, Any]) -> LiveLease:
    started = info.get("started")
    if not isinstance(started, int | float):  # unreadable: protect everything
        started = 0.0
    run = info.get("run")
    pid = info.get("pid")
    host = info.get("host")
    return LiveLease(
        RunId(run) if isinstance(run, str) else None,
        float(started),
        pid if isinstance(pid, int) else -1,
        host if isinstance(host, str) else "",
    )


def _unreadable(path: Path) -> LiveLease:
    """A lease gc cannot open: treated as live since ever (gc deletes nothing on a doubt)."""
    return LiveLease(None, 0.0, -1, "")
