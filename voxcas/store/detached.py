"""Stored objects read away from the store: what a cluster worker does with a stored input when
the store's blob tier is shared.

The client (`vox run`) owns the index; a worker cannot open it. So for a stored input the
client hands the worker the object's `Detached` form: one small `DetachedRow` per object of the
value (the object and its items, from `SqliteStore.detached`): digest, kind, sizes, codec, and
the stored bytes of small objects; the bytes of large objects stay in the blob tier and the
worker reads them there by digest (`read_detached`). Every object is decompressed and re-hashed
before it is decoded, exactly as `SqliteStore.get` does: a blob that fails verification raises
`CorruptObjectError`, never gives a value.

A sequence comes back as a list of its items (nothing on a worker holds a store); a mapping as
a dict; arrays and images as `SqliteStore.get` gives them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from voxcas.errors import CorruptObjectError
from voxcas.ids import DIGEST_PREFIX, Digest
from voxcas.store import codec
from voxcas.store.blobs import BlobStore


@dataclass(frozen=True, slots=True)
class DetachedRow:
    """One object of a detached value; `data` is None when its bytes are in the blob tier."""

    digest: Digest
    size: int  # uncompressed encoding bytes
    codec: str
    stored_size: int
    data: bytes | None


@dataclass(frozen=True, slots=True)
class Detached:
    """A stored value as its rows: the root digest and every object it reaches, each once."""

    digest: Digest
    rows: tuple[DetachedRow, ...]

    @property
    def shipped_bytes(self) -> int:
        """The bytes this form carries itself (small objects'); the rest stays in the tier."""
        return sum(len(r.data) for r in self.rows if r.data is not None)


def read_detached(value: Detached, blobs: BlobStore) -> Any:
    """The value of `value`, its large objects read from `blobs` and every object verified."""
    rows = {r.digest: r for r in value.rows}

    def load(digest: Digest) -> Any:
        row = rows.get(digest)
        if row is None:
            raise CorruptObjectError(f"object {digest} is missing from the rows handed to this worker")
        hasher = hashlib.sha256()
        if row.data is None:
            stored: Any = blobs.read(digest, row.stored_size, hasher)
        else:
            stored = row.data
            hasher.update(stored)
        if row.codec == codec.CODEC_NONE:
            actual = DIGEST_PREFIX + hasher.hexdigest()
            if actual != digest:
                raise CorruptObjectError(f"object {digest} is corrupt: its content hashes to {actual}")
            data = stored
        else:
            data = codec.decompress(row.codec, stored, row.size, digest)
            codec.verify(data, digest)
        kind, _ = codec.split_header(data, digest)
        if kind == "sequence":
            return [load(item) for item in codec.children_of(data, digest)[1]]
        return codec.decode(data, digest, load, None)

    return load(value.digest)
