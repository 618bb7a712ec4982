"""The WAL stays bounded while a long loop writes thousands of results (the checkpoint really runs).

The bound (docs/store.md, "Bounded growth"): the WAL file stays below `WAL_LIMIT` plus the
largest single transaction. The test lowers the thresholds (so a loop that writes ~200 MiB of WAL
frames crosses the limit a dozen times in a couple of seconds) and watches the file's size from
another thread, independently of the store's own bookkeeping.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from voxcas.cli.app import main
from voxcas.store import sqlite_conn
from voxcas.store.sqlite import SqliteStore

CHECKPOINT = 2 << 20
LIMIT = 8 << 20
# The largest transaction of this run is the loop's own sequence (20,000 item rows) or one of the
# writer's batches (at most 1000 results): under 16 MiB of WAL frames (32 KiB pages), measured.
LARGEST_TRANSACTION = 16 << 20
BOUND = LIMIT + LARGEST_TRANSACTION  # the documented bound at these thresholds
ITEMS = 20_000


class WalWatcher:
    """Polls the size of a WAL file on a thread and keeps the largest size seen."""

    def __init__(self, wal: Path) -> None:
        self.wal = wal
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                self.peak = max(self.peak, os.stat(self.wal).st_size)
            self._stop.wait(0.001)

    def __enter__(self) -> WalWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_a_long_loop_keeps_the_wal_below_the_documented_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sqlite_conn, "CHECKPOINT_BYTES", CHECKPOINT)
    monkeypatch.setattr(sqlite_conn, "WAL_LIMIT", LIMIT)
    monkeypatch.setenv("VOX_STORE", "")  # `vox --store` sets it: recorded, so undone after the test
    monkeypatch.delenv("VOX_STORE")
    program = tmp_path / "loop.imgql"
    program.write_text(f'b = length(range(0, 1))\nprint "n" length(for i in range(0, {ITEMS}) do i + b)\n')
    store = tmp_path / ".vox"
    with WalWatcher(store / "store.db-wal") as watcher, pytest.raises(SystemExit) as stop:
        main(["--store", str(store), "run", str(program)])
    assert stop.value.code in (0, None)
    assert f"n={ITEMS}" in capsys.readouterr().out
    assert 0 < watcher.peak <= BOUND, f"the WAL reached {watcher.peak / 2**20:.1f} MiB"


def test_the_checkpoint_thread_copies_the_wal_into_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_conn, "CHECKPOINT_BYTES", 1 << 20)
    monkeypatch.setattr(sqlite_conn, "WAL_LIMIT", 1 << 20)  # every commit waits for its checkpoint
    with SqliteStore(tmp_path / ".vox", create=True) as store:
        for i in range(8):
            store.put(os.urandom(600_000) + bytes([i]))
        db_size = store.db_path.stat().st_size
    assert db_size > 4 << 20  # the objects reached store.db while the store was open
