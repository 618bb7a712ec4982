"""The store under stress: a full disk and a WAL deleted under a running process end in one clear
error, and nothing committed is lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxcas.errors import StoreError
from voxcas.store.sqlite import SqliteStore


def test_a_full_disk_is_one_clear_error_and_the_store_stays_usable(tmp_path: Path) -> None:
    """SQLite's own disk-full path: the object's bytes go inside store.db (inline tier)."""
    with SqliteStore(tmp_path / ".vox", create=True, inline=True) as store:
        kept = store.put("committed before the disk filled")
        pages = store.query("PRAGMA page_count")[0][0]
        store.connection.execute(f"PRAGMA max_page_count={pages + 1}")  # SQLite's own "disk full"
        with pytest.raises(StoreError) as exc:
            store.put(os.urandom(3 << 20))
        assert str(exc.value) == (
            f"cannot write to the store {tmp_path / '.vox'}: the disk is full; "
            "nothing of this write was committed"
        )
        store.connection.execute("PRAGMA max_page_count=1073741823")
        assert store.get(kept) == "committed before the disk filled"
        assert store.get(store.put("written after space came back")) == "written after space came back"


def test_a_wal_deleted_under_a_running_process_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    directory = tmp_path / ".vox"
    store = SqliteStore(directory, create=True)
    first = store.put("committed before the WAL was deleted")
    for name in ("store.db-wal", "store.db-shm"):
        (directory / name).unlink()
    with pytest.raises(StoreError) as exc:
        store.put("written after")
    assert str(exc.value).startswith(
        f"the write-ahead log of the store {directory} (store.db-wal) was deleted"
    )
    store.close()
    with SqliteStore(directory) as again:  # another process would see this
        assert again.get(first) == "committed before the WAL was deleted"
