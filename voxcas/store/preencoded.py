"""Values encoded, hashed and compressed away from the store: what a cluster worker hands back.

`pre_encode(value, blobs)` does on a worker what `SqliteStore.put` does before its transaction:
encodes the value (and its items), hashes and compresses each object, and writes the stored bytes
of every large object into the shared blob tier `blobs` itself. What it returns, a `PreEncoded`,
holds only the root digest and one small row per object (digest, kind, sizes, codec, items; the
bytes of small objects; for large ones nothing but their sizes), so the client receives a few
hundred bytes per result instead of the value. The client's writer indexes it like any value
(`SqliteStore.put_results` recognises it), checking that each large object's file is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voxcas.ids import Digest
from voxcas.store import codec
from voxcas.store.blobs import LARGE, BlobStore


@dataclass(frozen=True, slots=True)
class InTier:
    """Stands for the stored bytes of a large object already written to the blob tier."""

    size: int  # uncompressed encoding bytes
    stored_size: int


@dataclass(frozen=True, slots=True)
class PreEncoded:
    """A value as rows to index: items before their containers, the root last."""

    digest: Digest
    rows: tuple[tuple[codec.Encoded, str, Any], ...]  # (encoding or header, codec, bytes | InTier)

    @property
    def encoded_size(self) -> int:
        """The uncompressed size of the value's objects (what its bytes would cost to ship)."""
        return sum(s.size if isinstance(s, InTier) else enc.size for enc, _, s in self.rows)


def pre_encode(value: Any, blobs: BlobStore) -> PreEncoded:
    """Encode `value`, write its large objects to `blobs`, return the rows the index needs."""
    rows: list[tuple[codec.Encoded, str, Any]] = []
    seen: set[Digest] = set()

    def put(item: Any) -> Digest:
        enc = codec.encode(item, put)
        if enc.digest in seen:
            return enc.digest
        seen.add(enc.digest)
        if enc.size < codec.COMPRESS_FROM:
            rows.append((enc, codec.CODEC_NONE, enc.data))
            return enc.digest
        how, stored = codec.compress(enc.data)
        stored_size = memoryview(stored).nbytes
        if stored_size >= LARGE:
            blobs.put(enc.digest, stored)
            header = codec.Encoded(enc.kind, b"", enc.digest, enc.children)
            rows.append((header, how, InTier(enc.size, stored_size)))
        else:
            rows.append((enc, how, stored))
        return enc.digest

    return PreEncoded(put(value), tuple(rows))
