"""The blob seam: where the stored bytes of large objects live.

The SQLite database stays the index of a store (node definitions, results, runs, refs, every
object's row with its kind and sizes, and the bytes of small objects). The bytes of objects of
`LARGE` stored bytes or more go through one small interface, `BlobStore`, with two tiers:

- `SqliteBlobs` (`voxcas.store.sqlite_blobs`; stores created before the directory became the
  default, and `SqliteStore(..., inline=True)`): the bytes sit in the object's row, written and
  read through SQLite's incremental blob I/O inside the store's transaction;
- `DirectoryBlobs` (`voxcas.store.blobs_dir`): one file per object in a content-addressed
  directory: the store's own `blobs/` (the default of a new store), or a directory given with
  `vox init --blobs DIR`, which workers on other machines can reach when it is on a shared file
  system (`shared`).

Contract of every tier (tests/store/test_store_blobs.py runs it over each):
- `put(digest, stored)` is durable when it returns, and idempotent: a second writer of the same
  digest (another thread, process or machine) is harmless and readers never see half an object;
- `read(digest, size)` returns exactly the `size` stored bytes, or raises `CorruptObjectError`
  when the bytes are absent or of another length (the row says they exist: their loss is damage);
  the caller re-hashes them (`hasher` is fed the bytes as they are read);
- `delete(digest)` removes the bytes (absent is fine); `stored()` lists (digest, modification
  time) of the bytes the tier holds itself, which gc uses to sweep blobs nobody indexed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from voxcas.ids import Digest

LARGE = 1 << 20  # objects from this many stored bytes on go through the blob tier
Bytes = bytes | bytearray | memoryview


class BlobStore(ABC):
    """Where the bytes of large objects live (see the module docstring for the contract)."""

    #: how `meta.blobs` names this tier: "" for the SQLite tier, else the directory (or URL)
    location: str = ""
    #: True for a tier given explicitly (`vox init --blobs DIR`), which cluster workers may
    #: reach; False for the SQLite tier and for a store's own `blobs/` directory
    shared: bool = False

    @property
    def inline(self) -> bool:
        """True when the bytes live in the object's row of the index (the SQLite tier)."""
        return not self.location

    @abstractmethod
    def put(self, digest: Digest, stored: Bytes) -> None:
        """Keep the stored bytes of an object, durably; a second put of a digest is harmless."""

    def put_pieces(self, digest: Digest, parts: tuple[memoryview, ...]) -> None:
        """`put` of the concatenation of `parts` (an encoding held in pieces, `codec.Pieces`);
        tiers that can write the parts one after another without joining them override it."""
        self.put(digest, b"".join(parts))

    @abstractmethod
    def read(self, digest: Digest, size: int, hasher: Any = None) -> bytearray:
        """The `size` stored bytes of an object (fed to `hasher` as they are read)."""

    @abstractmethod
    def has(self, digest: Digest) -> bool: ...

    @abstractmethod
    def delete(self, digest: Digest) -> None: ...

    @abstractmethod
    def stored(self) -> Iterator[tuple[Digest, float]]:
        """(digest, modification time) of every object whose bytes this tier holds on its own."""
