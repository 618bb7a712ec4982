"""`SqliteBlobs`: the default blob tier, the bytes inside the object's row of `store.db`.

The store inserts an object's row with a zero-filled blob of the right length and then `put`
writes the bytes through SQLite's incremental blob I/O, in the same transaction (durable before
visible, as every write of the store). `read` streams the bytes back in chunks, hashing the
previous chunk on a helper thread meanwhile. The bytes go when the row does, so `delete` has
nothing to do and `stored` lists nothing (this tier holds no bytes apart from the index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from voxcas.errors import CorruptObjectError
from voxcas.ids import Digest
from voxcas.store.blobs import BlobStore, Bytes
from voxcas.store.sqlite_conn import ProcessLock, read_hashing


class SqliteBlobs(BlobStore):
    """Bytes in `objects.data`; used under the store's lock on its writing connection."""

    def __init__(self, connection: Callable[[], Any], lock: ProcessLock) -> None:
        self._connection = connection
        self._lock = lock

    def _rowid(self, conn: Any, digest: Digest) -> int | None:
        row = conn.execute("SELECT rowid FROM objects WHERE digest=?", (digest,)).fetchone()
        return None if row is None else int(row[0])

    def put(self, digest: Digest, stored: Bytes) -> None:
        """Write the bytes into the object's row (inserted by the caller with `zeroblob(size)`)."""
        self.put_pieces(digest, (memoryview(stored),))

    def put_pieces(self, digest: Digest, parts: tuple[memoryview, ...]) -> None:
        """The parts written one after another into the row's blob (no joined copy)."""
        with self._lock:
            conn = self._connection()
            rowid = self._rowid(conn, digest)
            if rowid is None:
                raise CorruptObjectError(f"object {digest} has no row to hold its bytes")
            with conn.blob_open("main", "objects", "data", rowid, True) as blob:
                for part in parts:
                    blob.write(part)

    def read(self, digest: Digest, size: int, hasher: Any = None) -> bytearray:
        with self._lock:
            conn = self._connection()
            rowid = self._rowid(conn, digest)
            if rowid is None:
                raise CorruptObjectError(f"object {digest} has no row in the store")
            data = bytearray(size)
            with conn.blob_open("main", "objects", "data", rowid, False) as blob:
                if blob.length() != size:
                    raise CorruptObjectError(
                        f"object {digest} is corrupt: {blob.length()} bytes stored, {size} expected"
                    )
                if hasher is None:
                    blob.readinto(data)
                else:
                    read_hashing(blob, data, hasher)
            return data

    def has(self, digest: Digest) -> bool:
        with self._lock:
            conn = self._connection()
            row = conn.execute("SELECT length(data) FROM objects WHERE digest=?", (digest,)).fetchone()
            return bool(row and row[0])

    def delete(self, digest: Digest) -> None:
        """Nothing: the bytes are deleted with the object's row."""

    def stored(self) -> Iterator[tuple[Digest, float]]:
        return iter(())
